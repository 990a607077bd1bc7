package org.usockets4j;

import java.util.ArrayList;
import java.util.List;

import org.usockets4j.internal.Natives;
import org.usockets4j.internal.SlotTable;

/**
 * A loop's UDP part (loop thread only): the table of its UDP sockets, the one receive buffer they all
 * receive into (made with the first socket), and the packet buffers users made, all closed with the loop.
 */
final class LoopUdp {
    private final Loop<?> loop;
    final SlotTable<UdpSocket<?>> sockets = new SlotTable<>();
    private final List<UdpPacketBuffer> userBuffers = new ArrayList<>();
    private UdpPacketBuffer receiveBuffer;

    LoopUdp(Loop<?> loop) {
        this.loop = loop;
    }

    /** A socket bound to host (null: every interface) and port (0: the kernel picks); the loop checked access. */
    <E> UdpSocket<E> createSocket(long loopAddress, String host, int port, UdpSocket.DataHandler<E> onData,
                                  java.util.function.Consumer<? super UdpSocket<E>> onDrain) {
        if (port < 0 || port > 65535) {
            throw new UsException(UsException.Kind.INVALID_ARGUMENT, "port " + port + " is not in [0, 65535]");
        }
        if (receiveBuffer == null) {
            receiveBuffer = newBuffer(UdpPacketBuffer.Owner.LOOP_RECEIVE);
        }
        UdpSocket<E> socket = new UdpSocket<>(loop, this, onData, onDrain);
        int slot = sockets.add(socket);
        int generation = sockets.generation(slot);
        long s = Natives.udpSocketCreate(loopAddress, receiveBuffer.handle(), host, port, slot, generation);
        if (s <= 0) {
            sockets.remove(slot, generation);
            int errno = (int) -s;
            String where = (host == null ? "*" : host) + ":" + port;
            String why = Natives.udpErrorText(errno);
            // EADDRNOTAVAIL / EAFNOSUPPORT: the host is no address of this machine (or not one at all)
            UsException.Kind kind = errno == 99 || errno == 97 ? UsException.Kind.INVALID_HOST
                    : errno == 12 ? UsException.Kind.ALLOCATION_FAILED : UsException.Kind.LISTEN_FAILED;
            throw new UsException(kind, "cannot create a UDP socket on " + where + ": " + why + " (errno " + errno + ")");
        }
        socket.bind(s, slot, generation);
        return socket;
    }

    /** A user's buffer, closed with the loop unless closed before. */
    UdpPacketBuffer createUserBuffer() {
        UdpPacketBuffer buffer = newBuffer(UdpPacketBuffer.Owner.USER);
        userBuffers.add(buffer);
        return buffer;
    }

    UdpPacketBuffer newBuffer(UdpPacketBuffer.Owner owner) {
        long h = Natives.udpBufferCreate();
        if (h == 0) {
            throw new UsException(UsException.Kind.ALLOCATION_FAILED, "us_create_udp_packet_buffer failed (out of memory?)");
        }
        return new UdpPacketBuffer(loop, this, owner, h);
    }

    void forget(UdpPacketBuffer buffer) {
        userBuffers.remove(buffer);
    }

    /** Upcall: a batch of count datagrams arrived for the socket at (slot, generation). */
    void onData(int slot, int generation, int count) {
        UdpSocket<?> socket = sockets.get(slot, generation);
        if (socket != null) {
            loop.stats.datagramsIn(count);
            socket.fireData(receiveBuffer, count);
        }
    }

    /** Upcall: the socket at (slot, generation) can take the rest of a partial send. */
    void onDrain(int slot, int generation) {
        UdpSocket<?> socket = sockets.get(slot, generation);
        if (socket != null) {
            socket.fireDrain();
        }
    }

    /**
     * Closes every socket and frees every buffer. No datagram is received after a socket is closed, so the receive
     * buffer is free to go even from inside an onData call (Java refuses every use of a closed buffer).
     */
    void closeAll() {
        for (UdpSocket<?> socket : sockets.snapshot()) {
            if (!socket.isClosed()) {
                socket.closeNow();
            }
        }
        for (UdpPacketBuffer buffer : userBuffers) {
            buffer.free();
        }
        userBuffers.clear();
        if (receiveBuffer != null) {
            receiveBuffer.free();
            receiveBuffer = null;
        }
    }
}
