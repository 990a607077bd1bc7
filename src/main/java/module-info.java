/**
 * usockets4j: a C event loop (timers, a thread-safe defer, TCP, TLS and UDP sockets) driven from Java.
 *
 * <p>Only {@code org.usockets4j} is exported; {@code org.usockets4j.internal} (the natives, the loader, slot
 * tables and the defer queue) stays private to the module. The native library travels inside the module's jar
 * under {@code META-INF/native/<os>-<arch>/}, a folder that is no package and so readable on the module path too.
 */
module org.usockets4j {
    exports org.usockets4j;
}
