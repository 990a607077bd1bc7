package org.usockets4j.bench;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.ReferenceCountUtil;

import java.net.InetSocketAddress;

/**
 * The Netty peer: epoll transport, ONE event-loop thread (it accepts too), raw inbound handlers (no
 * codec), pooled direct buffers, TCP_NODELAY. With --tls an SslHandler goes first, on the JDK's
 * SSLEngine (--provider jdk) or on BoringSSL through netty-tcnative (--provider openssl).
 *
 * <p>Usage: {@code NettyServer <port> <echo|http|idle> [--tls cert key] [--provider jdk|openssl]}
 */
public final class NettyServer {
    /** Open connections; written on the event-loop thread only. */
    static volatile long open;

    private NettyServer() {
    }

    public static void main(String[] argv) throws Exception {
        ServerArgs args = ServerArgs.parse(argv);
        if (!Epoll.isAvailable()) {
            throw new IllegalStateException("Netty epoll is not available", Epoll.unavailabilityCause());
        }
        SslContext ssl = args.tls() ? sslContext(args) : null;
        EpollEventLoopGroup group = new EpollEventLoopGroup(1);
        Thread loopThread = group.next().submit(Thread::currentThread).get();
        ServerBootstrap b = new ServerBootstrap()
                .group(group)
                .channel(EpollServerSocketChannel.class)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ChannelPipeline p = ch.pipeline();
                        if (ssl != null) {
                            p.addLast(ssl.newHandler(ch.alloc()));
                        }
                        p.addLast(switch (args.mode) {
                            case ECHO -> Echo.INSTANCE;
                            case HTTP -> new Http();
                            case IDLE -> Idle.INSTANCE;
                        });
                    }
                });
        Channel server = b.bind("127.0.0.1", args.port).sync().channel();
        Control.start(loopThread, () -> open);
        Control.announcePort(((InetSocketAddress) server.localAddress()).getPort());
        server.closeFuture().sync();
    }

    private static SslContext sslContext(ServerArgs args) throws Exception {
        SslProvider provider = args.provider.equals("openssl") ? SslProvider.OPENSSL : SslProvider.JDK;
        if (provider == SslProvider.OPENSSL && !OpenSsl.isAvailable()) {
            throw new IllegalStateException("netty-tcnative (BoringSSL) is not available", OpenSsl.unavailabilityCause());
        }
        return SslContextBuilder.forServer(args.cert.toFile(), args.key.toFile()).sslProvider(provider).build();
    }

    /** Counts connections; the base of the three handlers. */
    abstract static class Counting extends ChannelInboundHandlerAdapter {
        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            open++;
            ctx.fireChannelActive();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            open--;
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    /** Writes each received buffer back as it is; one flush per read batch. */
    @Sharable
    static final class Echo extends Counting {
        static final Echo INSTANCE = new Echo();

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ctx.write(msg, ctx.voidPromise());
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
        }
    }

    /** Answers each "\r\n\r\n" with the fixed response, in one pooled direct buffer per read. */
    static final class Http extends Counting {
        private int state;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf in = (ByteBuf) msg;
            int s = state;
            int requests = 0;
            for (int i = in.readerIndex(), end = in.writerIndex(); i < end; i++) {
                s = HttpRequests.step(s, in.getByte(i));
                if (s == 4) {
                    requests++;
                    s = 0;
                }
            }
            state = s;
            in.release();
            if (requests > 0) {
                ByteBuf out = ctx.alloc().directBuffer(requests * HttpRequests.RESPONSE.length);
                for (int i = 0; i < requests; i++) {
                    out.writeBytes(HttpRequests.RESPONSE);
                }
                ctx.write(out, ctx.voidPromise());
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
        }
    }

    /** Discards what arrives. */
    @Sharable
    static final class Idle extends Counting {
        static final Idle INSTANCE = new Idle();

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg);
        }
    }
}
