package org.usockets4j.internal;

/**
 * The TLS natives (native/jni_tls.c), registered by the library's {@code JNI_OnLoad} when it was built with TLS.
 * Internal, like {@link Natives}: handles are raw C pointers of TLS sockets and contexts, so callers check that an
 * object is open, TLS and on its loop's thread before each call. Only reached through a TLS context, which the
 * library refuses to create without TLS ({@link Natives#tlsAvailable()}).
 */
public final class TlsNatives {
    private TlsNatives() {
    }

    /** The negotiated protocol ("TLSv1.3"), or null before the handshake finished. */
    public static native String tlsProtocol(long s);

    /** The negotiated cipher suite's OpenSSL name, or null before the handshake finished. */
    public static native String tlsCipher(long s);

    /** The SNI host name received (server) or sent (client), or null. */
    public static native String tlsServerName(long s);

    /** The peer certificate's subject (RFC 2253), or null when the peer sent none. */
    public static native String tlsPeerSubject(long s);

    /**
     * Serves pattern ("host.example", "*.example") with its own TLS material: 0 when added, -1 when it could not
     * be loaded ({@link Natives#contextLastError()} says why), -2 when a string could not be passed.
     */
    public static native int contextAddServerName(long context, String pattern, String keyFile, String certFile,
                                                  String passphrase, String dhParamsFile, String caFile,
                                                  String ciphers, boolean lowMemory);

    /** Forgets pattern (nothing happens when it is unknown). */
    public static native void contextRemoveServerName(long context, String pattern);

    /** Whether exactly this pattern was added. */
    public static native boolean contextHasServerName(long context, String pattern);

    /** Whether SNI names without a match reach LoopCore.onServerName. */
    public static native void contextOnServerName(long context, boolean enabled);
}
