package org.usockets4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
 * Every public type, constructor, method and field of the API package has a doc comment. The build's javadoc runs
 * doclint without its "missing" group (one-line comments need no @param/@return per argument), so this runs the
 * JDK's javadoc with doclint's missing checks and fails on any "no comment" it reports.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class JavadocCoverageTest {

    @Test
    void everyPublicElementHasADocComment(@TempDir Path out) throws Exception {
        Path api = Path.of("src", "main", "java", "org", "usockets4j");
        Path javadoc = Path.of(System.getProperty("java.home"), "bin", "javadoc");
        org.junit.jupiter.api.Assertions.assertTrue(Files.isDirectory(api), "no sources at " + api.toAbsolutePath());
        org.junit.jupiter.api.Assertions.assertTrue(Files.isExecutable(javadoc), "no javadoc in " + javadoc);
        List<String> command = new ArrayList<>(List.of(javadoc.toString(), "-quiet", "-Xdoclint:missing",
                "-Xmaxwarns", "100000", "-sourcepath", Path.of("src", "main", "java").toString(), "-d", out.toString()));
        try (Stream<Path> files = Files.list(api)) {
            command.addAll(files.filter(p -> p.toString().endsWith(".java")).map(Path::toString).sorted()
                    .collect(Collectors.toList()));
        }
        BoundedProcess javadocRun = BoundedProcess.run(new ProcessBuilder(command), 90);
        String output = javadocRun.output;
        assertEquals(0, javadocRun.exitCode, output);
        List<String> uncommented = output.lines().filter(l -> l.contains("warning: no comment"))
                .collect(Collectors.toList());
        assertTrue(uncommented.isEmpty(), "public elements without a doc comment:\n" + String.join("\n", uncommented));
    }
}
