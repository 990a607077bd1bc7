package org.usockets4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * "Link as a native-backed library", as a user does it: the jar this build packaged is installed (with its pom,
 * sources and javadoc) into a private Maven repository under the build folder, as {@code mvn install} would; the
 * separate project {@code examples/consumer} is built by a child Maven against that repository, resolving
 * org.usockets4j like any dependency; its program then runs with the class path Maven resolved, on the class path
 * and on the module path, doing a TCP echo over loopback.
 *
 * <p>The private repository keeps the user's own local repository free of this build's snapshot. Plugins the
 * child Maven needs come from the build's local repository, offered to it as a read-only file repository (no
 * download when the build already has them), else from Maven Central.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ConsumerProjectIT {
    private static final String INSTALL = "org.apache.maven.plugins:maven-install-plugin:3.1.2:install-file";
    private static final String CLASSPATH = "org.apache.maven.plugins:maven-dependency-plugin:3.6.1:build-classpath";
    private static final String MAIN = "com.example.consumer.EchoCheck";

    @Test
    void theConsumerProjectBuildsAgainstTheInstalledJarAndEchoes() throws Exception {
        Path jar = JpmsIT.jar();
        String version = System.getProperty("usockets4j.version", "0.1.0-SNAPSHOT");
        Path work = jar.getParent().resolve("consumer-it");
        Path repo = work.resolve("repo");
        deleteTree(repo.resolve("org/usockets4j")); // always this build's jar, never one installed before
        Path project = work.resolve("project");
        deleteTree(project);
        copyTree(Path.of("examples", "consumer"), project);
        Path settings = work.resolve("settings.xml");
        Files.writeString(settings, settings(buildRepository()));

        // 1. What `mvn install` of usockets4j leaves in a local repository: jar, pom, sources, javadoc.
        Path base = jar.getParent().resolve(jar.getFileName().toString().replaceFirst("\\.jar$", ""));
        List<String> install = new ArrayList<>(mvn(settings, repo));
        install.addAll(List.of(INSTALL, "-Dfile=" + jar, "-DpomFile=" + Path.of("pom.xml").toAbsolutePath()));
        Path sources = Path.of(base + "-sources.jar");
        Path javadoc = Path.of(base + "-javadoc.jar");
        assertTrue(Files.isRegularFile(sources) && Files.isRegularFile(javadoc),
                "sources and javadoc jars are attached beside " + jar);
        install.add("-Dsources=" + sources);
        install.add("-Djavadoc=" + javadoc);
        BoundedProcess installed = run(work, install, 150);
        assertEquals(0, installed.exitCode, "install-file failed:\n" + installed.output);
        Path installedJar = repo.resolve("org/usockets4j/usockets4j/" + version + "/usockets4j-" + version + ".jar");
        assertTrue(Files.isRegularFile(installedJar), "not installed: " + installedJar + "\n" + installed.output);

        // 2. The consumer project, built by Maven, which resolves usockets4j from that repository.
        Path cpFile = project.resolve("target/classpath.txt");
        List<String> build = new ArrayList<>(mvn(settings, repo));
        build.addAll(List.of("-Dusockets4j.version=" + version, "package", CLASSPATH, "-Dmdep.outputFile=" + cpFile));
        BoundedProcess built = run(project, build, 150);
        assertEquals(0, built.exitCode, "the consumer project did not build:\n" + built.output);
        String classpath = Files.readString(cpFile).trim();
        assertTrue(classpath.contains(installedJar.toString()), "usockets4j not resolved from the private repository: "
                + classpath);
        Path classes = project.resolve("target/classes");

        // 3. Its program, as a user runs it: the class path, then the module path.
        BoundedProcess onClassPath = ChildJvm.run(60, List.of("-cp", classes + File.pathSeparator + classpath, MAIN));
        assertEquals(0, onClassPath.exitCode, onClassPath.toString());
        assertTrue(onClassPath.output.contains("consumer: echo ok"), onClassPath.toString());
        BoundedProcess onModulePath = ChildJvm.run(60, List.of("--module-path", classes + File.pathSeparator + classpath,
                "-m", "com.example.consumer/" + MAIN));
        assertEquals(0, onModulePath.exitCode, onModulePath.toString());
        assertTrue(onModulePath.output.contains("usockets4j is in module org.usockets4j"), onModulePath.toString());
        assertTrue(onModulePath.output.contains("consumer: echo ok"), onModulePath.toString());
    }

    /** The child Maven's command line: batch, quiet, the given settings and local repository. */
    private static List<String> mvn(Path settings, Path repo) {
        String home = System.getProperty("usockets4j.mavenHome", "");
        Path bin = home.isBlank() ? null : Path.of(home, "bin", "mvn");
        String mvn = bin != null && Files.isExecutable(bin) ? bin.toString() : "mvn";
        return List.of(mvn, "-B", "-q", "-s", settings.toString(), "-Dmaven.repo.local=" + repo);
    }

    /** The local repository of the build running this test: plugins the child Maven can copy instead of download. */
    private static Path buildRepository() {
        String repo = System.getProperty("usockets4j.localRepository", "");
        return repo.isBlank() ? Path.of(System.getProperty("user.home"), ".m2", "repository") : Path.of(repo);
    }

    /** Settings offering the build's local repository, read-only, before Maven Central; releases only. */
    private static String settings(Path buildRepository) {
        String url = buildRepository.toAbsolutePath().toUri().toString();
        String repository = "<id>build-local</id><url>" + url + "</url>"
                + "<releases><enabled>true</enabled><checksumPolicy>ignore</checksumPolicy></releases>"
                + "<snapshots><enabled>false</enabled></snapshots>";
        return "<settings><profiles><profile><id>build-local</id>"
                + "<repositories><repository>" + repository + "</repository></repositories>"
                + "<pluginRepositories><pluginRepository>" + repository + "</pluginRepository></pluginRepositories>"
                + "</profile></profiles><activeProfiles><activeProfile>build-local</activeProfile></activeProfiles>"
                + "</settings>\n";
    }

    private static BoundedProcess run(Path dir, List<String> command, long timeoutSeconds) throws Exception {
        return BoundedProcess.run(new ProcessBuilder(command).directory(dir.toFile()), timeoutSeconds);
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> walk = Files.walk(from)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                Path rel = from.relativize(p);
                if (rel.toString().startsWith("target")) {
                    continue; // a build of it by hand
                }
                Path dest = to.resolve(rel.toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(dest);
                } else {
                    Files.copy(p, dest, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : (Iterable<Path>) walk.sorted(Comparator.reverseOrder())::iterator) {
                Files.delete(p);
            }
        }
    }
}
