package org.usockets4j;

/** The one exception of usockets4j: misuse or a failed operation, with a {@link Kind} to branch on. */
public class UsException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** What went wrong. */
    public enum Kind {
        /** run() on a loop that is already running. */
        LOOP_ALREADY_RUNNING,
        /** The native loop could not be created. */
        LOOP_CREATION,
        /** The native timer could not be created. */
        TIMER_CREATION,
        /** A socket context could not be created (TLS material unreadable, ...). */
        SOCKET_CONTEXT_CREATION,
        /** An object's extension data was asked for but never set. */
        EXT_MISSING,
        /** A host string that cannot be resolved or parsed. */
        INVALID_HOST,
        /** A loop's object used from a thread other than the loop's. */
        NOT_ON_LOOP_THREAD,
        /** The loop is closed (or closing) and takes no more deferred callbacks. */
        LOOP_NOT_RUNNING,
        /** A listen socket could not be opened. */
        LISTEN_FAILED,
        /** The object is closed. */
        CLOSED,
        /** Memory or another resource could not be allocated. */
        ALLOCATION_FAILED,
        /** An argument out of its range. */
        INVALID_ARGUMENT,
        /** A network operation failed. */
        NETWORK_OPERATION
    }

    /** What went wrong (part of the serialized form). */
    private final Kind kind;

    /** An exception of the given kind with a message for people. */
    public UsException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    /** An exception of the given kind with a message and a cause. */
    public UsException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    /** What went wrong. */
    public Kind kind() {
        return kind;
    }

    @Override
    public String toString() {
        return "UsException[" + kind + "]: " + getMessage();
    }
}
