package org.usockets4j;

/** Run in a child JVM: reports whether the native library loaded, and runs one timer when it did. */
public final class LoaderProbe {
    public static void main(String[] args) {
        System.out.println("platform=" + Native.platform());
        System.out.println("available=" + Native.isAvailable());
        if (!Native.isAvailable()) {
            System.out.println("cause=" + Native.unavailabilityCause().getMessage());
            try {
                Loop.create();
                System.out.println("create=ok");
            } catch (UnsatisfiedLinkError e) {
                System.out.println("create=UnsatisfiedLinkError");
            }
            return;
        }
        try (Loop<Void> loop = Loop.create()) {
            int[] fired = {0};
            loop.createTimer().set(1, 0, t -> {
                fired[0]++;
                t.close();
            });
            loop.run();
            System.out.println("fired=" + fired[0]);
        }
    }
}
