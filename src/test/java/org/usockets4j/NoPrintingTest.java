package org.usockets4j;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;

/**
 * The library prints nothing by itself: the Java side reports through System.Logger ("org.usockets4j") or the
 * loop's exception handler, the C side through return codes. A scan of the library's sources (not tests, examples
 * or benchmarks) for the ways to write to standard output or error.
 */
class NoPrintingTest {
    private static final Pattern JAVA = Pattern.compile("System\\s*\\.\\s*(out|err)\\b|printStackTrace\\s*\\(");
    private static final Pattern C = Pattern.compile(
            "\\b(printf|puts|putchar|perror|vprintf)\\s*\\(|\\bf(v?printf|puts|putc|write)\\s*\\(\\s*(stdout|stderr)|\\b(stdout|stderr)\\b");

    @Test
    void javaSourcesOfTheLibraryNeverWriteToStandardStreams() throws IOException {
        assertNoMatch(Path.of("src", "main", "java"), ".java", JAVA);
    }

    @Test
    void cSourcesOfTheLibraryNeverWriteToStandardStreams() throws IOException {
        assertNoMatch(Path.of("native"), ".c", C);
        assertNoMatch(Path.of("native"), ".h", C);
        assertNoMatch(Path.of("usockets", "src"), ".c", C);
        assertNoMatch(Path.of("usockets", "src"), ".h", C);
        assertNoMatch(Path.of("usockets", "include"), ".h", C);
    }

    private static void assertNoMatch(Path root, String suffix, Pattern pattern) throws IOException {
        Assertions.assertTrue(Files.isDirectory(root), "no sources at " + root.toAbsolutePath());
        List<String> hits = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path file : walk.filter(p -> p.toString().endsWith(suffix)).sorted().collect(Collectors.toList())) {
                List<String> lines = Files.readAllLines(file);
                for (int i = 0; i < lines.size(); i++) {
                    String code = stripComment(lines.get(i));
                    if (pattern.matcher(code).find()) {
                        hits.add(file + ":" + (i + 1) + ": " + lines.get(i).trim());
                    }
                }
            }
        }
        assertTrue(hits.isEmpty(), "the library must not print; found:\n" + String.join("\n", hits));
    }

    /** The line without a trailing // comment or a leading block-comment line (good enough for a scan). */
    private static String stripComment(String line) {
        String t = line.trim();
        if (t.startsWith("*") || t.startsWith("/*") || t.startsWith("//")) {
            return "";
        }
        int slash = line.indexOf("//");
        return slash >= 0 ? line.substring(0, slash) : line;
    }
}
