package org.usockets4j.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Every public method in every bad state gets its documented exception; nothing is left registered. */
@Timeout(value = 90, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class MisuseWalkerTest {
    @Test
    void everyPublicMethodInEveryBadState(@TempDir Path tmp) throws Exception {
        MisuseWalk walk = new MisuseWalk(tmp);
        List<String> failures = walk.run();
        assertEquals("", String.join("\n", failures), failures.size() + " misuse failures");
        assertTrue(walk.calls() > 500, "the walk made only " + walk.calls() + " calls");
    }
}
