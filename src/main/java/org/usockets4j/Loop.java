package org.usockets4j;

import java.lang.System.Logger.Level;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import org.usockets4j.internal.DeferQueue;
import org.usockets4j.internal.Natives;
import org.usockets4j.internal.SlotTable;

/**
 * One event loop: timers (and later sockets) live on it and their callbacks run on the thread
 * inside {@link #run()}. Threads: before {@code run()} the creating thread sets the loop up; while
 * it runs only its thread may touch the loop and its objects (others get
 * {@code UsException(NOT_ON_LOOP_THREAD)}); the thread-safe door is {@link #handle()}. Calls on a
 * closed loop throw {@code UsException(CLOSED)}. Nothing of this reaches native code.
 *
 * <p>{@link #close()} from the loop thread while running closes what the loop owns at once, takes no
 * more deferred callbacks, and frees the loop when {@code run()} returns. From another thread while
 * it runs, close() is refused: defer it ({@code handle().defer(Loop::close)}). Close every loop you
 * create (it is AutoCloseable): the native side holds it, so an unclosed loop is never collected.
 *
 * @param <T> the type of the loop's ext
 */
public final class Loop<T> implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("org.usockets4j");
    private static final int IDLE = 0;
    private static final int RUNNING = 1;
    private static final int CLOSING = 2;
    private static final int CLOSED = 3;

    private static final Consumer<Throwable> LOG_AND_GO_ON =
            t -> LOG.log(Level.ERROR, "usockets4j: a loop callback threw; the loop goes on", t);

    private final AtomicInteger state = new AtomicInteger(IDLE);
    private final long address;
    private final LoopCore core;
    private final DeferQueue defers;
    private final LoopHandle<T> handle;
    final SlotTable<Timer<?>> timers = new SlotTable<>();
    final LoopStats stats = new LoopStats();
    final LoopTcp tcp = new LoopTcp(this);
    final LoopUdp udp = new LoopUdp(this);
    final LoopEvents events = new LoopEvents(this, tcp);

    private volatile Thread owner;
    private volatile boolean closing;
    private volatile Consumer<? super Throwable> exceptionHandler = LOG_AND_GO_ON;
    private Consumer<? super Loop<T>> preHook;
    /** True while LoopCore.onPost does the next iteration's pre work (loop thread). */
    boolean preWorkInPost;
    /** True while LoopCore.onPost runs after loopRunOnce returned, the iteration counted already (loop thread). */
    private boolean postAfterCount;
    private Consumer<? super Loop<T>> postHook;
    private T ext;

    private Loop(T ext) {
        this.ext = ext;
        this.owner = Thread.currentThread();
        this.core = new LoopCore(this);
        // the receive areas are Java's (see LoopTcp.receiveArea): a view kept past close() never outlives them
        long loop = Natives.loopCreate(core, tcp.receiveArea(0),
                Natives.tlsAvailable() ? tcp.receiveArea(1) : null, events.area());
        if (loop == 0) {
            throw new UsException(UsException.Kind.LOOP_CREATION, "us_create_loop failed (out of descriptors or memory?)");
        }
        this.address = loop;
        tcp.writes.attach(loop);
        this.defers = new DeferQueue(() -> Natives.loopWakeup(loop));
        this.handle = new LoopHandle<>(this, defers);
    }

    /** A new loop owned by the calling thread; UnsatisfiedLinkError when the native library cannot load. */
    public static <T> Loop<T> create() {
        return create(null);
    }

    /** A new loop with ext as its user data, owned by the calling thread. */
    public static <T> Loop<T> create(T ext) {
        Natives.ensureLoaded();
        return new Loop<>(ext);
    }

    /** The thread-safe handle of this loop (always the same object). */
    public LoopHandle<T> handle() {
        return handle;
    }

    /** Shorthand for {@code handle().defer(callback)}. */
    public void defer(Consumer<? super Loop<T>> callback) {
        handle.defer(callback);
    }

    /** The loop's user data, or null. */
    public T ext() {
        return ext;
    }

    /** The loop's user data; UsException(EXT_MISSING) when none was set. */
    public T requireExt() {
        if (ext == null) {
            throw new UsException(UsException.Kind.EXT_MISSING, "the loop has no ext; pass it to create() or call setExt");
        }
        return ext;
    }

    /** Sets the loop's user data (loop thread). */
    public void setExt(T ext) {
        checkAccess();
        this.ext = ext;
    }

    /** A timer that keeps run() going while it is armed. */
    public <E> Timer<E> createTimer() {
        return createTimer(false);
    }

    /** A timer; a fallthrough timer does not keep run() going even when armed. */
    public <E> Timer<E> createTimer(boolean fallthrough) {
        checkAccess();
        Timer<E> timer = new Timer<>(this);
        int slot = timers.add(timer);
        int generation = timers.generation(slot);
        long t = Natives.timerCreate(address, fallthrough, slot, generation);
        if (t == 0) {
            timers.remove(slot, generation);
            throw new UsException(UsException.Kind.TIMER_CREATION, "us_create_timer failed (out of descriptors or memory?)");
        }
        timer.bind(t, slot, generation);
        return timer;
    }

    /**
     * A UDP socket bound to host (an address or name of this machine; null: every interface, IPv6 and IPv4) and
     * port (0: the kernel picks, see {@link UdpSocket#port()}). onData gets each received batch (null: ignore
     * them); onDrain (may be null) follows a send that went out partly. INVALID_HOST when host is no address of
     * this machine, LISTEN_FAILED when the port is taken.
     */
    public <E> UdpSocket<E> createUdpSocket(String host, int port, UdpSocket.DataHandler<E> onData,
                                            Consumer<? super UdpSocket<E>> onDrain) {
        checkAccess();
        return udp.createSocket(address, host, port, onData, onDrain);
    }

    /** A packet buffer to build batches in, freed by its close() or with the loop. */
    public UdpPacketBuffer createUdpPacketBuffer() {
        checkAccess();
        return udp.createUserBuffer();
    }

    /**
     * A socket context (TCP, or TLS when the options say so) whose sockets live on this loop; it is closed with
     * the loop. SOCKET_CONTEXT_CREATION when it cannot be made (TLS: with OpenSSL's reason).
     */
    public <S> SocketContext<S> createSocketContext(SocketContextOptions options) {
        Objects.requireNonNull(options, "options");
        checkAccess();
        return tcp.createContext(address, options);
    }

    /**
     * Runs the loop on the calling thread (which becomes its thread) until nothing keeps it alive and
     * no deferred callback waits. LOOP_ALREADY_RUNNING if it runs already, CLOSED once closed.
     */
    public void run() {
        for (;;) {
            int s = state.get();
            if (s == RUNNING) {
                throw new UsException(UsException.Kind.LOOP_ALREADY_RUNNING, "the loop is already running");
            }
            if (s != IDLE) {
                throw new UsException(UsException.Kind.CLOSED, "the loop is closed");
            }
            if (state.compareAndSet(IDLE, RUNNING)) {
                break;
            }
        }
        owner = Thread.currentThread();
        stats.enterRun();
        try {
            do {
                defers.drain(core);
                if (closing) {
                    break;
                }
                runIterations();
            } while (!closing && defers.hasPending());
        } finally {
            stats.leaveRun();
            if (closing) {
                state.set(CLOSING);
                finishClose();
            } else {
                state.set(IDLE);
            }
        }
    }

    /**
     * Drives the native loop one iteration at a time until nothing keeps it alive: the pre work before an
     * iteration, its queued events, the post hook and the next pre work after it (LoopCore.onPost) run here,
     * between downcalls (an upcall from a pre or post callback costs several times a downcall).
     */
    private void runIterations() {
        if (!Natives.loopAlive(address)) {
            return;
        }
        core.onPre();
        while (Natives.loopRunOnce(address) != 0) {
            postAfterCount = true;
            boolean more;
            try {
                more = core.onPost();
            } finally {
                postAfterCount = false;
            }
            if (!more) {
                break;
            }
        }
    }

    /** Iterations the loop completed since it was created (loop thread). */
    public long iteration() {
        checkAccess();
        // the post work runs after the core counted the iteration done, the next pre work counts as the next one's
        return Natives.loopIteration(address) - (postAfterCount ? 1 : 0) + (preWorkInPost ? 1 : 0);
    }

    /**
     * A snapshot of the loop's counters: open sockets, accepted, connected and closed totals, bytes in and out,
     * and iteration lag (see {@link LoopMetrics}). Any thread, any time (also once closed): it reads what the loop
     * thread published and never waits for it.
     */
    public LoopMetrics metrics() {
        return stats.snapshot();
    }

    /** Calls hook before each iteration's event dispatch (null removes it). */
    public Loop<T> onPre(Consumer<? super Loop<T>> hook) {
        checkAccess();
        this.preHook = hook;
        return this;
    }

    /** Calls hook after each iteration's event dispatch (null removes it). */
    public Loop<T> onPost(Consumer<? super Loop<T>> hook) {
        checkAccess();
        this.postHook = hook;
        return this;
    }

    /** Who gets what callbacks throw (default: logged through System.Logger "org.usockets4j"); any thread. */
    public Loop<T> exceptionHandler(Consumer<? super Throwable> handler) {
        this.exceptionHandler = Objects.requireNonNull(handler, "handler");
        return this;
    }

    /** True when the calling thread is the loop's thread (the one running it, or its owner while it is not running). */
    public boolean isOnLoopThread() {
        return Thread.currentThread() == owner;
    }

    /** True while a thread is inside run() and the loop is not closing. */
    public boolean isRunning() {
        return state.get() == RUNNING && !closing;
    }

    /** True once close() was called. */
    public boolean isClosed() {
        int s = state.get();
        return s == CLOSING || s == CLOSED || closing;
    }

    /**
     * Closes the loop and everything it owns; callbacks deferred before still run, later defers throw
     * LOOP_NOT_RUNNING; a second close does nothing. Not running: done on return (from any thread).
     * From a callback of the running loop: owned objects close now (a context whose onServerName is running: when
     * that iteration ends), the loop is freed as run() returns.
     * From another thread while it runs: NOT_ON_LOOP_THREAD.
     */
    @Override
    public void close() {
        Thread me = Thread.currentThread();
        for (;;) {
            int s = state.get();
            if (s == CLOSING || s == CLOSED) {
                return;
            }
            if (s == RUNNING) {
                if (me != owner) {
                    throw new UsException(UsException.Kind.NOT_ON_LOOP_THREAD,
                            "close() while the loop runs on another thread; use handle().defer(Loop::close)");
                }
                if (!closing) {
                    closing = true;
                    defers.close();
                    closeOwned();
                }
                return;
            }
            if (state.compareAndSet(IDLE, CLOSING)) {
                break;
            }
        }
        owner = me;
        finishClose();
    }

    // ---------------------------------------------------------------- package-private machinery

    /** Throws unless the loop is open and the caller is its thread. */
    void checkAccess() {
        if (state.get() == CLOSED) {
            throw new UsException(UsException.Kind.CLOSED, "the loop is closed");
        }
        checkThread();
    }

    /** Throws NOT_ON_LOOP_THREAD unless the caller is the loop's thread. */
    void checkThread() {
        if (Thread.currentThread() != owner) {
            throw new UsException(UsException.Kind.NOT_ON_LOOP_THREAD,
                    "called from " + Thread.currentThread().getName() + "; this loop's thread is "
                            + describe(owner) + " (use handle().defer to get there)");
        }
    }

    /** Inside run's post work (LoopCore.onPost): whether another iteration follows. */
    boolean aliveAfterIteration() {
        // an open (or connecting) socket is a poll of the loop, which keeps it alive: no need to ask C
        return tcp.sockets.size() > 0 || Natives.loopAlive(address);
    }

    DeferQueue deferQueue() {
        return defers;
    }

    void drainDeferred() {
        defers.awake();
        defers.drain(core);
    }

    /** Just before the loop waits for events: runs what was deferred meanwhile (see DeferQueue). */
    void beforeWait() {
        defers.beforeWait(core);
    }

    @SuppressWarnings("unchecked")
    void runDeferred(Object callback) {
        ((Consumer<? super Loop<T>>) callback).accept(this);
    }

    void firePre() {
        Consumer<? super Loop<T>> hook = preHook;
        if (hook != null) {
            hook.accept(this);
        }
    }

    void firePost() {
        if (closing) {
            closeOwned(); // what close() had to leave (a context inside its onServerName), or was made after it
        }
        defers.awake();
        Consumer<? super Loop<T>> hook = postHook;
        if (hook != null) {
            hook.accept(this);
        }
    }

    /** Hands a throwable from user code to the exception handler; never throws. */
    void report(Throwable t) {
        try {
            exceptionHandler.accept(t);
        } catch (Throwable second) {
            try {
                second.addSuppressed(t);
                LOG.log(Level.ERROR, "usockets4j: the loop's exception handler threw", second);
            } catch (Throwable ignored) {
                // Nothing may escape into native code.
            }
        }
    }

    private void closeOwned() {
        tcp.closeAll();
        for (Timer<?> timer : timers.snapshot()) {
            if (!timer.isClosed()) {
                timer.closeNow();
            }
        }
        udp.closeAll();
    }

    /** Owner thread, not inside the native run: runs what was deferred, closes what is owned, frees. */
    private void finishClose() {
        closing = true;
        try {
            defers.close();
            while (defers.drain(core) > 0) {
                // Callbacks accepted before close() still run, exactly once.
            }
            closeOwned();
        } finally {
            Natives.loopFree(address);
            state.set(CLOSED);
        }
    }

    private static String describe(Thread t) {
        return t == null ? "none" : t.getName();
    }
}
