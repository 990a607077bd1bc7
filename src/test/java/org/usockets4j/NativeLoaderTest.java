package org.usockets4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The loader's three places and its error, each checked in a fresh JVM. */
@Timeout(value = 120, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class NativeLoaderTest {
    private static final Path CLASSES = classesDir();
    private static final Path TEST_CLASSES = testClassesDir();

    private static Path classesDir() {
        try {
            return Path.of(Loop.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static Path testClassesDir() {
        try {
            return Path.of(LoaderProbe.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }


    @Test
    void thisPlatformIsNormalized() {
        assertTrue(Native.isAvailable(), String.valueOf(Native.unavailabilityCause()));
        String arch = System.getProperty("os.arch");
        if (System.getProperty("os.name").toLowerCase().contains("linux") && (arch.equals("amd64") || arch.equals("x86_64"))) {
            assertEquals("linux-x86_64", Native.platform());
        }
        assertTrue(Files.exists(CLASSES.resolve("META-INF/native/" + Native.platform() + "/libusockets4j.so")));
    }

    @Test
    void withoutALibraryTheErrorNamesThePlatformEveryPlaceAndTheProperty(@TempDir Path tmp) throws Exception {
        Path classes = ProjectFiles.libraryClassesWithoutNative(tmp.resolve("classes"));
        BoundedProcess child = ChildJvm.run(60, List.of(
                "-Dusockets4j.library.path=" + tmp.resolve("nowhere"),
                "-Djava.library.path=" + tmp,
                "-cp", classes + File.pathSeparator + TEST_CLASSES,
                LoaderProbe.class.getName()));
        assertEquals(0, child.exitCode, child.toString());
        String out = child.output;
        assertTrue(out.contains("available=false"), out);
        assertTrue(out.contains("for platform " + Native.platform()), out);
        assertTrue(out.contains("-Dusockets4j.library.path=" + tmp.resolve("nowhere")), out);
        assertTrue(out.contains("java.library.path=" + tmp), out);
        assertTrue(out.contains("META-INF/native/" + Native.platform() + "/libusockets4j.so: not found"), out);
        assertTrue(out.contains("Set -Dusockets4j.library.path="), out);
        assertTrue(out.contains("create=UnsatisfiedLinkError"), out);
    }

    @Test
    void theOverridePropertyLoadsAFolder(@TempDir Path tmp) throws Exception {
        Path classes = ProjectFiles.libraryClassesWithoutNative(tmp.resolve("classes"));
        Path folder = CLASSES.resolve("META-INF/native/" + Native.platform());
        BoundedProcess child = ChildJvm.run(60, List.of(
                "-Dusockets4j.library.path=" + folder,
                "-cp", classes + File.pathSeparator + TEST_CLASSES,
                LoaderProbe.class.getName()));
        assertEquals(0, child.exitCode, child.toString());
        assertTrue(child.output.contains("available=true") && child.output.contains("fired=1"), child.toString());
    }

    @Test
    void theJarEntryIsExtractedToTheConfiguredFolderAndRemoved(@TempDir Path tmp) throws Exception {
        Path extractTo = Files.createDirectories(tmp.resolve("extract"));
        BoundedProcess child = ChildJvm.run(60, List.of(
                "-Dusockets4j.tmpdir=" + extractTo,
                "-cp", CLASSES + File.pathSeparator + TEST_CLASSES,
                LoaderProbe.class.getName()));
        assertEquals(0, child.exitCode, child.toString());
        assertTrue(child.output.contains("available=true") && child.output.contains("fired=1"), child.toString());
        try (Stream<Path> left = Files.list(extractTo)) {
            assertEquals(List.of(), left.toList(), "the extracted copy is deleted once loaded");
        }
    }
}
