package org.usockets4j;

import org.usockets4j.internal.Natives;

/**
 * A listening socket of a {@link SocketContext}: accepted connections open in that context (onOpen with
 * isClient false). Keeps the loop running until closed. close() on the loop thread only ({@code NOT_ON_LOOP_THREAD}
 * otherwise; once closed it does nothing); {@link #port()}, {@link #isClosed()} and {@link #context()} from any
 * thread, also once closed.
 */
public final class ListenSocket implements AutoCloseable {
    private final SocketContext<?> context;
    private final long handle;
    private final int port;
    private boolean closed;

    ListenSocket(SocketContext<?> context, long handle, int port) {
        this.context = context;
        this.handle = handle;
        this.port = port;
    }

    /** The local port (the kernel's pick when listening on port 0); -1 for a unix-domain listener. */
    public int port() {
        return port;
    }

    /** Stops listening; open connections stay open. A second close does nothing. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        context.loop().checkThread();
        closeNow();
        context.forget(this);
    }

    /** True once closed (by close(), or by closing its context or loop). */
    public boolean isClosed() {
        return closed;
    }

    /** The context accepted sockets open in. */
    public SocketContext<?> context() {
        return context;
    }

    void closeNow() {
        closed = true;
        Natives.listenSocketClose(context.ssl, handle);
    }

    /** The context closed it natively: only the flag changes. */
    void markClosed() {
        closed = true;
    }

    @Override
    public String toString() {
        return "ListenSocket[port " + port + (closed ? ", closed" : "") + "]";
    }
}
