package org.usockets4j;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

import org.usockets4j.internal.Natives;
import org.usockets4j.internal.TlsNatives;

/**
 * A behaviour shared by a group of sockets of one {@link Loop}: its callbacks, its kind (plain or TLS, fixed by
 * the {@link SocketContextOptions} it was made with), its listeners and connections. Made by
 * {@link Loop#createSocketContext}. Loop thread only ({@code NOT_ON_LOOP_THREAD} otherwise; {@code CLOSED} once
 * closed), but for {@link #highWaterMark()}, {@link #isTls()}, {@link #options()}, {@link #loop()} and
 * {@link #isClosed()}, which any thread may call at any time; callbacks run on the loop thread.
 *
 * <p>Callbacks (each setter returns this; null removes the callback):
 * <ul>
 * <li>{@code onPreOpen}: an accepted descriptor before it becomes a socket (return it, or -1 to take it over);
 * <li>{@code onOpen}: a socket opened, accepted (isClient false) or connected (true), with the peer's raw
 *     address (4 or 16 bytes; empty for unix sockets);
 * <li>{@code onData}: bytes arrived; the buffer is a view of the loop's receive area, valid during the call
 *     only: copy out what must outlive it;
 * <li>{@code onWritable}: a socket whose write fell short can take more (buffered {@link Socket#send} data is
 *     written just before);
 * <li>{@code onEnd}: the peer half-closed (FIN). Without the callback the socket shuts down in turn (after
 *     buffered send data), which closes it;
 * <li>{@code onTimeout} / {@code onLongTimeout}: {@link Socket#timeout} / {@link Socket#longTimeout} expired.
 *     Without the callback the socket is closed;
 * <li>{@code onConnectError}: a connect failed (code: a positive errno, or a negative getaddrinfo EAI_ code
 *     when the name did not resolve); the socket is already closed and gets no onClose;
 * <li>{@code onClose}: the socket closed (code 0: clean; else what close(code) was given, or
 *     {@link Socket#CLOSE_CODE_CALLBACK_FAILED}); exactly once per opened socket (and per connecting socket
 *     closed by {@link Socket#close}, or by closing its context or loop: code 0). A peer's RST also arrives as
 *     onClose with code 0, without onEnd first.
 * </ul>
 * An exception from a callback goes to the loop's exception handler; the socket concerned is then closed with
 * {@link Socket#CLOSE_CODE_CALLBACK_FAILED} (for onPreOpen the descriptor goes on as a socket).
 *
 * @param <S> the ext type of the context's sockets
 */
public final class SocketContext<S> implements AutoCloseable {
    /** The longest unix-domain socket path in bytes (sun_path holds 108 with its NUL). */
    public static final int MAX_UNIX_PATH_BYTES = 107;

    /** What onPreOpen gets: the context, the accepted descriptor and the peer's raw address. */
    @FunctionalInterface
    public interface PreOpenHandler<S> {
        /** Returns fd to go on, or -1 when the callback took the descriptor over. */
        int onPreOpen(SocketContext<S> context, int fd, byte[] remoteIp);
    }

    /** What onOpen gets. */
    @FunctionalInterface
    public interface OpenHandler<S> {
        /** A socket opened: accepted (isClient false) or connected; remoteIp is 4 or 16 bytes (empty for unix). */
        void onOpen(Socket<S> socket, boolean isClient, byte[] remoteIp);
    }

    /** What onData gets. */
    @FunctionalInterface
    public interface DataHandler<S> {
        /** Bytes arrived: data's position is 0 and its limit their count; valid during this call only. */
        void onData(Socket<S> socket, ByteBuffer data);
    }

    /** What onConnectError and onClose get. */
    @FunctionalInterface
    public interface CodeHandler<S> {
        /** The socket and a code (see the class comment). */
        void on(Socket<S> socket, int code);
    }

    /** What onServerName gets (TLS contexts). */
    @FunctionalInterface
    public interface ServerNameHandler<S> {
        /**
         * A TLS client asked for hostname (its SNI) and no pattern of {@link #addServerName} matches it. The
         * handshake waits for this call: a server name added here for hostname is used at once; otherwise the
         * context's own certificate answers. Neither the context nor its sockets can be closed from here
         * (INVALID_ARGUMENT): defer it.
         */
        void onServerName(SocketContext<S> context, String hostname);
    }

    private final Loop<?> loop;
    private final LoopTcp tcp;
    private final SocketContextOptions options;
    final int ssl;
    private long handle;
    int slot;
    int generation;
    private final List<ListenSocket> listeners = new ArrayList<>();
    private boolean closed;
    private int highWaterMark;

    PreOpenHandler<S> onPreOpen;
    OpenHandler<S> onOpen;
    DataHandler<S> onData;
    Consumer<? super Socket<S>> onWritable;
    Consumer<? super Socket<S>> onEnd;
    Consumer<? super Socket<S>> onTimeout;
    Consumer<? super Socket<S>> onLongTimeout;
    CodeHandler<S> onConnectError;
    CodeHandler<S> onClose;
    ServerNameHandler<S> onServerName;
    private boolean inServerName;

    SocketContext(Loop<?> loop, LoopTcp tcp, SocketContextOptions options) {
        this.loop = loop;
        this.tcp = tcp;
        this.options = options;
        this.ssl = options.ssl();
        this.highWaterMark = options.highWaterMark();
    }

    void bind(long handle, int slot, int generation) {
        this.handle = handle;
        this.slot = slot;
        this.generation = generation;
    }

    // ---------------------------------------------------------------- callbacks

    /** Sets onPreOpen: sees accepted descriptors before they become sockets. */
    public SocketContext<S> onPreOpen(PreOpenHandler<S> handler) {
        checkAccess();
        onPreOpen = handler;
        return this;
    }

    /** Sets onOpen: a socket was accepted or connected. */
    public SocketContext<S> onOpen(OpenHandler<S> handler) {
        checkAccess();
        onOpen = handler;
        return this;
    }

    /** Sets onData: bytes arrived (the buffer is valid during the call only). */
    public SocketContext<S> onData(DataHandler<S> handler) {
        checkAccess();
        onData = handler;
        return this;
    }

    /** Sets onWritable: a socket whose write fell short can take more. */
    public SocketContext<S> onWritable(Consumer<? super Socket<S>> handler) {
        checkAccess();
        onWritable = handler;
        return this;
    }

    /** Sets onEnd: the peer half-closed. */
    public SocketContext<S> onEnd(Consumer<? super Socket<S>> handler) {
        checkAccess();
        onEnd = handler;
        return this;
    }

    /** Sets onTimeout: a socket's {@link Socket#timeout} expired. */
    public SocketContext<S> onTimeout(Consumer<? super Socket<S>> handler) {
        checkAccess();
        onTimeout = handler;
        return this;
    }

    /** Sets onLongTimeout: a socket's {@link Socket#longTimeout} expired. */
    public SocketContext<S> onLongTimeout(Consumer<? super Socket<S>> handler) {
        checkAccess();
        onLongTimeout = handler;
        return this;
    }

    /** Sets onConnectError: a connect failed (refused, unreachable, name not resolved). */
    public SocketContext<S> onConnectError(CodeHandler<S> handler) {
        checkAccess();
        onConnectError = handler;
        return this;
    }

    /** Sets onClose: a socket closed. */
    public SocketContext<S> onClose(CodeHandler<S> handler) {
        checkAccess();
        onClose = handler;
        return this;
    }

    // ---------------------------------------------------------------- TLS server names (SNI)

    /**
     * Serves TLS clients asking for a host name matching pattern with the certificate and key of options
     * (made by {@link SocketContextOptions#tls(Path, Path)}; its caFile, if any, then decides client verification
     * for that name). A pattern is a host name ("api.example.test") or a wildcard of one label
     * ("*.example.test", matching "a.example.test" but not "example.test" nor "a.b.example.test"). Adding a
     * pattern again replaces it. TLS contexts only (INVALID_ARGUMENT otherwise); SOCKET_CONTEXT_CREATION naming
     * the file and OpenSSL's reason when the material cannot be loaded (nothing is added then). Allowed inside
     * {@link #onServerName} for the name being asked.
     */
    public SocketContext<S> addServerName(String pattern, SocketContextOptions options) {
        checkAccess();
        checkServerName(pattern);
        Objects.requireNonNull(options, "options");
        if (!options.isTls() || options.certFile() == null || options.keyFile() == null) {
            throw new UsException(UsException.Kind.INVALID_ARGUMENT,
                    "a server name needs TLS options with a certificate and key: SocketContextOptions.tls(cert, key)");
        }
        options.checkTlsFiles();
        int r = TlsNatives.contextAddServerName(handle, pattern, SocketContextOptions.pathString(options.keyFile()),
                SocketContextOptions.pathString(options.certFile()), options.passphrase(),
                SocketContextOptions.pathString(options.dhParamsFile()),
                SocketContextOptions.pathString(options.caFile()), options.ciphers(), options.lowMemory());
        if (r != 0) {
            String why = r == -1 ? Natives.contextLastError() : null;
            throw new UsException(UsException.Kind.SOCKET_CONTEXT_CREATION, "cannot add the server name " + pattern
                    + ": " + SocketContextOptions.explainTlsError(why));
        }
        return this;
    }

    /** Stops serving pattern (exactly as it was added); handshakes that already chose it are not affected. */
    public SocketContext<S> removeServerName(String pattern) {
        checkAccess();
        checkServerName(pattern);
        TlsNatives.contextRemoveServerName(handle, pattern);
        return this;
    }

    /** True when exactly this pattern was added (and not removed since). */
    public boolean hasServerName(String pattern) {
        checkAccess();
        checkServerName(pattern);
        return TlsNatives.contextHasServerName(handle, pattern);
    }

    /**
     * Sets onServerName: a client asked for a host name no pattern matches; the handler may
     * {@link #addServerName} it before the handshake goes on (see {@link ServerNameHandler}). Null removes it.
     * TLS contexts only (INVALID_ARGUMENT otherwise).
     */
    public SocketContext<S> onServerName(ServerNameHandler<S> handler) {
        checkAccess();
        requireTlsContext("onServerName");
        onServerName = handler;
        TlsNatives.contextOnServerName(handle, handler != null);
        return this;
    }

    /** Upcall (through LoopCore): an unknown SNI name during a handshake; exceptions go to the loop's handler. */
    void serverNameRequested(String hostname) {
        ServerNameHandler<S> h = onServerName;
        if (h != null && !closed) {
            inServerName = true;
            try {
                h.onServerName(this, hostname);
            } catch (Throwable t) {
                loop.report(t); // here, while inServerName holds: a handler closing the loop must not free this context
            } finally {
                inServerName = false;
            }
        }
    }

    private void checkServerName(String pattern) {
        requireTlsContext("server names");
        if (pattern == null || pattern.isEmpty() || pattern.indexOf('\0') >= 0) {
            throw new UsException(UsException.Kind.INVALID_ARGUMENT,
                    "invalid server name pattern " + (pattern == null ? "null" : "\"" + pattern + "\""));
        }
    }

    private void requireTlsContext(String what) {
        if (ssl != 1) {
            throw new UsException(UsException.Kind.INVALID_ARGUMENT, what + " apply to TLS contexts only");
        }
    }

    // ---------------------------------------------------------------- listening

    /** Listens on host (null: every interface, IPv6 and IPv4) and port (0: the kernel picks), sharing the port. */
    public ListenSocket listen(String host, int port) {
        return listen(host, port, false);
    }

    /**
     * Listens on host and port; exclusive = true refuses to share the port (no SO_REUSEPORT), so a second
     * listener on it fails. LISTEN_FAILED (with the reason) when the port cannot be bound, INVALID_ARGUMENT for
     * a port out of range, INVALID_HOST for an empty host.
     */
    public ListenSocket listen(String host, int port, boolean exclusive) {
        checkAccess();
        checkPort(port);
        if (host != null && (host.isEmpty() || host.indexOf('\0') >= 0)) {
            throw new UsException(UsException.Kind.INVALID_HOST, "invalid host \"" + host + "\"");
        }
        long ls = Natives.contextListen(ssl, handle, host, port, exclusive ? 1 : 0);
        if (ls <= 0) {
            throw listenFailed((host == null ? "*" : host) + ":" + port, ls);
        }
        return addListener(ls, port != 0 ? port : Natives.socketLocalPort(ssl, ls));
    }

    /** Listens on a unix-domain socket at path (a stale socket file there is replaced). */
    public ListenSocket listenUnix(Path path) {
        checkAccess();
        String p = unixPath(path);
        long ls = Natives.contextListenUnix(ssl, handle, p, 0);
        if (ls <= 0) {
            throw listenFailed(p, ls);
        }
        return addListener(ls, -1);
    }

    // ---------------------------------------------------------------- connecting

    /** Connects to host (address or name, resolved off the loop thread) and port; see {@link #connect(String, int, String)}. */
    public Socket<S> connect(String host, int port) {
        return connect(host, port, null);
    }

    /**
     * Starts a connect from sourceHost (a local address, or null) to host:port and returns the connecting socket
     * at once; onOpen (isClient true) or onConnectError follows. {@link Socket#timeout} on the returned socket
     * works as a connect timeout (onTimeout while connecting; set the idle timeout you want, or 0, in onOpen, as
     * the one set here keeps running). INVALID_HOST for a null or empty host, INVALID_ARGUMENT for a bad port,
     * NETWORK_OPERATION when the connect fails at once (no descriptors, bad source address).
     */
    public Socket<S> connect(String host, int port, String sourceHost) {
        checkAccess();
        if (host == null || host.isEmpty() || host.indexOf('\0') >= 0) {
            throw new UsException(UsException.Kind.INVALID_HOST, "invalid host " + (host == null ? "null" : "\"" + host + "\""));
        }
        if (sourceHost != null && (sourceHost.isEmpty() || sourceHost.indexOf('\0') >= 0)) {
            throw new UsException(UsException.Kind.INVALID_HOST, "invalid source host \"" + sourceHost + "\"");
        }
        checkPort(port);
        Socket<S> s = tcp.newSocket(this);
        long h = Natives.contextConnect(ssl, handle, host, port, sourceHost, s.slot, s.generation);
        return tcp.bound(s, h, host + ":" + port);
    }

    /** Connects to a unix-domain socket at path; as {@link #connect(String, int, String)}. */
    public Socket<S> connectUnix(Path path) {
        checkAccess();
        String p = unixPath(path);
        Socket<S> s = tcp.newSocket(this);
        long h = Natives.contextConnectUnix(ssl, handle, p, s.slot, s.generation);
        return tcp.bound(s, h, p);
    }

    // ---------------------------------------------------------------- adoption

    /**
     * Moves a live socket of this loop into this context (a protocol upgrade): from now on this context's
     * callbacks see it. The same Socket object is returned, typed for this context; its ext starts empty,
     * its timeouts are cleared, buffered send data and read pausing stay. Both contexts must be of one kind
     * (INVALID_ARGUMENT otherwise). Allowed inside a callback of the socket.
     */
    public <T> Socket<S> adopt(Socket<T> socket) {
        checkAccess();
        Objects.requireNonNull(socket, "socket");
        if (socket.isClosed()) {
            throw new UsException(UsException.Kind.CLOSED, "the socket is closed");
        }
        if (socket.loop() != loop) {
            throw new UsException(UsException.Kind.INVALID_ARGUMENT, "the socket belongs to another loop");
        }
        if (socket.ssl != ssl) {
            throw new UsException(UsException.Kind.INVALID_ARGUMENT,
                    "a " + (socket.ssl == 1 ? "TLS" : "plain") + " socket cannot move into a "
                            + (ssl == 1 ? "TLS" : "plain") + " context");
        }
        if (!socket.isEstablished()) {
            throw new UsException(UsException.Kind.INVALID_ARGUMENT, "a connecting socket cannot be adopted");
        }
        socket.uncork(); // corked bytes leave before the move, as if they had been written at once
        long moved = Natives.contextAdopt(ssl, handle, socket.handle);
        if (moved == 0) {
            throw new UsException(UsException.Kind.ALLOCATION_FAILED, "us_socket_context_adopt_socket failed");
        }
        socket.moved(moved, this);
        @SuppressWarnings("unchecked")
        Socket<S> same = (Socket<S>) socket;
        return same;
    }

    // ---------------------------------------------------------------- state

    /** The high-water mark new sockets of this context start with. */
    public int highWaterMark() {
        return highWaterMark;
    }

    /** Sets the high-water mark (bytes, at least 1) new sockets of this context start with. */
    public SocketContext<S> highWaterMark(int bytes) {
        checkAccess();
        if (bytes < 1) {
            throw new UsException(UsException.Kind.INVALID_ARGUMENT, "highWaterMark must be >= 1, was " + bytes);
        }
        highWaterMark = bytes;
        return this;
    }

    /** True for a TLS context. */
    public boolean isTls() {
        return ssl == 1;
    }

    /** The options the context was made with. */
    public SocketContextOptions options() {
        return options;
    }

    /** The loop the context belongs to. */
    public Loop<?> loop() {
        return loop;
    }

    /** True once closed. */
    public boolean isClosed() {
        return closed;
    }

    /**
     * Closes every listener and socket of the context (each socket's onClose runs, code 0) and frees it; a
     * second close does nothing. Allowed inside the context's own callbacks.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        loop.checkThread();
        closeNow();
    }

    @Override
    public String toString() {
        return "SocketContext[" + (ssl == 1 ? "tls" : "plain") + (closed ? ", closed" : "") + "]";
    }

    // ---------------------------------------------------------------- package-private machinery

    void closeNow() {
        if (inServerName) { // OpenSSL is inside the handshake of one of its sockets: freeing it now would crash
            throw new UsException(UsException.Kind.INVALID_ARGUMENT,
                    "a context cannot be closed inside its onServerName; defer the close");
        }
        closed = true;
        for (ListenSocket l : listeners) {
            l.markClosed();
        }
        listeners.clear();
        try {
            Natives.contextClose(ssl, handle); // onClose of every socket runs in here
        } finally {
            Natives.contextFree(ssl, handle);
            tcp.contexts.remove(slot, generation);
        }
    }

    /** True while its onServerName runs (OpenSSL is inside a handshake of this context: it cannot be freed now). */
    boolean isInServerName() {
        return inServerName;
    }

    void forget(ListenSocket l) {
        listeners.remove(l);
    }

    private ListenSocket addListener(long ls, int port) {
        ListenSocket l = new ListenSocket(this, ls, port);
        listeners.add(l);
        return l;
    }

    private void checkAccess() {
        if (closed) {
            throw new UsException(UsException.Kind.CLOSED, "the socket context is closed");
        }
        loop.checkThread();
    }

    private static void checkPort(int port) {
        if (port < 0 || port > 65535) {
            throw new UsException(UsException.Kind.INVALID_ARGUMENT, "port must be 0..65535, was " + port);
        }
    }

    private static String unixPath(Path path) {
        Objects.requireNonNull(path, "path");
        String p = path.toString();
        int bytes = p.getBytes(StandardCharsets.UTF_8).length;
        if (bytes == 0 || bytes > MAX_UNIX_PATH_BYTES || p.indexOf('\0') >= 0) {
            throw new UsException(UsException.Kind.INVALID_ARGUMENT, "a unix socket path must have 1.."
                    + MAX_UNIX_PATH_BYTES + " bytes, " + p + " has " + bytes);
        }
        return p;
    }

    private static UsException listenFailed(String where, long code) {
        String why = code < 0 ? Natives.strerror((int) -code) + " (errno " + -code + ")" : "unknown reason";
        return new UsException(UsException.Kind.LISTEN_FAILED, "cannot listen on " + where + ": " + why);
    }
}
