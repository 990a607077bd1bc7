package org.usockets4j.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.usockets4j.BoundedProcess;
import org.usockets4j.ChildJvm;
import org.usockets4j.Loop;

/** The misuse walk and every callback failure once more in a child JVM under -Xcheck:jni: no JNI warning. */
@Timeout(value = 120, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class MisuseJniCheckTest {
    @Test
    void walkAndCallbackFailuresUnderXcheckJni() throws Exception {
        BoundedProcess child = ChildJvm.run(100, List.of(
                "-Xcheck:jni",
                "-cp", ChildJvm.codeSource(Loop.class) + File.pathSeparator + ChildJvm.codeSource(MisuseWalk.class),
                ReliabilityJniCheckMain.class.getName()));
        assertEquals(0, child.exitCode, child.toString());
        assertTrue(child.output.contains("RELIABILITY-JNI-DONE"), child.toString());
        assertFalse(child.output.contains("WARNING"), child.toString());
        assertFalse(child.output.contains("FATAL"), child.toString());
        assertFalse(child.output.contains("JNI "), child.toString());
    }
}
