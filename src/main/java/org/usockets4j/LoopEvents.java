package org.usockets4j;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The loop's queue of hot socket events (loop thread only). While the loop runs, native/jni_events.c does not call
 * Java for a socket's on_data or on_writable: it appends a record to this direct buffer and returns, and the receive
 * area keeps the data (the shim moves the core's read position past it). Every upcall of the loop ({@link LoopCore})
 * first dispatches what is queued, in order, so the user sees callbacks in the order the core made them; what is left
 * when the iteration ends, usually all of them, is dispatched by {@link Loop#run()} once the iteration's downcall
 * returned, without any upcall.
 *
 * <p>Layout (native byte order; jni_events.h): a {@link #HEADER}-byte header whose first int counts the queued
 * records (C counts up, {@link #flush()} zeroes it when it takes them) and whose long at offset 8 is the
 * {@code System.nanoTime()} (CLOCK_MONOTONIC) when the first of them was queued, then {@link #RECORD}-byte records of six ints:
 * kind (1 data, 2 writable), slot, generation, area (0 plain, 1 TLS), offset, length. Records name sockets by slot
 * and generation: one closed (or whose slot was reused) before its records are dispatched is skipped.
 */
final class LoopEvents {
    static final int HEADER = 16;
    static final int RECORD = 24;
    /** Records the area holds; the shim hands the batch over at once when it is full. */
    static final int CAPACITY = 4096;
    private static final int DATA = 1;
    private static final int WRITABLE = 2;

    private final Loop<?> loop;
    private final LoopTcp tcp;
    private final ByteBuffer area = ByteBuffer.allocateDirect(HEADER + CAPACITY * RECORD).order(ByteOrder.nativeOrder());

    LoopEvents(Loop<?> loop, LoopTcp tcp) {
        this.loop = loop;
        this.tcp = tcp;
    }

    /** The direct buffer loopCreate gets. */
    ByteBuffer area() {
        return area;
    }

    /** When the first waiting record was queued, on the {@code System.nanoTime()} clock (only while {@link #pending()}). */
    long firstQueuedNanos() {
        return area.getLong(8);
    }

    /** True when records wait. */
    boolean pending() {
        return area.getInt(0) != 0;
    }

    /**
     * Dispatches every queued record in order. The count is zeroed first: an upcall made while a handler runs (a
     * close() calling onClose, ...) finds nothing to dispatch and is delivered directly, and hot events inside it
     * are not queued (the shim delivers them directly too). A handler's exception goes to the loop's exception
     * handling for that event (the socket is closed) and the next record follows. Small sends the handlers make are
     * corked ({@link LoopWrites}) and written together before this returns.
     */
    void flush() {
        ByteBuffer b = area;
        int n = b.getInt(0);
        if (n == 0) {
            return;
        }
        b.putInt(0, 0);
        boolean corking = tcp.writes.begin(); // sends made by the handlers leave together when the batch ends
        try {
            for (int i = 0, at = HEADER; i < n; i++, at += RECORD) {
                int kind = b.getInt(at);
                int slot = b.getInt(at + 4);
                int generation = b.getInt(at + 8);
                try {
                    if (kind == DATA) {
                        tcp.dataEvent(slot, generation, b.getInt(at + 12), b.getInt(at + 16), b.getInt(at + 20));
                    } else if (kind == WRITABLE) {
                        tcp.writableEvent(slot, generation);
                    }
                } catch (Throwable t) {
                    loop.report(t); // LoopTcp catches what handlers throw; this is a backstop so no record is lost
                }
            }
        } finally {
            tcp.writes.end(corking);
        }
    }
}
