package org.usockets4j.bench;

import org.usockets4j.Loop;
import org.usockets4j.UdpPacketBuffer;
import org.usockets4j.UdpSocket;

/**
 * UDP echo server on usockets4j for scripts/bench.sh (section udp): {@code <port> [mode]}, port 0 lets
 * the kernel pick; prints {@code PORT <n>} once bound, then echoes until killed. Each received batch goes back as
 * it is (sendmmsg over the received slots, no copy); what the socket does not take waits in its send buffer for
 * onDrain, later batches queue behind it.
 */
public final class UdpEchoBenchUsockets {
    private UdpEchoBenchUsockets() {
    }

    public static void main(String[] args) {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 0;
        try (Loop<Void> loop = Loop.create()) {
            UdpSocket<Void> socket = loop.createUdpSocket("127.0.0.1", port, (s, batch, count) -> {
                UdpPacketBuffer pending = s.sendBuffer();
                if (pending.size() == 0) {
                    int sent = s.send(batch, count);
                    for (int i = sent; i < count; i++) {
                        pending.set(i - sent, batch, i);
                    }
                } else {
                    for (int i = 0; i < count && pending.size() < UdpPacketBuffer.SLOTS; i++) {
                        pending.set(pending.size(), batch, i);
                    }
                }
            }, s -> {
                UdpPacketBuffer pending = s.sendBuffer();
                pending.removeFirst(s.send(pending, pending.size()));
            });
            System.out.println("PORT " + socket.port());
            System.out.flush();
            loop.run();
        }
    }
}
