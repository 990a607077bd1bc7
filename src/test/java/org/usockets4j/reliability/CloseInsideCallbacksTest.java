package org.usockets4j.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Closing the loop, a context, a listener, sockets, timers and UDP sockets inside callbacks: no crash, no leak. */
@Timeout(value = 90, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class CloseInsideCallbacksTest {
    @Test
    void closingFromInsideEveryKindOfCallback(@TempDir Path tmp) throws Exception {
        List<String> failures = new CloseInsideCallbacks(tmp).run();
        assertEquals("", String.join("\n", failures), failures.size() + " problems");
    }
}
