package org.usockets4j.reliability;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import org.usockets4j.ListenSocket;
import org.usockets4j.Loop;
import org.usockets4j.Socket;
import org.usockets4j.SocketContext;
import org.usockets4j.SocketContextOptions;
import org.usockets4j.Timer;

/**
 * The child JVM of {@link ChurnIT}: one loop that is both the servers (TCP and TLS echo, each closing after its
 * echo) and the clients, churning {@code total} connections, at most {@code CONCURRENT} at a time, in a fixed mix
 * per 1 000: TLS echo, TLS with the wrong CA (the client refuses the server), garbage at the TLS port (the server
 * refuses the client), a connect to a port nobody listens on, and plain TCP echo for the rest. After
 * {@code warmup} connections and at the end, with nothing in flight, it samples VmRSS and the open descriptors,
 * and prints one line: {@code CHURN key=value ...}. Exits 1 when a connection's story is not what its kind promises (an echo missing, a bad handshake that got data, a refused connect that opened).
 *
 * <p>Why the warm-up is long (100 000 in ChurnIT): the process's RSS climbs to a plateau over the first ~100 000
 * connections (the JIT compiling the TLS paths, malloc's arenas reaching their high-water mark) and then stays
 * there: measured on a busy 2-core box, RSS sampled every 40 000 connections of an 800 000-connection run sat at
 * 146.4-146.8 MiB from 200 000 on, dipping when malloc trimmed. (A leak of 20 bytes per
 * connection would add 2 MiB over the measured 100 000.)
 *
 * <p>Arguments: certificate folder (ca.pem, otherCa.pem, server.pem, server.key), total, warmup.
 */
public final class ChurnMain {
    static final int CONCURRENT = 48;
    /** The mix, per 1 000 connections. */
    static final int TLS = 20, WRONG_CA = 5, GARBAGE = 5, REFUSED = 60;

    private enum Kind { TCP, TLS, WRONG_CA, GARBAGE, REFUSED }

    private static final class Conn {
        final Kind kind;
        boolean opened, echoed;

        Conn(Kind kind) {
            this.kind = kind;
        }
    }

    private final Loop<Void> loop = Loop.create();
    private final int total, warmup;
    private int started, finished, inFlight, tcpPort, tlsPort, closedPort;
    private final long[] perKind = new long[Kind.values().length];
    private final long[] failedAsPromised = new long[Kind.values().length];
    private SocketContext<Conn> tcpClient, tlsClient, wrongCaClient;
    private ListenSocket tcpListen, tlsListen;
    private SocketContext<Boolean> tcpServer, tlsServer;
    private long rssWarm, rssEnd, fdsWarm, fdsEnd, fdsBefore;
    private long warmNanos, endNanos, startNanos;
    private boolean warmedUp;
    private String failure;
    private final byte[] ping = {'p', 'i', 'n', 'g'};
    private final byte[] junk = new byte[200];

    private ChurnMain(int total, int warmup) {
        this.total = total;
        this.warmup = warmup;
        for (int i = 0; i < junk.length; i++) {
            junk[i] = (byte) (i * 37 + 0x41); // not a TLS record
        }
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        ChurnMain m = new ChurnMain(Integer.parseInt(args[1]), Integer.parseInt(args[2]));
        m.fdsBefore = fds();
        m.run(dir);
        System.exit(m.failure == null ? 0 : 1);
    }

    private void run(Path dir) {
        loop.exceptionHandler(t -> fail("callback threw " + t));
        tcpServer = loop.createSocketContext(SocketContextOptions.plain());
        tlsServer = loop.createSocketContext(SocketContextOptions.tls(dir.resolve("server.pem"), dir.resolve("server.key")));
        for (SocketContext<Boolean> server : java.util.List.of(tcpServer, tlsServer)) {
            server.onData((s, data) -> {
                s.send(data);
                if (s.bufferedAmount() == 0) {
                    s.close();
                } else {
                    s.setExt(Boolean.TRUE); // close once onWritable finds it all written
                }
            });
            server.onWritable(s -> {
                if (s.ext() != null && s.bufferedAmount() == 0) {
                    s.close();
                }
            });
            server.onEnd(s -> s.close());
            server.onTimeout(s -> s.close());
            server.onOpen((s, isClient, ip) -> s.timeout(30));
        }
        tcpListen = tcpServer.listen("127.0.0.1", 0);
        tlsListen = tlsServer.listen("127.0.0.1", 0);
        tcpPort = tcpListen.port();
        tlsPort = tlsListen.port();
        ListenSocket gone = tcpServer.listen("127.0.0.1", 0, true);
        closedPort = gone.port();
        gone.close();

        tcpClient = client(SocketContextOptions.plain());
        tlsClient = client(SocketContextOptions.tls().caFile(dir.resolve("ca.pem")));
        wrongCaClient = client(SocketContextOptions.tls().caFile(dir.resolve("otherCa.pem")));

        startNanos = System.nanoTime();
        Timer<Void> kick = loop.createTimer();
        kick.set(1, 0, t -> {
            t.close();
            fill();
        });
        loop.run();
        endNanos = System.nanoTime();
        tcpClient.close();
        tlsClient.close();
        wrongCaClient.close();
        tcpServer.close();
        tlsServer.close();
        loop.close();
        long fdsClosed = fds();
        double seconds = (endNanos - startNanos) / 1e9;
        System.out.printf("CHURN connections=%d tcp=%d tls=%d wrongCa=%d garbage=%d refused=%d warmup=%d"
                + " rssWarmKiB=%d rssEndKiB=%d rssGrowthKiB=%d fdsWarm=%d fdsEnd=%d fdsBefore=%d fdsAfterClose=%d"
                + " seconds=%.1f afterWarmupSeconds=%.1f%n",
                finished, perKind[0], perKind[1], perKind[2], perKind[3], perKind[4], warmup, rssWarm, rssEnd,
                rssEnd - rssWarm, fdsWarm, fdsEnd, fdsBefore, fdsClosed, seconds, (endNanos - warmNanos) / 1e9);
        if (failure != null) {
            System.out.println("FAILED " + failure);
        }
        System.out.flush();
    }

    private SocketContext<Conn> client(SocketContextOptions options) {
        SocketContext<Conn> c = loop.createSocketContext(options);
        c.onOpen((s, isClient, ip) -> {
            Conn conn = s.requireExt();
            conn.opened = true;
            if (conn.kind == Kind.REFUSED) {
                fail("a connect to a closed port opened");
            }
            // send(): a TLS socket may take nothing before its handshake is done; send keeps it for onWritable
            if (conn.kind == Kind.GARBAGE) {
                s.send(junk, 0, junk.length);
            } else {
                s.send(ping, 0, ping.length);
            }
        });
        c.onData((s, data) -> {
            Conn conn = s.requireExt();
            if (conn.kind == Kind.WRONG_CA) {
                fail("a client that cannot verify the server got data");
            }
            if (conn.kind == Kind.TCP || conn.kind == Kind.TLS) {
                conn.echoed |= data.remaining() == 4 && data.get(0) == 'p';
            }
        });
        c.onEnd(s -> s.close());
        c.onTimeout(s -> {
            Conn conn = s.requireExt();
            fail("a client waited 30 s: " + conn.kind + (conn.opened ? " (opened" : " (not opened") + ", buffered "
                    + s.bufferedAmount() + ", echoed " + conn.echoed + ")");
            s.close();
        });
        c.onConnectError((s, code) -> {
            Conn conn = s.requireExt();
            if (conn.kind != Kind.REFUSED) {
                fail("connect error " + code + " for " + conn.kind);
            }
            done(conn, true);
        });
        c.onClose((s, code) -> {
            Conn conn = s.requireExt();
            boolean asPromised = switch (conn.kind) {
                case TCP, TLS -> conn.echoed;
                case WRONG_CA, GARBAGE -> true;
                case REFUSED -> false;
            };
            if (!asPromised) {
                fail(conn.kind + " closed (code " + code + ") without its echo");
            }
            done(conn, asPromised);
        });
        return c;
    }

    private void done(Conn conn, boolean asPromised) {
        finished++;
        inFlight--;
        if (asPromised) {
            failedAsPromised[conn.kind.ordinal()]++;
        }
        if (inFlight == 0 && ((!warmedUp && started == warmup) || started == total)) {
            // sample at a quiet point: the next iteration, after closed sockets were freed
            Timer<Void> t = loop.createTimer();
            t.set(20, 0, timer -> {
                timer.close();
                sample();
            });
            return;
        }
        fill();
    }

    private void sample() {
        if (!warmedUp) {
            warmedUp = true;
            System.gc(); // whatever the warm-up left for the collector goes before the first sample
            rssWarm = rss();
            fdsWarm = fds();
            warmNanos = System.nanoTime();
            fill();
        } else {
            System.gc();
            rssEnd = rss();
            fdsEnd = fds();
            tcpListen.close();
            tlsListen.close();
        }
    }

    private void fill() {
        int limit = warmedUp ? total : warmup;
        while (inFlight < CONCURRENT && started < limit && failure == null) {
            int slot = (int) ((started * 7919L) % 1000); // a permutation of 0..999: each kind spread evenly
            Kind kind = slot < TLS ? Kind.TLS
                    : slot < TLS + WRONG_CA ? Kind.WRONG_CA
                    : slot < TLS + WRONG_CA + GARBAGE ? Kind.GARBAGE
                    : slot < TLS + WRONG_CA + GARBAGE + REFUSED ? Kind.REFUSED
                    : Kind.TCP;
            started++;
            inFlight++;
            perKind[kind.ordinal()]++;
            SocketContext<Conn> ctx = switch (kind) {
                case TLS -> tlsClient;
                case WRONG_CA -> wrongCaClient;
                default -> tcpClient;
            };
            int port = switch (kind) {
                case TLS, WRONG_CA, GARBAGE -> tlsPort;
                case REFUSED -> closedPort;
                case TCP -> tcpPort;
            };
            Socket<Conn> s = ctx.connect("127.0.0.1", port);
            s.setExt(new Conn(kind));
            s.timeout(30);
        }
        if (failure != null && inFlight == 0) {
            tcpListen.close();
            tlsListen.close();
        }
    }

    private void fail(String why) {
        if (failure == null) {
            failure = why;
        }
    }

    /** VmRSS of this process, in KiB. */
    static long rss() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.substring(6).trim().split("\\s+")[0]);
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        throw new IllegalStateException("no VmRSS in /proc/self/status");
    }

    /** Open descriptors of this process. */
    static long fds() {
        try (Stream<Path> list = Files.list(Path.of("/proc/self/fd"))) {
            return list.count() - 1; // the one this listing holds
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
