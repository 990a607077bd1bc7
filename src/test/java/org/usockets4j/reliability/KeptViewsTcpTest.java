package org.usockets4j.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.usockets4j.BoundedProcess;
import org.usockets4j.ChildJvm;
import org.usockets4j.Loop;

/**
 * onData views of plain TCP and TLS sockets kept past Loop.close() read and write memory that is still ours (the
 * receive areas are Java's direct buffers) instead of taking the JVM down with SIGSEGV; also under -Xcheck:jni.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class KeptViewsTcpTest {
    @Test
    void plainViewsKeptPastLoopCloseDoNotCrash() {
        assertEquals(12, KeptTcpViews.keepCloseAndRead(false, null, null));
    }

    @Test
    void tlsViewsKeptPastLoopCloseDoNotCrash(@TempDir Path dir) throws Exception {
        Path cert = dir.resolve("cert.pem");
        Path key = dir.resolve("key.pem");
        Certificates.selfSigned(cert, key);
        assertEquals(12, KeptTcpViews.keepCloseAndRead(true, cert, key));
    }

    @Test
    void underXcheckJni() throws Exception {
        BoundedProcess child = ChildJvm.run(100, List.of(
                "-Xcheck:jni",
                "-cp", ChildJvm.codeSource(Loop.class) + File.pathSeparator + ChildJvm.codeSource(KeptTcpViews.class),
                KeptTcpViews.class.getName()));
        assertEquals(0, child.exitCode, child.toString());
        assertTrue(child.output.contains("KEPT-TCP-VIEWS-DONE"), child.toString());
        assertFalse(child.output.contains("WARNING"), child.toString());
        assertFalse(child.output.contains("FATAL"), child.toString());
    }
}
