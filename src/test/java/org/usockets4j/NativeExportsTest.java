package org.usockets4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

/** libusockets4j.so exports JNI_OnLoad (and JNI entry points) only: the core and OpenSSL stay hidden inside. */
class NativeExportsTest {

    @Test
    void onlyJniSymbolsAreExported() throws Exception {
        Path classes = Path.of(Loop.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path so = classes.resolve("META-INF/native/" + Native.platform() + "/libusockets4j.so");
        assertTrue(Files.isRegularFile(so), "no library built into " + classes + " (the build puts it there)");
        BoundedProcess nm;
        try {
            nm = BoundedProcess.run(new ProcessBuilder("nm", "-D", "--defined-only", so.toString()), 30);
        } catch (java.io.IOException e) {
            throw new AssertionError("nm (binutils, installed with gcc, which the build needs) cannot run", e);
        }
        String out = nm.output;
        assertEquals(0, nm.exitCode, out);
        List<String> foreign = new ArrayList<>();
        boolean onLoad = false;
        for (String line : out.split("\n")) {
            String[] parts = line.trim().split("\\s+");
            if (parts.length < 3) {
                continue;
            }
            String name = parts[2];
            if (name.equals("JNI_OnLoad")) {
                onLoad = true;
            } else if (!name.startsWith("Java_") && !name.equals("JNI_OnUnload")) {
                foreign.add(line.trim());
            }
        }
        assertTrue(onLoad, "JNI_OnLoad is not exported:\n" + out);
        assertEquals(List.of(), foreign, "symbols exported beyond the JNI entry points");
    }
}
