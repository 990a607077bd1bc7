package org.usockets4j;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The openssl command as the tests run it to make certificates and keys: bounded in time, its output kept. */
public final class OpenSslCommand {
    private OpenSslCommand() {
    }

    /** Runs openssl with args, stdin closed, for at most timeoutSeconds; its output, or an IOException with it. */
    public static String run(long timeoutSeconds, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add("openssl");
        command.addAll(List.of(args));
        Process p;
        try {
            p = new ProcessBuilder(command).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.PIPE).start();
        } catch (IOException e) {
            throw new IOException("the tests need the openssl command (apt-get install openssl): " + e.getMessage(), e);
        }
        p.getOutputStream().close();
        byte[][] out = new byte[1][];
        Thread reader = new Thread(() -> {
            try (InputStream in = p.getInputStream()) {
                out[0] = in.readAllBytes();
            } catch (IOException e) {
                out[0] = new byte[0];
            }
        });
        reader.start();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("openssl timed out: " + command);
        }
        reader.join(5_000);
        String output = out[0] == null ? "" : new String(out[0], StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            throw new IOException("openssl failed (" + p.exitValue() + "): " + command + "\n" + output);
        }
        return output;
    }
}
