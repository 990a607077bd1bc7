package org.usockets4j;

import java.nio.file.Path;

/**
 * How a {@link SocketContext} is made: plain TCP ({@link #plain()}) or TLS (the TLS fields set). Immutable;
 * the {@code with*} methods return changed copies. The TLS fields mirror the C API's
 * {@code us_socket_context_options_t}: a context whose options are TLS is created with {@code ssl = 1}, and
 * every socket of it is a TLS socket. Also carries the Java-side defaults of the context's sockets
 * ({@link #highWaterMark()}).
 */
public final class SocketContextOptions {
    /** The default high-water mark of buffered {@link Socket#send} data: 1 MiB. */
    public static final int DEFAULT_HIGH_WATER_MARK = 1 << 20;

    private static final SocketContextOptions PLAIN =
            new SocketContextOptions(null, null, null, null, null, null, false, DEFAULT_HIGH_WATER_MARK);

    // ---- TLS (the C options struct). All null/false: plain TCP. The TLS factories and their validation
    // ---- (tls(cert, key), withPassphrase, withCaFile, ...) build on these fields.
    private final Path keyFile;
    private final Path certFile;
    private final String passphrase;
    private final Path dhParamsFile;
    private final Path caFile;
    private final String ciphers;
    private final boolean lowMemory;

    // ---- Java-side socket defaults.
    private final int highWaterMark;

    SocketContextOptions(Path keyFile, Path certFile, String passphrase, Path dhParamsFile, Path caFile,
                         String ciphers, boolean lowMemory, int highWaterMark) {
        this.keyFile = keyFile;
        this.certFile = certFile;
        this.passphrase = passphrase;
        this.dhParamsFile = dhParamsFile;
        this.caFile = caFile;
        this.ciphers = ciphers;
        this.lowMemory = lowMemory;
        this.highWaterMark = highWaterMark;
    }

    /** Options of a plain TCP context with the default high-water mark. */
    public static SocketContextOptions plain() {
        return PLAIN;
    }

    /** A copy whose sockets start with this high-water mark for {@link Socket#send} (bytes, at least 1). */
    public SocketContextOptions withHighWaterMark(int bytes) {
        if (bytes < 1) {
            throw new UsException(UsException.Kind.INVALID_ARGUMENT, "highWaterMark must be >= 1, was " + bytes);
        }
        return new SocketContextOptions(keyFile, certFile, passphrase, dhParamsFile, caFile, ciphers, lowMemory,
                bytes);
    }

    /** True when these options make a TLS context (a key or certificate file is set). */
    public boolean isTls() {
        return keyFile != null || certFile != null;
    }

    /** The PEM private key file, or null. */
    public Path keyFile() {
        return keyFile;
    }

    /** The PEM certificate chain file, or null. */
    public Path certFile() {
        return certFile;
    }

    /** The private key's passphrase, or null. */
    public String passphrase() {
        return passphrase;
    }

    /** The DH parameters file, or null. */
    public Path dhParamsFile() {
        return dhParamsFile;
    }

    /** The CA file peers must verify against, or null (no peer verification). */
    public Path caFile() {
        return caFile;
    }

    /** The OpenSSL cipher list, or null for OpenSSL's default. */
    public String ciphers() {
        return ciphers;
    }

    /** Whether idle TLS sockets release their buffers. */
    public boolean lowMemory() {
        return lowMemory;
    }

    /** The high-water mark the context's sockets start with. */
    public int highWaterMark() {
        return highWaterMark;
    }

    /** The ssl flag of the C API for these options: 1 for TLS, 0 for plain. */
    int ssl() {
        return isTls() ? 1 : 0;
    }

    static String pathString(Path p) {
        return p == null ? null : p.toString();
    }

    @Override
    public String toString() {
        return isTls() ? "SocketContextOptions[tls cert=" + certFile + " key=" + keyFile + "]"
                : "SocketContextOptions[plain]";
    }
}
