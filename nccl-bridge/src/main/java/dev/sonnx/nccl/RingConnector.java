package dev.sonnx.nccl;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Collections;
import java.util.concurrent.TimeUnit;

/**
 * Opens one rank's two ring links: it listens, publishes its address through the {@link Rendezvous},
 * connects to its right neighbour and accepts its left neighbour. Each rank also publishes a random
 * token that its right neighbour must present when it connects, so a connection from anything else
 * (a port scanner, a rank of an earlier job that reused the port) is turned away.
 *
 * <p>With two ranks each is the other's left and right neighbour; it still gets two links, one per
 * direction, so every link carries data one way only.
 */
final class RingConnector {

    /** The two connections of a rank: data goes out on {@code toRight} and comes in on {@code fromLeft}. */
    record Links(SocketChannel toRight, SocketChannel fromLeft) {
    }

    private static final int HELLO_MAGIC = 0x534e_5852; // "SNXR"
    private static final int PROTOCOL_VERSION = 1;
    private static final int HELLO_BYTES = 24;
    private static final long RETRY_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    private final int rank;
    private final int worldSize;
    private final TcpOptions options;
    private final long timeoutNanos;
    private final int leftRank;
    private final int rightRank;

    private RingConnector(int rank, int worldSize, TcpOptions options) {
        this.rank = rank;
        this.worldSize = worldSize;
        this.options = options;
        this.timeoutNanos = options.timeout().toNanos();
        this.leftRank = Math.floorMod(rank - 1, worldSize);
        this.rightRank = (rank + 1) % worldSize;
    }

    /** Connects {@code rank} to its neighbours; every rank of the world calls it at the same time. */
    static Links connect(int rank, int worldSize, Rendezvous rendezvous, TcpOptions options) {
        return new RingConnector(rank, worldSize, options).connect(rendezvous);
    }

    private Links connect(Rendezvous rendezvous) {
        long myToken = new SecureRandom().nextLong();
        ServerSocketChannel server = listen();
        SocketChannel toRight = null;
        try {
            byte[][] published = rendezvous.allGather(encodeAddress(myToken, advertisedHost(), localPort(server)));
            if (published.length != worldSize) {
                throw new CommunicatorException("rank " + rank + " connect: the rendezvous returned "
                        + published.length + " addresses for a world of " + worldSize + " ranks");
            }
            PeerAddress right = decodeAddress(published[rightRank], rightRank);
            PeerAddress left = decodeAddress(published[leftRank], leftRank);
            long deadline = System.nanoTime() + timeoutNanos;
            // connect before accepting: every rank's listener is open before the rendezvous, so the
            // connection waits in the left neighbour's backlog and nobody waits on anybody
            toRight = connectToRight(right, myToken, deadline);
            SocketChannel fromLeft = acceptFromLeft(server, left.token(), deadline);
            return new Links(toRight, fromLeft);
        } catch (RuntimeException e) {
            closeQuietly(toRight);
            throw e;
        } finally {
            closeQuietly(server);
        }
    }

    private ServerSocketChannel listen() {
        InetAddress bindAddress = bindAddress();
        IOException lastFailure = null;
        for (int port = options.firstPort(); port <= options.lastPort(); port++) {
            ServerSocketChannel server = null;
            try {
                server = ServerSocketChannel.open();
                // set before bind so that accepted sockets negotiate a window scale for the large buffer
                server.setOption(StandardSocketOptions.SO_RCVBUF, options.socketBufferBytes());
                server.bind(new InetSocketAddress(bindAddress, port), 1);
                return server;
            } catch (IOException e) {
                closeQuietly(server);
                lastFailure = e;
            }
        }
        throw new CommunicatorException("rank " + rank + " connect: cannot listen on " + describe(bindAddress)
                + " ports " + options.firstPort() + ".." + options.lastPort() + ": " + lastFailure.getMessage(),
                lastFailure);
    }

    private SocketChannel connectToRight(PeerAddress right, long myToken, long deadline) {
        InetSocketAddress address = new InetSocketAddress(right.host(), right.port());
        IOException lastFailure;
        do {
            SocketChannel channel = null;
            try {
                channel = SocketChannel.open();
                configure(channel);
                if (options.bindHost() != null) {
                    channel.bind(new InetSocketAddress(bindAddress(), 0));
                }
                channel.socket().connect(address, remainingMillis(deadline));
                writeHello(channel, myToken);
                return channel;
            } catch (IOException e) {
                closeQuietly(channel);
                lastFailure = e;
                sleepNanos(Math.min(RETRY_NANOS, deadline - System.nanoTime()));
            }
        } while (System.nanoTime() < deadline);
        throw new CommunicatorException("rank " + rank + " connect: cannot connect to rank " + rightRank
                + " (right neighbour) at " + right.host() + ":" + right.port() + " within "
                + options.timeout().toMillis() + " ms: " + lastFailure.getMessage(), lastFailure);
    }

    private SocketChannel acceptFromLeft(ServerSocketChannel server, long leftToken, long deadline) {
        String turnedAway = "";
        while (System.nanoTime() < deadline) {
            SocketChannel channel = null;
            try {
                server.socket().setSoTimeout(remainingMillis(deadline));
                channel = server.socket().accept().getChannel();
                configure(channel);
                channel.socket().setSoTimeout(remainingMillis(deadline));
                String problem = checkHello(channel.socket().getInputStream(), leftToken);
                if (problem == null) {
                    channel.socket().setSoTimeout(0);
                    return channel;
                }
                turnedAway = "; turned away " + channel.getRemoteAddress() + ": " + problem;
                closeQuietly(channel);
            } catch (SocketTimeoutException e) {
                closeQuietly(channel);
                break;
            } catch (IOException e) {
                closeQuietly(channel);
                turnedAway = "; a connection failed during its handshake: " + e.getMessage();
            }
        }
        throw new CommunicatorException("rank " + rank + " connect: rank " + leftRank
                + " (left neighbour) did not connect within " + options.timeout().toMillis() + " ms" + turnedAway);
    }

    private void configure(SocketChannel channel) throws IOException {
        channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
        channel.setOption(StandardSocketOptions.SO_SNDBUF, options.socketBufferBytes());
        channel.setOption(StandardSocketOptions.SO_RCVBUF, options.socketBufferBytes());
        channel.setOption(StandardSocketOptions.SO_KEEPALIVE, true);
    }

    private void writeHello(SocketChannel channel, long myToken) throws IOException {
        ByteBuffer hello = ByteBuffer.allocate(HELLO_BYTES);
        hello.putInt(HELLO_MAGIC).putInt(PROTOCOL_VERSION).putInt(worldSize).putInt(rank).putLong(myToken).flip();
        while (hello.hasRemaining()) {
            channel.write(hello);
        }
    }

    /** Null when the hello is the left neighbour's, else why it is not. */
    private String checkHello(InputStream in, long leftToken) throws IOException {
        DataInputStream hello = new DataInputStream(in);
        int magic = hello.readInt();
        int version = hello.readInt();
        int senderWorldSize = hello.readInt();
        int senderRank = hello.readInt();
        long token = hello.readLong();
        if (magic != HELLO_MAGIC) {
            return "not a sonnx ring connection";
        }
        if (version != PROTOCOL_VERSION) {
            return "protocol version " + version + ", expected " + PROTOCOL_VERSION;
        }
        if (senderWorldSize != worldSize || senderRank != leftRank || token != leftToken) {
            return "rank " + senderRank + " of a world of " + senderWorldSize
                    + (token != leftToken ? " with another job's token" : "") + ", expected rank " + leftRank;
        }
        return null;
    }

    private InetAddress bindAddress() {
        if (options.bindHost() == null) {
            return null; // the wildcard address
        }
        try {
            return InetAddress.getByName(options.bindHost());
        } catch (IOException e) {
            throw new CommunicatorException("rank " + rank + " connect: bind host " + options.bindHost()
                    + " does not resolve: " + e.getMessage(), e);
        }
    }

    private String advertisedHost() {
        if (options.advertisedHost() != null) {
            return options.advertisedHost();
        }
        InetAddress bound = bindAddress();
        if (bound != null && !bound.isAnyLocalAddress()) {
            return bound.getHostAddress();
        }
        return firstNonLoopbackAddress();
    }

    /** This host's name if it resolves to a routable address, else the first such interface address. */
    private static String firstNonLoopbackAddress() {
        try {
            InetAddress local = InetAddress.getLocalHost();
            if (!local.isLoopbackAddress()) {
                return local.getHostAddress();
            }
            for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                if (!nic.isUp() || nic.isLoopback()) {
                    continue;
                }
                for (InetAddress address : Collections.list(nic.getInetAddresses())) {
                    if (address instanceof java.net.Inet4Address && !address.isLinkLocalAddress()) {
                        return address.getHostAddress();
                    }
                }
            }
            return local.getHostAddress();
        } catch (IOException e) {
            return InetAddress.getLoopbackAddress().getHostAddress();
        }
    }

    private int localPort(ServerSocketChannel server) {
        return server.socket().getLocalPort();
    }

    private record PeerAddress(String host, int port, long token) {
    }

    private static byte[] encodeAddress(long token, String host, int port) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(HELLO_MAGIC);
            out.writeLong(token);
            out.writeInt(port);
            out.write(host.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalStateException("writing to memory cannot fail", e);
        }
        return bytes.toByteArray();
    }

    private PeerAddress decodeAddress(byte[] published, int peerRank) {
        ByteBuffer in = ByteBuffer.wrap(published);
        if (published.length < 16 || in.getInt() != HELLO_MAGIC) {
            throw new CommunicatorException("rank " + rank + " connect: rank " + peerRank
                    + " published something other than a sonnx ring address through the rendezvous");
        }
        long token = in.getLong();
        int port = in.getInt();
        String host = new String(published, 16, published.length - 16, StandardCharsets.UTF_8);
        return new PeerAddress(host, port, token);
    }

    private static int remainingMillis(long deadline) {
        long millis = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        // 0 would mean "no timeout" to the socket API
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, millis));
    }

    private static String describe(InetAddress address) {
        return address == null ? "any local address" : address.getHostAddress();
    }

    private static void sleepNanos(long nanos) {
        if (nanos > 0) {
            try {
                TimeUnit.NANOSECONDS.sleep(nanos);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CommunicatorException("interrupted while connecting the ring", e);
            }
        }
    }

    private static void closeQuietly(AutoCloseable closeable) {
        if (closeable == null) {
            return;
        }
        try {
            closeable.close();
        } catch (Exception ignored) {
            // nothing was sent over it yet: the peer simply sees the connection end
        }
    }
}
