package org.usockets4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Integration tests over the packaged jar (failsafe, after `package`), each in a fresh JVM. */
@Timeout(value = 180, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class PackagedJarIT {
    private static Path jar() {
        Path jar = Path.of(System.getProperty("usockets4j.jar", "target/usockets4j-0.1.0-SNAPSHOT.jar"));
        assertTrue(Files.isRegularFile(jar), "packaged jar missing: " + jar);
        return jar;
    }

    private static Path testClasses() {
        return Path.of(System.getProperty("usockets4j.testClasses", "target/test-classes"));
    }

    @Test
    void theDemoRunsWithOnlyThePackagedJarOnTheClassPath() throws Exception {
        BoundedProcess child = ChildJvm.run(120, List.of("-cp", jar().toString(), "examples/TimersAndDefer.java"));
        assertEquals(0, child.exitCode, child.toString());
        assertTrue(child.output.contains("done: 3 results after"), child.toString());
        assertTrue(child.output.contains("worker 3 computed 4500001500000"), child.toString());
    }

    @Test
    void loopTimersAndDeferPrintNoJniWarningUnderXcheckJni() throws Exception {
        BoundedProcess child = ChildJvm.run(120, List.of(
                "-Xcheck:jni",
                "-cp", jar() + File.pathSeparator + testClasses(),
                JniCheckMain.class.getName()));
        assertEquals(0, child.exitCode, child.toString());
        assertTrue(child.output.contains("JNI-CHECK-DONE"), child.toString());
        assertFalse(child.output.contains("WARNING"), child.toString());
        assertFalse(child.output.contains("FATAL"), child.toString());
    }
}
