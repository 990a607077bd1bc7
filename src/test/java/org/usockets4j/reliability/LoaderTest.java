package org.usockets4j.reliability;

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
import org.usockets4j.BoundedProcess;
import org.usockets4j.ChildJvm;
import org.usockets4j.Loop;
import org.usockets4j.Native;
import org.usockets4j.ProjectFiles;

/**
 * The loader in fresh JVMs: an unusable extraction folder, the override property pointing at the library file,
 * a wrong override, and the library in two class loaders of one JVM at once.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class LoaderTest {
    private static final Path CLASSES = ChildJvm.codeSource(Loop.class);
    private static final Path TEST_CLASSES = ChildJvm.codeSource(LoaderTest.class);
    private static final String LIBRARY = "META-INF/native/" + Native.platform() + "/libusockets4j.so";


    private static BoundedProcess probe(String... jvmArgs) throws Exception {
        List<String> args = new java.util.ArrayList<>(List.of(jvmArgs));
        args.add(org.usockets4j.LoaderProbe.class.getName());
        return ChildJvm.run(60, args);
    }

    @Test
    void anUnusableExtractionFolderNamesTheFolderAndTheProperty(@TempDir Path tmp) throws Exception {
        Path file = Files.writeString(tmp.resolve("a-file"), "not a folder");
        Path folder = file.resolve("sub"); // a folder below a regular file: cannot exist, even for root
        BoundedProcess child = probe("-Dusockets4j.tmpdir=" + folder, "-Djava.library.path=" + tmp,
                "-cp", CLASSES + File.pathSeparator + TEST_CLASSES);
        assertEquals(0, child.exitCode, child.toString());
        String out = child.output;
        assertTrue(out.contains("available=false"), out);
        assertTrue(out.contains("cannot extract it to " + folder), out);
        assertTrue(out.contains("set -Dusockets4j.tmpdir to a writable folder"), out);
        assertTrue(out.contains("create=UnsatisfiedLinkError"), out);
    }

    @Test
    void theOverridePropertyLoadsTheLibraryFile(@TempDir Path tmp) throws Exception {
        Path classes = ProjectFiles.libraryClassesWithoutNative(tmp.resolve("classes"));
        BoundedProcess child = probe("-Dusockets4j.library.path=" + CLASSES.resolve(LIBRARY),
                "-cp", classes + File.pathSeparator + TEST_CLASSES);
        assertEquals(0, child.exitCode, child.toString());
        assertTrue(child.output.contains("available=true") && child.output.contains("fired=1"), child.toString());
    }

    @Test
    void aWrongOverrideNamesWhatWasTried(@TempDir Path tmp) throws Exception {
        Path notALibrary = Files.writeString(tmp.resolve("libusockets4j.so"), "this is text, not ELF");
        Path classes = ProjectFiles.libraryClassesWithoutNative(tmp.resolve("classes"));
        BoundedProcess child = probe("-Dusockets4j.library.path=" + notALibrary, "-Djava.library.path=" + tmp.resolve("none"),
                "-cp", classes + File.pathSeparator + TEST_CLASSES);
        assertEquals(0, child.exitCode, child.toString());
        String out = child.output;
        assertTrue(out.contains("available=false"), out);
        assertTrue(out.contains("-Dusockets4j.library.path=" + notALibrary + " -> " + notALibrary), out);
        assertTrue(out.contains("create=UnsatisfiedLinkError"), out);

        // With the jar's copy there, a wrong override is reported (a warning naming it) and the jar's copy loads.
        BoundedProcess fallback = probe("-Dusockets4j.library.path=" + notALibrary,
                "-cp", CLASSES + File.pathSeparator + TEST_CLASSES);
        assertEquals(0, fallback.exitCode, fallback.toString());
        assertTrue(fallback.output.contains("available=true") && fallback.output.contains("fired=1"), fallback.toString());
        assertTrue(fallback.output.contains("cannot load " + notALibrary), fallback.toString());
    }

    @Test
    void twoClassLoadersInOneJvmEachRunTheirOwnCopy(@TempDir Path tmp) throws Exception {
        Path extract = Files.createDirectories(tmp.resolve("extract"));
        BoundedProcess child = ChildJvm.run(100, List.of("-Dusockets4j.tmpdir=" + extract, "-Xcheck:jni",
                "-cp", TEST_CLASSES.toString(), TwoLoadersMain.class.getName(), CLASSES.toString(), TEST_CLASSES.toString()));
        assertEquals(0, child.exitCode, child.toString());
        String out = child.output;
        assertTrue(out.contains("TWO-LOADERS-DONE"), out);
        assertEquals(6, out.lines().filter(l -> l.contains("echoed 50000 bytes, crc ok, ticks ok")).count(), out);
        assertEquals(2, out.lines().filter(l -> l.startsWith("loader ")).map(l -> l.split(" ")[1]).distinct().count(), out);
        assertTrue(out.contains("distinct Loop classes: 2"), out);
        assertTrue(!out.contains("WARNING") && !out.contains("FATAL"), out);
        try (Stream<Path> left = Files.list(extract)) {
            assertEquals(List.of(), left.toList(), "each loader's extracted copy is deleted once loaded");
        }
    }
}
