package dev.sonnx.nccl;

/**
 * What one rank sends to its right neighbour and receives from its left neighbour during one ring
 * collective: an ordered list of send blocks and one of receive blocks, each a byte range of the
 * collective's buffer. {@link RingTransfer} streams them; this class only says which ranges.
 *
 * <p>The buffer is cut into {@code worldSize} segments. In step {@code i} a rank sends segment
 * {@code rank - i} and receives segment {@code rank - i - 1} (mod worldSize). For an all-reduce the
 * first worldSize - 1 steps are the reduce-scatter (received blocks are added into the local ones;
 * afterwards rank r holds the full sum of segment r + 1) and the next worldSize - 1 steps are the
 * all-gather (received blocks overwrite the local ones). In every step after the first, the block a
 * rank sends is the block it received in the step before, so a send may only run as far as that
 * receive has been processed: {@link #sendWaitsFor} names that receive, which lets the transfer
 * forward a segment chunk by chunk while the rest of it is still arriving (pipelining).
 *
 * <p>One instance per communicator, reconfigured for each collective: nothing is allocated per call.
 */
final class RingSchedule {

    private enum Kind { ALL_REDUCE, ALL_GATHER, BROADCAST }

    private final int rank;
    private final int worldSize;
    /** Byte offset of each segment; entry worldSize is the end of the last one. */
    private final int[] segmentStart;

    private Kind kind;
    private int broadcastBytes;
    private int distanceFromRoot;

    RingSchedule(int rank, int worldSize) {
        this.rank = rank;
        this.worldSize = worldSize;
        this.segmentStart = new int[worldSize + 1];
    }

    /** All-reduce of {@code count} elements: segments as equal as whole elements allow. */
    void allReduce(int count, int elementBytes) {
        kind = Kind.ALL_REDUCE;
        for (int s = 0; s <= worldSize; s++) {
            segmentStart[s] = (int) ((long) count * s / worldSize) * elementBytes;
        }
    }

    /** All-gather where every rank contributes {@code blockBytes} bytes, rank r's at r * blockBytes. */
    void allGather(int blockBytes) {
        kind = Kind.ALL_GATHER;
        for (int s = 0; s <= worldSize; s++) {
            segmentStart[s] = s * blockBytes;
        }
    }

    /** All-gather where rank r contributes {@code blockBytes[r]} bytes, laid out in rank order. */
    void allGather(int[] blockBytes) {
        kind = Kind.ALL_GATHER;
        segmentStart[0] = 0;
        for (int s = 0; s < worldSize; s++) {
            segmentStart[s + 1] = Math.addExact(segmentStart[s], blockBytes[s]);
        }
    }

    /** Broadcast of {@code bytes} bytes from {@code root}, forwarded along the ring. */
    void broadcast(int bytes, int root) {
        kind = Kind.BROADCAST;
        broadcastBytes = bytes;
        distanceFromRoot = Math.floorMod(rank - root, worldSize);
    }

    int sendBlocks() {
        return switch (kind) {
            case ALL_REDUCE -> 2 * (worldSize - 1);
            case ALL_GATHER -> worldSize - 1;
            // the last rank of the chain has nobody left to forward to
            case BROADCAST -> distanceFromRoot < worldSize - 1 ? 1 : 0;
        };
    }

    int receiveBlocks() {
        return switch (kind) {
            case ALL_REDUCE -> 2 * (worldSize - 1);
            case ALL_GATHER -> worldSize - 1;
            case BROADCAST -> distanceFromRoot > 0 ? 1 : 0;
        };
    }

    int sendOffset(int block) {
        return kind == Kind.BROADCAST ? 0 : segmentStart[sentSegment(block)];
    }

    int sendLength(int block) {
        return kind == Kind.BROADCAST ? broadcastBytes : segmentLength(sentSegment(block));
    }

    /** The receive block that must be processed before this send block can go out, or -1. */
    int sendWaitsFor(int block) {
        if (kind == Kind.BROADCAST) {
            return distanceFromRoot == 0 ? -1 : 0;
        }
        return block - 1;
    }

    int receiveOffset(int block) {
        return kind == Kind.BROADCAST ? 0 : segmentStart[receivedSegment(block)];
    }

    int receiveLength(int block) {
        return kind == Kind.BROADCAST ? broadcastBytes : segmentLength(receivedSegment(block));
    }

    /** Whether this receive block is combined into the local data (reduce-scatter) rather than copied. */
    boolean receiveReduces(int block) {
        return kind == Kind.ALL_REDUCE && block < worldSize - 1;
    }

    /** Whether this receive block completes its segment's reduction (where an average divides). */
    boolean receiveIsLastHop(int block) {
        return kind == Kind.ALL_REDUCE && block == worldSize - 2;
    }

    private int sentSegment(int block) {
        return Math.floorMod(rank - block, worldSize);
    }

    private int receivedSegment(int block) {
        return Math.floorMod(rank - block - 1, worldSize);
    }

    private int segmentLength(int segment) {
        return segmentStart[segment + 1] - segmentStart[segment];
    }
}
