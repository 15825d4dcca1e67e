package dev.sonnx.nccl;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.concurrent.TimeUnit;

/**
 * Streams a {@link RingSchedule} over one rank's two ring links: bytes go out to the right neighbour
 * while bytes come in from the left one, in one thread, with non-blocking channels and a selector.
 * The kernel's socket buffers keep both directions moving while this thread adds a received chunk
 * into the local data, so sending, receiving and reducing overlap without helper threads.
 *
 * <p>Received blocks that are copied land straight in the collective's buffer; blocks that are
 * reduced land in a staging buffer of one chunk and are added from there. A send block that forwards
 * a received block goes out as far as that block has been processed, chunk by chunk.
 *
 * <p>A neighbour that closes its link, resets it, or lets {@code timeout} pass without any byte
 * moving either way ends the transfer with a {@link RingFailure} naming it.
 */
final class RingTransfer implements AutoCloseable {

    private final int leftRank;
    private final int rightRank;
    private final SocketChannel toRight;
    private final SocketChannel fromLeft;
    private final Selector selector;
    private final SelectionKey rightKey;
    private final SelectionKey leftKey;
    private final long timeoutNanos;
    /** One chunk of received data waiting to be reduced into the local block. */
    private final ByteBuffer staging;
    /** Reads on the outgoing link only ever see its end: the right neighbour never sends on it. */
    private final ByteBuffer closeProbe = ByteBuffer.allocateDirect(1);

    private volatile long bytesSent;

    private final BufferViews views = new BufferViews();
    /** The view of the collective's buffer that this transfer moves position and limit on. */
    private ByteBuffer view;

    // progress of the transfer in flight
    private RingSchedule schedule;
    private int sendBlock;
    private int sendPosition;
    private int receiveBlock;
    /** Bytes of the current receive block read from the socket (into staging or the buffer). */
    private int receivePosition;
    /** Bytes of the current receive block in their final place: copied, or reduced from staging. */
    private int receiveProcessed;
    private int stagingFill;

    RingTransfer(int rank, int worldSize, SocketChannel toRight, SocketChannel fromLeft, int chunkBytes,
                 long timeoutNanos) throws IOException {
        this.leftRank = Math.floorMod(rank - 1, worldSize);
        this.rightRank = (rank + 1) % worldSize;
        this.toRight = toRight;
        this.fromLeft = fromLeft;
        this.timeoutNanos = timeoutNanos;
        this.staging = ByteBuffer.allocateDirect(chunkBytes).order(ByteOrder.LITTLE_ENDIAN);
        toRight.configureBlocking(false);
        fromLeft.configureBlocking(false);
        this.selector = Selector.open();
        this.rightKey = toRight.register(selector, 0);
        this.leftKey = fromLeft.register(selector, 0);
    }

    long bytesSent() {
        return bytesSent;
    }

    /**
     * Runs {@code schedule} on {@code data} (read as little-endian from index 0). {@code reduction}
     * combines reduced blocks; {@code elementBytes} keeps reductions on whole elements.
     */
    void run(RingSchedule schedule, ByteBuffer data, BlockReduction reduction, int elementBytes)
            throws RingFailure {
        this.schedule = schedule;
        view = views.bytes(data);
        sendBlock = 0;
        sendPosition = 0;
        receiveBlock = 0;
        receivePosition = 0;
        receiveProcessed = 0;
        stagingFill = 0;
        int sends = schedule.sendBlocks();
        int receives = schedule.receiveBlocks();
        long lastProgress = System.nanoTime();
        try {
            while (sendBlock < sends || receiveBlock < receives) {
                boolean sent = pumpSends(sends);
                boolean received = pumpReceives(receives, reduction, elementBytes);
                if (sent || received) {
                    lastProgress = System.nanoTime();
                } else {
                    awaitReadiness(sends, receives, lastProgress);
                }
            }
        } catch (ClosedSelectorException | CancelledKeyException e) {
            // close() from another thread (a task being killed) while this one waited
            throw new RingFailure("the communicator was closed while the collective ran", e);
        }
    }

    private boolean pumpSends(int sends) throws RingFailure {
        boolean progressed = false;
        while (sendBlock < sends) {
            int length = schedule.sendLength(sendBlock);
            if (sendPosition == length) {
                sendBlock++;
                sendPosition = 0;
                continue;
            }
            int ready = sendableBytes(length);
            if (sendPosition == ready) {
                return progressed; // the rest is what this rank is still receiving
            }
            int offset = schedule.sendOffset(sendBlock);
            view.limit(offset + ready).position(offset + sendPosition);
            int written = write(view);
            if (written == 0) {
                return progressed; // socket buffer full: the right neighbour has not caught up
            }
            sendPosition += written;
            bytesSent += written;
            progressed = true;
        }
        return progressed;
    }

    /** How much of the current send block may go out now. */
    private int sendableBytes(int length) {
        int forwarded = schedule.sendWaitsFor(sendBlock);
        if (forwarded < 0 || receiveBlock > forwarded) {
            return length;
        }
        return receiveBlock == forwarded ? receiveProcessed : 0;
    }

    private boolean pumpReceives(int receives, BlockReduction reduction, int elementBytes) throws RingFailure {
        boolean progressed = false;
        while (receiveBlock < receives) {
            int length = schedule.receiveLength(receiveBlock);
            if (receiveProcessed == length) {
                receiveBlock++;
                receivePosition = 0;
                receiveProcessed = 0;
                continue;
            }
            int offset = schedule.receiveOffset(receiveBlock);
            if (!schedule.receiveReduces(receiveBlock)) {
                view.limit(offset + length).position(offset + receivePosition);
                int read = read(view);
                if (read == 0) {
                    return progressed;
                }
                receivePosition += read;
                receiveProcessed = receivePosition;
                progressed = true;
                continue;
            }
            int room = Math.min(staging.capacity() - stagingFill, length - receivePosition);
            int read = 0;
            if (room > 0) {
                staging.limit(stagingFill + room).position(stagingFill);
                read = read(staging);
                stagingFill += read;
                receivePosition += read;
                progressed |= read > 0;
            }
            int whole = stagingFill - stagingFill % elementBytes;
            // reduce a full chunk, the end of a block, or whatever whole elements arrived when the
            // socket has nothing more for now: computing beats waiting
            boolean reduceNow = read == 0 || stagingFill == staging.capacity() || receivePosition == length;
            if (whole == 0 || !reduceNow) {
                if (read == 0) {
                    return progressed;
                }
                continue;
            }
            view.clear();
            reduction.accumulate(view, offset + receiveProcessed, staging, 0, whole,
                    schedule.receiveIsLastHop(receiveBlock));
            receiveProcessed += whole;
            keepPartialElement(whole);
            progressed = true;
        }
        return progressed;
    }

    /** Moves the bytes of an element cut by a read boundary (fewer than eight) to the front of staging. */
    private void keepPartialElement(int reducedBytes) {
        int rest = stagingFill - reducedBytes;
        for (int i = 0; i < rest; i++) {
            staging.put(i, staging.get(reducedBytes + i));
        }
        stagingFill = rest;
    }

    private void awaitReadiness(int sends, int receives, long lastProgress) throws RingFailure {
        if (Thread.currentThread().isInterrupted()) {
            throw new RingFailure("interrupted while waiting for rank " + leftRank + " or rank " + rightRank);
        }
        boolean sending = sendBlock < sends;
        boolean blockedOnSocket = sending && sendPosition < sendableBytes(schedule.sendLength(sendBlock));
        boolean receiving = receiveBlock < receives;
        long waited = System.nanoTime() - lastProgress;
        if (waited >= timeoutNanos) {
            throw stall(waited, blockedOnSocket, receiving);
        }
        // interest in reads on the outgoing link: its only event is the right neighbour closing it
        rightKey.interestOps(sending ? SelectionKey.OP_READ | (blockedOnSocket ? SelectionKey.OP_WRITE : 0) : 0);
        leftKey.interestOps(receiving ? SelectionKey.OP_READ : 0);
        long waitMillis = Math.max(1, TimeUnit.NANOSECONDS.toMillis(timeoutNanos - waited + 999_999));
        try {
            selector.select(waitMillis);
        } catch (IOException e) {
            throw new RingFailure("waiting for rank " + leftRank + " and rank " + rightRank + " failed", e);
        }
        boolean rightReadable = selector.selectedKeys().contains(rightKey) && rightKey.isReadable();
        selector.selectedKeys().clear();
        if (rightReadable) {
            probeRightNeighbour();
        }
    }

    private void probeRightNeighbour() throws RingFailure {
        closeProbe.clear();
        int read;
        try {
            read = toRight.read(closeProbe);
        } catch (IOException e) {
            throw new RingFailure("the link to rank " + rightRank + " (right neighbour) failed: " + describe(e), e);
        }
        if (read < 0) {
            throw new RingFailure("rank " + rightRank + " (right neighbour) closed its connection: it died or"
                    + " gave up after a failure elsewhere in the ring");
        }
        if (read > 0) {
            throw new RingFailure("rank " + rightRank + " (right neighbour) sent data on a link that carries"
                    + " data only towards it: protocol error");
        }
    }

    private RingFailure stall(long waitedNanos, boolean blockedOnSocket, boolean receiving) {
        StringBuilder waitingFor = new StringBuilder();
        if (receiving) {
            waitingFor.append("data from rank ").append(leftRank).append(" (left neighbour)");
        }
        if (blockedOnSocket) {
            waitingFor.append(receiving ? " and for " : "").append("rank ").append(rightRank)
                    .append(" (right neighbour) to take data");
        }
        return new RingFailure("no progress for " + TimeUnit.NANOSECONDS.toMillis(waitedNanos) + " ms waiting for "
                + waitingFor + ": it died, stalled or is not in this collective");
    }

    private int write(ByteBuffer source) throws RingFailure {
        try {
            return toRight.write(source);
        } catch (IOException e) {
            throw new RingFailure("sending to rank " + rightRank + " (right neighbour) failed: " + describe(e)
                    + ": it died or gave up after a failure elsewhere in the ring", e);
        }
    }

    private int read(ByteBuffer target) throws RingFailure {
        int read;
        try {
            read = fromLeft.read(target);
        } catch (IOException e) {
            throw new RingFailure("receiving from rank " + leftRank + " (left neighbour) failed: " + describe(e)
                    + ": it died or gave up after a failure elsewhere in the ring", e);
        }
        if (read < 0) {
            throw new RingFailure("rank " + leftRank + " (left neighbour) closed its connection mid-collective: it"
                    + " died or gave up after a failure elsewhere in the ring");
        }
        return read;
    }

    /** The exception's message, or its class for those without one (ClosedChannelException). */
    private static String describe(IOException e) {
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }

    @Override
    public void close() {
        closeQuietly(selector);
        closeQuietly(toRight);
        closeQuietly(fromLeft);
    }

    private static void closeQuietly(AutoCloseable closeable) {
        try {
            closeable.close();
        } catch (Exception ignored) {
            // closing is best effort: the peers learn of it from the connection ending either way
        }
    }
}
