package org.usockets4j.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Exceptions and Errors from every kind of callback: reported, the socket closed by the policy, the loop goes on. */
@Timeout(value = 90, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class CallbackFailuresTest {
    @Test
    void everyKindOfCallbackThrowingEveryWay(@TempDir Path tmp) throws Exception {
        List<String> failures = new CallbackFailures(tmp).run();
        assertEquals("", String.join("\n", failures), failures.size() + " callback failure problems");
    }
}
