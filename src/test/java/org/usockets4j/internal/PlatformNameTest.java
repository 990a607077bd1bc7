package org.usockets4j.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The loader's platform names: os.name and os.arch as JVMs report them, normalized to the jar's folder names. */
class PlatformNameTest {

    /** The platform NativeLibrary derives from these os.name / os.arch values (restored afterwards). */
    private static String platformFor(String osName, String osArch) {
        // Initialize NativeLibrary (it loads the library for the real platform) before the properties change.
        NativeLibrary.failure();
        String oldName = System.getProperty("os.name");
        String oldArch = System.getProperty("os.arch");
        try {
            System.setProperty("os.name", osName);
            System.setProperty("os.arch", osArch);
            return NativeLibrary.platform();
        } finally {
            System.setProperty("os.name", oldName);
            System.setProperty("os.arch", oldArch);
        }
    }

    @Test
    void linuxArchitectures() {
        assertEquals("linux-aarch64", platformFor("Linux", "aarch64"));
        assertEquals("linux-aarch64", platformFor("Linux", "arm64"));
        assertEquals("linux-aarch64", platformFor("Linux", "AArch64"));
        assertEquals("linux-x86_64", platformFor("Linux", "amd64"));
        assertEquals("linux-x86_64", platformFor("Linux", "x86_64"));
        assertEquals("linux-x86_64", platformFor("Linux", "x86-64"));
        assertEquals("linux-x86_64", platformFor("Linux", "x64"));
    }

    @Test
    void otherSystems() {
        assertEquals("osx-aarch64", platformFor("Mac OS X", "aarch64"));
        assertEquals("osx-x86_64", platformFor("Mac OS X", "x86_64"));
        assertEquals("freebsd-x86_64", platformFor("FreeBSD", "amd64"));
        assertEquals("windows-x86_64", platformFor("Windows 11", "amd64"));
    }

    @Test
    void theRunningPlatformMatchesItsProperties() {
        assertEquals(platformFor(System.getProperty("os.name"), System.getProperty("os.arch")), NativeLibrary.platform());
    }
}
