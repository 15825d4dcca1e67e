package dev.sonnx.nccl.bench;

import dev.sonnx.nccl.ElementType;
import dev.sonnx.nccl.ReduceOp;
import dev.sonnx.nccl.TcpOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Arrays;
import java.util.List;

/** Timings of this machine's memory copy, of loopback TCP and of the ring's all-reduce, as medians of repetitions. */
final class Bandwidth {

    private Bandwidth() {
    }

    /** Median seconds of copying {@code bytes} between two direct buffers (one thread), after a warm-up copy. */
    static double memcpySeconds(int bytes, int repetitions) {
        ByteBuffer source = ByteBuffer.allocateDirect(bytes);
        ByteBuffer target = ByteBuffer.allocateDirect(bytes);
        for (int i = 0; i < bytes; i += 4096) {
            source.put(i, (byte) i); // touch every page before timing
        }
        target.put(0, source, 0, bytes);
        double[] seconds = new double[repetitions];
        for (int rep = 0; rep < repetitions; rep++) {
            long start = System.nanoTime();
            target.put(0, source, 0, bytes);
            seconds[rep] = (System.nanoTime() - start) / 1e9;
        }
        return median(seconds);
    }

    /**
     * Median seconds of streaming {@code bytes} over one loopback TCP connection, one thread sending
     * and one receiving, with the ring's socket options: what the transport alone can do here.
     */
    static double loopbackStreamSeconds(int bytes, int repetitions, TcpOptions options) throws IOException {
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.setOption(StandardSocketOptions.SO_RCVBUF, options.socketBufferBytes());
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            Thread receiver = new Thread(() -> drain(server, (long) bytes * (repetitions + 1), options.chunkBytes()));
            receiver.start();
            try (SocketChannel sender = SocketChannel.open()) {
                sender.setOption(StandardSocketOptions.SO_SNDBUF, options.socketBufferBytes());
                sender.setOption(StandardSocketOptions.TCP_NODELAY, true);
                sender.connect(server.getLocalAddress());
                ByteBuffer data = ByteBuffer.allocateDirect(bytes);
                double[] seconds = new double[repetitions + 1];
                for (int rep = 0; rep <= repetitions; rep++) {
                    data.clear();
                    long start = System.nanoTime();
                    while (data.hasRemaining()) {
                        sender.write(data);
                    }
                    seconds[rep] = (System.nanoTime() - start) / 1e9;
                }
                receiver.join();
                return median(Arrays.copyOfRange(seconds, 1, seconds.length)); // the first one warms up
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static void drain(ServerSocketChannel server, long total, int chunkBytes) {
        try (SocketChannel channel = server.accept()) {
            ByteBuffer chunk = ByteBuffer.allocateDirect(chunkBytes);
            for (long received = 0; received < total; ) {
                chunk.clear();
                received += channel.read(chunk);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Median seconds of an fp32 sum all-reduce of {@code bytes} among {@code worldSize} local ranks;
     * a repetition lasts from the barrier before it until the slowest rank is done.
     */
    static double allReduceSeconds(int worldSize, int bytes, int repetitions, TcpOptions options) {
        int count = bytes / 4;
        List<double[]> perRank = Ranks.run(worldSize, options, comm -> {
            ByteBuffer data = ByteBuffer.allocateDirect(bytes).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < count; i++) {
                data.putFloat(4 * i, 1f);
            }
            comm.allReduce(data, count, ElementType.FLOAT32, ReduceOp.SUM); // warm-up: JIT, TCP windows
            double[] seconds = new double[repetitions];
            for (int rep = 0; rep < repetitions; rep++) {
                comm.barrier();
                long start = System.nanoTime();
                comm.allReduce(data, count, ElementType.FLOAT32, ReduceOp.SUM);
                seconds[rep] = (System.nanoTime() - start) / 1e9;
            }
            return seconds;
        });
        double[] slowest = new double[repetitions];
        for (double[] seconds : perRank) {
            for (int rep = 0; rep < repetitions; rep++) {
                slowest[rep] = Math.max(slowest[rep], seconds[rep]);
            }
        }
        return median(slowest);
    }

    static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int middle = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }
}
