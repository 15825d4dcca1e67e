package dev.sonnx.nccl;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The {@link Communicator} of CPU executors: the ranks form a ring of TCP connections, each rank
 * sending to rank + 1 and receiving from rank - 1.
 *
 * <ul>
 *   <li>allReduce is a ring reduce-scatter followed by a ring all-gather, so each rank sends
 *       2(n-1)/n of the data whatever the world size; segments are forwarded chunk by chunk as they
 *       are reduced (pipelining), and sending, receiving and reducing overlap.</li>
 *   <li>allGather is the ring all-gather; broadcast is forwarded along the ring from the root,
 *       chunk by chunk; barrier is an all-gather of one byte per rank.</li>
 *   <li>FLOAT16 sums are computed in float32 and rounded back to fp16 at every hop.</li>
 * </ul>
 *
 * <p>A peer that dies, closes, or lets {@link TcpOptions#timeout()} pass without a byte moving makes
 * the collective throw {@link CommunicatorException} naming the peer and the collective. The failing
 * rank then closes its links, so its neighbours fail at once too and the failure travels round the
 * ring instead of every rank waiting out its timeout. After a failure every call throws: the ranks'
 * streams are out of step and the ring must be built again.
 *
 * <p>Collectives are called from one thread at a time (they are synchronized); {@link #close()} may
 * come from any thread and makes a collective in flight fail promptly. All buffers are planned when
 * the ring is built except the scratch of {@link #allGatherBytes}, which grows to the largest message.
 */
public final class TcpCommunicator implements Communicator {

    private final int rank;
    private final int worldSize;
    /** Null for a world of one rank, which has nobody to talk to. */
    private final RingTransfer transfer;
    private final RingSchedule schedule;
    private final BlockReduction reduction;
    /** One byte per rank: the barrier's all-gather. */
    private final ByteBuffer barrierBlock;
    /** One int per rank: the lengths exchanged before {@link #allGatherBytes}'s payloads. */
    private final ByteBuffer lengthBlock;
    private final int[] messageLengths;
    private ByteBuffer messageScratch;

    /** Why this communicator is unusable, or null while it works. */
    private volatile String failure;
    private volatile boolean closed;

    private TcpCommunicator(int rank, int worldSize, RingTransfer transfer, int chunkBytes) {
        this.rank = rank;
        this.worldSize = worldSize;
        this.transfer = transfer;
        this.reduction = new BlockReduction(transfer == null ? 0 : chunkBytes);
        this.schedule = new RingSchedule(rank, worldSize);
        this.barrierBlock = ByteBuffer.allocateDirect(worldSize);
        this.lengthBlock = ByteBuffer.allocateDirect(4 * worldSize).order(ByteOrder.LITTLE_ENDIAN);
        this.messageLengths = new int[worldSize];
        this.messageScratch = ByteBuffer.allocateDirect(0);
    }

    /**
     * Builds the ring: listens, exchanges addresses through {@code rendezvous}, connects to both
     * neighbours. Every rank of the world calls it at the same time; it returns once this rank's two
     * links are up, or throws {@link CommunicatorException} within the timeout.
     */
    public static TcpCommunicator create(int rank, int worldSize, Rendezvous rendezvous, TcpOptions options) {
        if (worldSize < 1 || rank < 0 || rank >= worldSize) {
            throw new IllegalArgumentException("rank " + rank + " does not exist in a world of " + worldSize);
        }
        if (worldSize == 1) {
            return new TcpCommunicator(0, 1, null, 0);
        }
        RingConnector.Links links = RingConnector.connect(rank, worldSize, rendezvous, options);
        try {
            RingTransfer transfer = new RingTransfer(rank, worldSize, links.toRight(), links.fromLeft(),
                    options.chunkBytes(), options.timeout().toNanos());
            return new TcpCommunicator(rank, worldSize, transfer, options.chunkBytes());
        } catch (IOException e) {
            closeQuietly(links.toRight());
            closeQuietly(links.fromLeft());
            throw new CommunicatorException("rank " + rank + " connect: cannot watch the ring links: " + e.getMessage(), e);
        }
    }

    @Override
    public int rank() {
        return rank;
    }

    @Override
    public int worldSize() {
        return worldSize;
    }

    @Override
    public synchronized void allReduce(ByteBuffer buffer, int count, ElementType type, ReduceOp op) {
        requireBytes("allReduce", buffer, count, type, 1);
        ensureUsable("allReduce");
        if (worldSize == 1 || count == 0) {
            return;
        }
        schedule.allReduce(count, type.bytes());
        reduction.configure(type, op, worldSize);
        run("allReduce", buffer, type, count, op, -1);
    }

    @Override
    public synchronized void allGather(ByteBuffer send, int count, ElementType type, ByteBuffer recv) {
        int blockBytes = requireBytes("allGather", send, count, type, 1);
        requireBytes("allGather", recv, count, type, worldSize);
        ensureUsable("allGather");
        // the caller's limits may be anywhere: copy within capacities, as the ring does
        Buffers.littleEndian(recv).put(rank * blockBytes, Buffers.littleEndian(send), 0, blockBytes);
        if (worldSize == 1 || count == 0) {
            return;
        }
        schedule.allGather(blockBytes);
        run("allGather", recv, type, count, null, -1);
    }

    @Override
    public synchronized byte[][] allGatherBytes(byte[] mine) {
        ensureUsable("allGatherBytes");
        if (worldSize == 1) {
            return new byte[][] {mine.clone()};
        }
        lengthBlock.putInt(4 * rank, mine.length);
        schedule.allGather(4);
        run("allGatherBytes (lengths)", lengthBlock, ElementType.INT32, 1, null, -1);
        long total = 0;
        for (int r = 0; r < worldSize; r++) {
            messageLengths[r] = lengthBlock.getInt(4 * r);
            total += messageLengths[r];
        }
        if (total > Integer.MAX_VALUE - 8) {
            throw fail("allGatherBytes", "the ranks' messages add up to " + total + " bytes, more than one buffer holds", null);
        }
        if (messageScratch.capacity() < total) {
            messageScratch = ByteBuffer.allocateDirect((int) total);
        }
        int myOffset = 0;
        for (int r = 0; r < rank; r++) {
            myOffset += messageLengths[r];
        }
        messageScratch.put(myOffset, mine);
        schedule.allGather(messageLengths);
        run("allGatherBytes", messageScratch, ElementType.UINT8, mine.length, null, -1);
        byte[][] messages = new byte[worldSize][];
        int offset = 0;
        for (int r = 0; r < worldSize; r++) {
            messages[r] = new byte[messageLengths[r]];
            messageScratch.get(offset, messages[r]);
            offset += messageLengths[r];
        }
        return messages;
    }

    @Override
    public synchronized void broadcast(ByteBuffer buffer, int count, ElementType type, int root) {
        int bytes = requireBytes("broadcast", buffer, count, type, 1);
        if (root < 0 || root >= worldSize) {
            throw new IllegalArgumentException("broadcast: root " + root + " does not exist in a world of " + worldSize);
        }
        ensureUsable("broadcast");
        if (worldSize == 1 || count == 0) {
            return;
        }
        schedule.broadcast(bytes, root);
        run("broadcast", buffer, type, count, null, root);
    }

    @Override
    public synchronized void barrier() {
        ensureUsable("barrier");
        if (worldSize == 1) {
            return;
        }
        schedule.allGather(1);
        run("barrier", barrierBlock, ElementType.UINT8, 1, null, -1);
    }

    @Override
    public long bytesSent() {
        return transfer == null ? 0 : transfer.bytesSent();
    }

    @Override
    public void close() {
        closed = true;
        if (transfer != null) {
            transfer.close();
        }
    }

    /** Runs the configured schedule; {@code op} (or null) and {@code root} (or -1) only describe a failure. */
    private void run(String operation, ByteBuffer data, ElementType type, int count, ReduceOp op, int root) {
        try {
            transfer.run(schedule, data, reduction, type.bytes());
        } catch (RingFailure e) {
            String what = operation + "(" + type + " x " + count + (op == null ? "" : ", " + op)
                    + (root < 0 ? "" : ", root " + root) + ")";
            throw fail(what, e.getMessage(), e);
        }
    }

    /** Gives the ring up (its streams are out of step) and says why, naming this rank and the collective. */
    private CommunicatorException fail(String operation, String reason, Throwable cause) {
        String message = closed && failure == null
                ? "rank " + rank + " " + operation + ": the communicator was closed while the collective ran"
                : "rank " + rank + " " + operation + ": " + reason;
        if (failure == null) {
            failure = message;
        }
        // closing tells the neighbours at once, so the failure travels round the ring
        transfer.close();
        return new CommunicatorException(message, cause);
    }

    private void ensureUsable(String operation) {
        if (failure != null) {
            throw new CommunicatorException("rank " + rank + " " + operation
                    + ": the communicator is unusable after an earlier failure: " + failure);
        }
        if (closed) {
            throw new CommunicatorException("rank " + rank + " " + operation + ": the communicator is closed");
        }
    }

    /** Checks that {@code buffer} holds {@code blocks} blocks of {@code count} elements; returns one block's bytes. */
    private static int requireBytes(String operation, ByteBuffer buffer, int count, ElementType type, int blocks) {
        if (count < 0) {
            throw new IllegalArgumentException(operation + ": negative element count " + count);
        }
        long blockBytes = (long) count * type.bytes();
        long needed = blockBytes * blocks;
        if (needed > buffer.capacity()) {
            throw new IllegalArgumentException(operation + ": the buffer holds " + buffer.capacity() + " bytes, "
                    + blocks + " x " + count + " " + type + " elements need " + needed);
        }
        return (int) blockBytes;
    }

    private static void closeQuietly(AutoCloseable closeable) {
        try {
            closeable.close();
        } catch (Exception ignored) {
            // setup failed already; that failure is the one reported
        }
    }
}
