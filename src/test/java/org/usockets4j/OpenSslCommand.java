package org.usockets4j;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** The openssl command as the tests run it to make certificates and keys: bounded in time, its output kept. */
public final class OpenSslCommand {
    private OpenSslCommand() {
    }

    /** Runs openssl with args, stdin closed, for at most timeoutSeconds; its output, or an IOException with it. */
    public static String run(long timeoutSeconds, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add("openssl");
        command.addAll(List.of(args));
        BoundedProcess p;
        try {
            p = BoundedProcess.run(new ProcessBuilder(command), timeoutSeconds);
        } catch (IOException e) {
            throw new IOException("the tests need the openssl command (apt-get install openssl): " + e.getMessage(), e);
        }
        if (p.exitCode != 0) {
            throw new IOException("openssl failed (" + p.exitCode + "): " + command + "\n" + p.output);
        }
        return p.output;
    }
}
