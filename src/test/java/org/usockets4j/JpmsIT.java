package org.usockets4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged jar as a module and as a plain jar: the consumer program of {@code examples/consumer} (a module that
 * requires org.usockets4j) compiled with the running JDK's javac against the jar, then run in a child JVM doing a
 * TCP echo over loopback, once on the module path ({@code -m}) and once on the class path. No Maven, no network:
 * {@link ConsumerProjectIT} covers the same program built by Maven from a repository.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class JpmsIT {
    private static final Path CONSUMER = Path.of("examples", "consumer", "src", "main", "java");
    private static final String MAIN = "com.example.consumer.EchoCheck";

    static Path jar() {
        Path jar = Path.of(System.getProperty("usockets4j.jar", "target/usockets4j-0.1.0-SNAPSHOT.jar"));
        assertTrue(Files.isRegularFile(jar), "packaged jar missing: " + jar);
        return jar.toAbsolutePath();
    }

    @Test
    void theJarIsAModuleExportingOnlyItsApi() throws Exception {
        BoundedProcess child = ChildJvm.run(60, List.of("--module-path", jar().toString(), "--describe-module",
                "org.usockets4j"));
        assertEquals(0, child.exitCode, child.toString());
        assertTrue(child.output.contains("exports org.usockets4j\n") || child.output.contains("exports org.usockets4j\r"),
                child.toString());
        assertTrue(child.output.contains("contains org.usockets4j.internal"), child.toString());
        assertTrue(!child.output.contains("exports org.usockets4j.internal"), child.toString());
    }

    @Test
    void echoOnTheModulePath(@TempDir Path out) throws Exception {
        javac(out, true);
        BoundedProcess child = ChildJvm.run(60, List.of("--module-path", jar() + File.pathSeparator + out,
                "-m", "com.example.consumer/" + MAIN));
        assertEquals(0, child.exitCode, child.toString());
        assertTrue(child.output.contains("usockets4j is in module org.usockets4j, this program in module "
                + "com.example.consumer"), child.toString());
        assertTrue(child.output.contains("consumer: echo ok"), child.toString());
    }

    @Test
    void echoOnTheClassPath(@TempDir Path out) throws Exception {
        javac(out, false);
        BoundedProcess child = ChildJvm.run(60, List.of("-cp", jar() + File.pathSeparator + out, MAIN));
        assertEquals(0, child.exitCode, child.toString());
        assertTrue(child.output.contains("usockets4j is in the class path, this program in the class path"),
                child.toString());
        assertTrue(child.output.contains("consumer: echo ok"), child.toString());
    }

    @Test
    void theInternalPackageIsNotReadableFromAnotherModule(@TempDir Path out) throws Exception {
        Path src = out.resolve("src");
        Files.createDirectories(src.resolve("probe"));
        Files.writeString(src.resolve("module-info.java"), "module probe { requires org.usockets4j; }\n");
        Files.writeString(src.resolve("probe/Probe.java"), "package probe;\n"
                + "public class Probe { public static void main(String[] a) {"
                + " org.usockets4j.internal.Natives.ensureLoaded(); } }\n");
        BoundedProcess r = run(List.of(javac().toString(), "--module-path", jar().toString(), "-d",
                out.resolve("classes").toString(),
                src.resolve("module-info.java").toString(), src.resolve("probe/Probe.java").toString()));
        assertTrue(r.exitCode != 0, "compiled against a package the module does not export: " + r.output);
        assertTrue(r.output.contains("org.usockets4j.internal") && r.output.contains("not visible"), r.output);
    }

    /** Compiles the consumer's sources into out, as a module (with its module-info) or as plain classes. */
    private static void javac(Path out, boolean asModule) throws Exception {
        Path sources = CONSUMER.toAbsolutePath();
        assertTrue(Files.isDirectory(sources), "consumer sources missing: " + sources);
        List<String> files;
        try (Stream<Path> walk = Files.walk(sources)) {
            files = walk.filter(p -> p.toString().endsWith(".java"))
                    .filter(p -> asModule || !p.getFileName().toString().equals("module-info.java"))
                    .map(Path::toString).sorted().collect(Collectors.toList());
        }
        List<String> command = new ArrayList<>(List.of(javac().toString(), "-d", out.toString(),
                asModule ? "--module-path" : "-cp", jar().toString()));
        command.addAll(files);
        BoundedProcess r = run(command);
        assertEquals(0, r.exitCode, "javac failed: " + r.output);
    }

    private static Path javac() {
        Path javac = Path.of(System.getProperty("java.home"), "bin", "javac");
        org.junit.jupiter.api.Assertions.assertTrue(Files.isExecutable(javac), "no javac in " + javac);
        return javac;
    }

    private static BoundedProcess run(List<String> command) throws Exception {
        return BoundedProcess.run(new ProcessBuilder(command), 120);
    }
}
