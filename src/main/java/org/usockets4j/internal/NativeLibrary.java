package org.usockets4j.internal;

import java.io.IOException;
import java.io.InputStream;
import java.lang.System.Logger.Level;
import java.net.URL;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Loads {@code libusockets4j} once per class loader, trying in order: the file or folder named by
 * {@code -Dusockets4j.library.path}; {@code java.library.path}; the jar entry
 * {@code META-INF/native/<os>-<arch>/libusockets4j.so}, copied to a private temporary file (folder:
 * {@code -Dusockets4j.tmpdir}, default {@code java.io.tmpdir}) that is deleted once loaded.
 */
public final class NativeLibrary {
    /** System property naming a libusockets4j file, or a folder holding one, to load before anything else. */
    public static final String PATH_PROPERTY = "usockets4j.library.path";
    /** System property naming the folder the jar's library is extracted to. */
    public static final String TMPDIR_PROPERTY = "usockets4j.tmpdir";

    private static final String NAME = "usockets4j";
    private static final System.Logger LOG = System.getLogger("org.usockets4j");
    private static final Throwable FAILURE = load();

    private NativeLibrary() {
    }

    /** Throws an UnsatisfiedLinkError describing every attempt unless the library is loaded. */
    public static void ensureLoaded() {
        if (FAILURE != null) {
            UnsatisfiedLinkError e = new UnsatisfiedLinkError(FAILURE.getMessage());
            e.initCause(FAILURE);
            throw e;
        }
    }

    /** Null when the library is loaded, else why it is not. */
    public static Throwable failure() {
        return FAILURE;
    }

    /** The running platform as the jar names it: {@code linux-x86_64}, {@code linux-aarch64}, {@code osx-aarch64}... */
    public static String platform() {
        return os() + "-" + arch();
    }

    static String os() {
        String os = System.getProperty("os.name", "unknown").toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "");
        if (os.startsWith("linux")) {
            return "linux";
        }
        if (os.startsWith("macosx") || os.startsWith("osx") || os.startsWith("darwin")) {
            return "osx";
        }
        if (os.startsWith("windows")) {
            return "windows";
        }
        if (os.startsWith("freebsd")) {
            return "freebsd";
        }
        return os;
    }

    static String arch() {
        String arch = System.getProperty("os.arch", "unknown").toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]+", "");
        switch (arch) {
            case "amd64":
            case "x86_64":
            case "x8664":
            case "x64":
                return "x86_64";
            case "aarch64":
            case "arm64":
                return "aarch64";
            default:
                return arch;
        }
    }

    private static Throwable load() {
        String platform = platform();
        String fileName = System.mapLibraryName(NAME);
        List<String> tried = new ArrayList<>();
        List<Throwable> causes = new ArrayList<>();

        // 1. The explicit override.
        String override = System.getProperty(PATH_PROPERTY);
        if (override == null || override.isBlank()) {
            tried.add("-D" + PATH_PROPERTY + ": not set");
        } else {
            Path path = Path.of(override);
            if (Files.isDirectory(path)) {
                path = path.resolve(fileName);
            }
            try {
                System.load(path.toAbsolutePath().toString());
                return null;
            } catch (Throwable t) {
                tried.add("-D" + PATH_PROPERTY + "=" + override + " -> " + path.toAbsolutePath() + ": " + t);
                causes.add(t);
                LOG.log(Level.WARNING, "usockets4j: cannot load " + path.toAbsolutePath() + " named by -D"
                        + PATH_PROPERTY + "; trying the other places", t);
            }
        }

        // 2. java.library.path.
        try {
            System.loadLibrary(NAME);
            return null;
        } catch (Throwable t) {
            tried.add("java.library.path=" + System.getProperty("java.library.path") + ": " + t.getMessage());
            causes.add(t);
        }

        // 3. The jar entry for this platform.
        String resource = "META-INF/native/" + platform + "/" + fileName;
        try {
            Path extracted = extract(resource);
            if (extracted == null) {
                tried.add("class path entry " + resource + ": not found (no build for " + platform + " in this jar)");
            } else {
                try {
                    System.load(extracted.toString());
                    return null;
                } catch (Throwable t) {
                    String hint = String.valueOf(t.getMessage()).contains("map")
                            ? " (is " + extracted.getParent() + " mounted noexec? set -D" + TMPDIR_PROPERTY + ")"
                            : "";
                    tried.add("class path entry " + resource + " extracted to " + extracted + ": " + t + hint);
                    causes.add(t);
                } finally {
                    deleteQuietly(extracted);
                }
            }
        } catch (Throwable t) {
            tried.add("class path entry " + resource + ": cannot extract it to " + extractDir()
                    + ": " + t + " (set -D" + TMPDIR_PROPERTY + " to a writable folder)");
            causes.add(t);
        }

        StringBuilder message = new StringBuilder()
                .append("usockets4j: cannot load the native library ").append(fileName)
                .append(" for platform ").append(platform).append(". Tried:");
        for (int i = 0; i < tried.size(); i++) {
            message.append("\n  ").append(i + 1).append(". ").append(tried.get(i));
        }
        message.append("\nSet -D").append(PATH_PROPERTY).append("=<file or folder> to a ").append(fileName)
                .append(" built for ").append(platform).append(" (`mvn package` builds one into target/classes/")
                .append("META-INF/native/").append(platform).append("/).");
        UnsatisfiedLinkError error = new UnsatisfiedLinkError(message.toString());
        for (Throwable cause : causes) {
            error.addSuppressed(cause);
        }
        return error;
    }

    /** Copies the resource to a fresh private file and returns it, or null when there is no such resource. */
    private static Path extract(String resource) throws IOException {
        ClassLoader loader = NativeLibrary.class.getClassLoader();
        URL url = loader == null ? ClassLoader.getSystemResource(resource) : loader.getResource(resource);
        if (url == null) {
            return null;
        }
        Path dir = Path.of(extractDir());
        Files.createDirectories(dir);
        Path file;
        if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            file = Files.createTempFile(dir, "libusockets4j-", ".so",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } else {
            file = Files.createTempFile(dir, "libusockets4j-", ".so");
        }
        try (InputStream in = url.openStream()) {
            Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException | RuntimeException e) {
            deleteQuietly(file);
            throw e;
        }
        return file.toAbsolutePath();
    }

    /** The folder the jar's library is extracted to: -Dusockets4j.tmpdir, else java.io.tmpdir. */
    private static String extractDir() {
        String dirName = System.getProperty(TMPDIR_PROPERTY);
        if (dirName == null || dirName.isBlank()) {
            dirName = System.getProperty("java.io.tmpdir");
        }
        return dirName;
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            file.toFile().deleteOnExit();
        }
    }
}
