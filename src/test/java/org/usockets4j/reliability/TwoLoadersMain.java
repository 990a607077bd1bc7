package org.usockets4j.reliability;

import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Run in a child JVM: the library's classes (args[0], with its native library inside) and the test classes
 * (args[1]) in two URLClassLoaders beside each other; each runs {@link LoaderEcho} on its own thread, at the
 * same time, three times. Prints each summary, then TWO-LOADERS-DONE.
 */
public final class TwoLoadersMain {
    private TwoLoadersMain() {
    }

    public static void main(String[] args) throws Exception {
        URL[] urls = {new java.io.File(args[0]).toURI().toURL(), new java.io.File(args[1]).toURI().toURL()};
        List<URLClassLoader> loaders = List.of(
                new URLClassLoader("first", urls, ClassLoader.getPlatformClassLoader()),
                new URLClassLoader("second", urls, ClassLoader.getPlatformClassLoader()));
        ExecutorService pool = Executors.newFixedThreadPool(2);
        List<Class<?>> loopClasses = new ArrayList<>();
        try {
            for (int round = 0; round < 3; round++) {
                List<Future<String>> results = new ArrayList<>();
                for (URLClassLoader loader : loaders) {
                    Class<?> echo = Class.forName("org.usockets4j.reliability.LoaderEcho", true, loader);
                    Class<?> loop = Class.forName("org.usockets4j.Loop", false, loader);
                    if (!loopClasses.contains(loop)) {
                        loopClasses.add(loop);
                    }
                    Method run = echo.getMethod("run", int.class);
                    results.add(pool.submit(() -> (String) run.invoke(null, 500)));
                }
                for (Future<String> r : results) {
                    System.out.println(r.get(60, TimeUnit.SECONDS));
                }
            }
            Class<?> nativeClass = Class.forName("org.usockets4j.Native", true, loaders.get(0));
            System.out.println("available in first: " + nativeClass.getMethod("isAvailable").invoke(null));
            System.out.println("distinct Loop classes: " + loopClasses.size());
        } finally {
            pool.shutdownNow();
        }
        System.out.println("TWO-LOADERS-DONE");
    }
}
