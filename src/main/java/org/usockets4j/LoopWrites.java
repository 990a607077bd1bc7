package org.usockets4j;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import org.usockets4j.internal.Natives;

/**
 * Corked sends (loop thread only). While {@link LoopEvents} dispatches a batch of events, a small
 * {@link Socket#send} on a plain socket with nothing buffered does not call into native code: its bytes are copied
 * into this loop's cork area and a record names the socket. When the batch ends, one downcall writes every record in
 * order, and successive sends to one socket in a batch are one record, so they leave in one system call. What the
 * kernel does not take is kept in the socket's send buffer, as a short write of send() keeps it.
 *
 * <p>Corking is invisible to the user: a socket with corked bytes writes the cork before anything that depends on its
 * byte stream (write, write2, flush, shutdown, close, bufferedAmount, adoption, a send that cannot be corked), so
 * bytes leave in the order they were given. A socket closed before the batch ended has its records skipped.
 *
 * <p>Record layout (native byte order; struct usj_cork in native/jni_cork.c): {@link #RECORD} bytes: the socket's handle (long, filled
 * in when written, 0 to skip), offset and length in the data area (ints), then the count the kernel took (int,
 * written by C) and a spare int.
 */
final class LoopWrites {
    static final int RECORD = 24;
    /** Records per batch; a fuller batch is written at once and corking goes on. */
    static final int CAPACITY = 1024;
    /** Bytes of the data area. */
    static final int DATA = 256 * 1024;
    /** The largest send that is corked: copying more costs more than the downcall it saves. */
    static final int LIMIT = 2048;

    private final Loop<?> loop;
    private long address; // the native loop once it has the cork areas, else 0 (never corks)
    private final ByteBuffer records = ByteBuffer.allocateDirect(CAPACITY * RECORD).order(ByteOrder.nativeOrder());
    private final ByteBuffer data = ByteBuffer.allocateDirect(DATA);
    private final Socket<?>[] sockets = new Socket<?>[CAPACITY];
    private int count;
    private int used;
    private boolean open;

    LoopWrites(Loop<?> loop) {
        this.loop = loop;
    }

    /** Gives the new native loop the cork areas; without them (never expected) sends are not corked. */
    void attach(long loopAddress) {
        if (Natives.loopCork(loopAddress, records, data)) {
            address = loopAddress;
        }
    }

    /** Starts corking (a batch is dispatched); returns whether it was on already (a nested dispatch). */
    boolean begin() {
        boolean was = open;
        open = address != 0;
        return was;
    }

    /** Ends what {@link #begin()} started: the outermost end writes the cork. */
    void end(boolean wasOpen) {
        if (!wasOpen) {
            open = false;
            writeAll();
        }
    }

    /**
     * Corks length bytes of src from position for s when it can (a batch is dispatched, the send is small, and the
     * cork stays within s's high-water mark); false: the caller writes it itself, after {@link Socket} uncorked s.
     */
    boolean cork(Socket<?> s, ByteBuffer src, int position, int length) {
        if (!open || length > LIMIT || s.corked + length > s.sendHighWaterMark()) {
            return false;
        }
        if (count == CAPACITY || used + length > DATA) {
            writeAll();
            if (s.hasBufferedData()) {
                return false; // the kernel did not take all of s's cork: what follows goes behind it
            }
        }
        int n = count;
        if (n > 0 && sockets[n - 1] == s) {
            int at = (n - 1) * RECORD;
            records.putInt(at + 12, records.getInt(at + 12) + length); // the data follows the record's: one write
        } else {
            int at = n * RECORD;
            records.putInt(at + 8, used);
            records.putInt(at + 12, length);
            sockets[n] = s;
            count = n + 1;
        }
        data.put(used, src, position, length);
        used += length;
        s.corked += length;
        return true;
    }

    /** Writes every corked record now (one downcall), then keeps what the kernel did not take in its socket. */
    void writeAll() {
        int n = count;
        if (n == 0) {
            return;
        }
        count = 0; // a socket closed by what follows finds nothing corked any more
        for (int i = 0; i < n; i++) {
            Socket<?> s = sockets[i];
            records.putLong(i * RECORD, s.isClosed() ? 0 : s.handle); // adoption may have moved it: its handle now
        }
        Natives.socketWriteCorked(address, n);
        for (int i = 0; i < n; i++) {
            Socket<?> s = sockets[i];
            sockets[i] = null;
            int at = i * RECORD;
            int offset = records.getInt(at + 8);
            int length = records.getInt(at + 12);
            int taken = Math.max(0, records.getInt(at + 16));
            s.corked -= length;
            loop.stats.out(taken);
            if (taken < length && !s.isClosed()) {
                s.append(data, offset + taken, length - taken);
            }
        }
        used = 0;
    }
}
