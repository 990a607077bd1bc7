package org.usockets4j.bench;

import java.net.InetSocketAddress;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.socket.DatagramPacket;

/**
 * The Netty peer of {@link UdpEchoBenchUsockets}: an EpollDatagramChannel on one event-loop thread, configured for
 * batches both ways: recvmmsg (MAX_DATAGRAM_PAYLOAD_SIZE with a receive buffer of 64 such slots) and sendmmsg
 * (echoes are written during the read and flushed once at its end, so the outbound buffer holds the batch).
 * {@code <port> [mode] [--recvmsg]}; prints {@code PORT <n>} once bound, then echoes until killed. With
 * {@code --recvmsg} the channel keeps Netty's defaults (one datagram per recvmsg; sendmmsg still batches the
 * echoes): what recvmmsg buys, for comparison.
 */
public final class UdpEchoBenchNetty {
    /** The largest datagram the benchmark sends fits a slot; 64 slots per recvmmsg. */
    static final int SLOT = 2048;
    static final int SLOTS_PER_READ = 64;

    private UdpEchoBenchNetty() {
    }

    @ChannelHandler.Sharable
    static final class Echo extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            DatagramPacket in = (DatagramPacket) msg;
            // the payload changes hands: no copy, no extra reference
            ctx.write(new DatagramPacket(in.content(), in.sender()), ctx.voidPromise());
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // an ICMP error from a client that went away: keep serving
        }
    }

    public static void main(String[] args) throws Exception {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 0;
        boolean recvmsg = java.util.Arrays.asList(args).contains("--recvmsg");
        EpollEventLoopGroup group = new EpollEventLoopGroup(1);
        try {
            Bootstrap b = new Bootstrap()
                    .group(group)
                    .channel(EpollDatagramChannel.class)
                    .handler(new Echo());
            if (!recvmsg) {
                b.option(EpollChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE, SLOT)
                        .option(ChannelOption.RCVBUF_ALLOCATOR,
                                new FixedRecvByteBufAllocator(SLOT * SLOTS_PER_READ).maxMessagesPerRead(64));
            }
            Channel ch = b.bind(new InetSocketAddress("127.0.0.1", port)).sync().channel();
            System.out.println("PORT " + ((InetSocketAddress) ch.localAddress()).getPort());
            System.out.flush();
            ch.closeFuture().sync();
        } finally {
            group.shutdownGracefully();
        }
    }
}
