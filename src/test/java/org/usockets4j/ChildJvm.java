package org.usockets4j;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Fresh JVMs (the running java binary) for the tests. */
public final class ChildJvm {
    private ChildJvm() {
    }

    /** Runs java with javaArgs for at most timeoutSeconds: its exit code and merged output. */
    public static BoundedProcess run(long timeoutSeconds, List<String> javaArgs)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(javaArgs);
        return BoundedProcess.run(new ProcessBuilder(command), timeoutSeconds);
    }

    /** The folder or jar a class was loaded from. */
    public static Path codeSource(Class<?> c) {
        try {
            return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
