package org.usockets4j.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The command line every benchmark server takes:
 * {@code <port> <echo|http|idle> [--tls cert.pem key.pem] [--provider jdk|openssl]}.
 * Port 0 lets the kernel pick; the server prints {@code PORT <n>} once it listens.
 */
final class ServerArgs {
    static final String USAGE = "usage: <port (0 = pick)> <echo|http|idle> [--tls cert.pem key.pem] [--provider jdk|openssl]";

    final int port;
    final Mode mode;
    /** Null for plain TCP. */
    final Path cert;
    final Path key;
    /** TLS provider for servers that have a choice (Netty): "jdk" or "openssl". */
    final String provider;

    private ServerArgs(int port, Mode mode, Path cert, Path key, String provider) {
        this.port = port;
        this.mode = mode;
        this.cert = cert;
        this.key = key;
        this.provider = provider;
    }

    boolean tls() {
        return cert != null;
    }

    static ServerArgs parse(String[] args) {
        if (args.length < 2) {
            throw new IllegalArgumentException(USAGE);
        }
        int port = Integer.parseInt(args[0]);
        Mode mode = Mode.parse(args[1]);
        Path cert = null;
        Path key = null;
        String provider = "jdk";
        for (int i = 2; i < args.length; i++) {
            switch (args[i]) {
                case "--tls" -> {
                    if (i + 2 >= args.length) {
                        throw new IllegalArgumentException(USAGE);
                    }
                    cert = Path.of(args[++i]);
                    key = Path.of(args[++i]);
                    for (Path p : new Path[] {cert, key}) {
                        if (!Files.isReadable(p)) {
                            throw new IllegalArgumentException("cannot read " + p);
                        }
                    }
                }
                case "--provider" -> {
                    if (i + 1 >= args.length) {
                        throw new IllegalArgumentException(USAGE);
                    }
                    provider = args[++i].toLowerCase(Locale.ROOT);
                    if (!provider.equals("jdk") && !provider.equals("openssl")) {
                        throw new IllegalArgumentException("provider must be jdk or openssl, not " + provider);
                    }
                }
                default -> throw new IllegalArgumentException("unknown argument " + args[i] + "\n" + USAGE);
            }
        }
        return new ServerArgs(port, mode, cert, key, provider);
    }
}
