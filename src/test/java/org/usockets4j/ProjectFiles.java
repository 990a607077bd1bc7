package org.usockets4j;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

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

    /**
     * Copies the library's classes (where Loop was loaded from) into dir, leaving out META-INF and so the bundled
     * native library: like a jar built for no platform, so only an override or java.library.path can load it.
     */
    public static Path libraryClassesWithoutNative(Path dir) throws IOException {
        Path classes = ChildJvm.codeSource(Loop.class);
        try (Stream<Path> files = Files.walk(classes)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Path rel = classes.relativize(f);
                if (rel.startsWith("META-INF")) {
                    continue;
                }
                Path to = dir.resolve(rel.toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(to);
                } else {
                    Files.copy(f, to);
                }
            }
        }
        return dir;
    }
}
