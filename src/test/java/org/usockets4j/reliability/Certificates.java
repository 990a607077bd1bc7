package org.usockets4j.reliability;

import java.io.IOException;
import java.nio.file.Path;

import org.usockets4j.OpenSslCommand;

/** A throwaway self-signed certificate for localhost, made with the openssl command. */
final class Certificates {
    private Certificates() {
    }

    static void selfSigned(Path cert, Path key) throws IOException, InterruptedException {
        OpenSslCommand.run(60, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-days", "2", "-subj", "/CN=localhost", "-keyout", key.toString(), "-out", cert.toString());
    }
}
