package org.usockets4j;

import org.usockets4j.internal.NativeLibrary;

/** Whether the native part of usockets4j could be loaded on this platform, for callers that want to fall back. */
public final class Native {
    private Native() {
    }

    /** True when libusockets4j is loaded and usable in this JVM. */
    public static boolean isAvailable() {
        return NativeLibrary.failure() == null;
    }

    /** Why the native library could not be loaded (every place tried), or null when it is available. */
    public static Throwable unavailabilityCause() {
        return NativeLibrary.failure();
    }

    /** The running platform as usockets4j names it, e.g. {@code linux-x86_64}. */
    public static String platform() {
        return NativeLibrary.platform();
    }
}
