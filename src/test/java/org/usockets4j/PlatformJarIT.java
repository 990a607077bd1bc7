package org.usockets4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The packaged jar holds a libusockets4j.so for this platform and for each cross-compiled one
 * (-Dusockets4j.crossPlatforms, set by the linux-aarch64 profile), each an ELF shared object for its machine.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class PlatformJarIT {
    /** ELF e_machine per platform: EM_X86_64 and EM_AARCH64. */
    private static final Map<String, Integer> MACHINES = Map.of("linux-x86_64", 62, "linux-aarch64", 183);

    private static Path jar() {
        Path jar = Path.of(System.getProperty("usockets4j.jar", "target/usockets4j-0.1.0-SNAPSHOT.jar"));
        assertTrue(Files.isRegularFile(jar), "packaged jar missing: " + jar);
        return jar;
    }

    private static List<String> crossPlatforms() {
        List<String> platforms = new ArrayList<>();
        for (String p : System.getProperty("usockets4j.crossPlatforms", "").split("[,\\s]+")) {
            if (!p.isBlank() && !p.equals(Native.platform())) {
                platforms.add(p);
            }
        }
        return platforms;
    }

    @Test
    void theJarHoldsAnElfLibraryForEveryBuiltPlatform() throws IOException {
        List<String> platforms = new ArrayList<>();
        platforms.add(Native.platform());
        platforms.addAll(crossPlatforms());
        try (JarFile jar = new JarFile(jar().toFile())) {
            for (String platform : platforms) {
                String name = "META-INF/native/" + platform + "/libusockets4j.so";
                JarEntry entry = jar.getJarEntry(name);
                assertNotNull(entry, "the jar has no " + name);
                byte[] header;
                try (InputStream in = jar.getInputStream(entry)) {
                    header = in.readNBytes(20);
                }
                assertEquals(20, header.length, name + " is shorter than an ELF header");
                assertTrue(header[0] == 0x7f && header[1] == 'E' && header[2] == 'L' && header[3] == 'F', name + " is not ELF");
                assertEquals(2, header[4], name + ": not ELFCLASS64");
                assertEquals(1, header[5], name + ": not little-endian");
                assertEquals(3, u16le(header, 16), name + ": e_type is not ET_DYN (a shared object)");
                Integer machine = MACHINES.get(platform);
                if (machine != null) {
                    assertEquals(machine.intValue(), u16le(header, 18), name + ": e_machine");
                }
            }
        }
    }

    /** The loader picks the linux-aarch64 entry when os.arch says aarch64 (here it can only try it: not this machine). */
    @Test
    void onAarch64TheLoaderTakesTheAarch64Entry() throws Exception {
        assumeTrue(crossPlatforms().contains("linux-aarch64") && Native.platform().equals("linux-x86_64"),
                "no linux-aarch64 cross build in this jar");
        Path testClasses = Path.of(System.getProperty("usockets4j.testClasses", "target/test-classes"));
        BoundedProcess child = ChildJvm.run(60, List.of(
                "-Dos.arch=aarch64",
                "-cp", jar() + File.pathSeparator + testClasses,
                LoaderProbe.class.getName()));
        assertEquals(0, child.exitCode, child.toString());
        String out = child.output;
        assertTrue(out.contains("platform=linux-aarch64"), out);
        assertTrue(out.contains("available=false"), out); // an AArch64 library does not load on x86_64
        assertTrue(out.contains("class path entry META-INF/native/linux-aarch64/libusockets4j.so extracted to"), out);
        assertFalse(out.contains("linux-aarch64/libusockets4j.so: not found"), out);
    }

    private static int u16le(byte[] b, int offset) {
        return (b[offset] & 0xff) | (b[offset + 1] & 0xff) << 8;
    }
}
