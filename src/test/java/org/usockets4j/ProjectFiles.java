package org.usockets4j;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the tests that start child processes find the project folder and the library this build made. */
public final class ProjectFiles {
    private ProjectFiles() {
    }

    /** The project folder (Maven's basedir, else the working directory). */
    public static Path projectDir() {
        return Path.of(System.getProperty("basedir", System.getProperty("user.dir")));
    }

    /** The jar this build packaged (integration runs), else wherever Loop was loaded from (target/classes). */
    public static String libraryClasspath() {
        String jar = System.getProperty("usockets4j.jar");
        if (jar != null && Files.isRegularFile(Path.of(jar))) {
            return jar;
        }
        try {
            return Path.of(Loop.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (Exception e) {
            throw new IllegalStateException("cannot locate the library's classes", e);
        }
    }
}
