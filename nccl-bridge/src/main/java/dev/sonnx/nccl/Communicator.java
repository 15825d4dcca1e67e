package dev.sonnx.nccl;

import java.nio.ByteBuffer;

/**
 * Collective communication among the ranks of one training job. Every rank calls the same
 * collectives in the same order. Buffers are direct (native) little-endian byte buffers holding
 * {@code count} elements of {@code type} from position 0; operations work in place where the
 * signature has one buffer. Implementations: {@link LocalCommunicator} (one rank), the TCP ring
 * (CPU executors) and NCCL (GPUs; device memory through {@link DeviceCollectives}).
 *
 * <p>A failure of any peer (death, stall past the timeout) makes every call on every surviving rank
 * throw {@link CommunicatorException} rather than hang.
 */
public interface Communicator extends AutoCloseable {

    int rank();

    int worldSize();

    /** Sums (or averages) {@code count} elements of {@code buffer} across ranks, in place on every rank. */
    void allReduce(ByteBuffer buffer, int count, ElementType type, ReduceOp op);

    /**
     * Gathers every rank's {@code count} elements of {@code send} into {@code recv}, rank by rank:
     * rank r's elements land at element offset r * count. {@code recv} holds worldSize * count elements.
     */
    void allGather(ByteBuffer send, int count, ElementType type, ByteBuffer recv);

    /** Gathers byte arrays of any length from every rank, in rank order (small control messages). */
    byte[][] allGatherBytes(byte[] mine);

    /** Copies {@code root}'s {@code count} elements of {@code buffer} to every rank, in place. */
    void broadcast(ByteBuffer buffer, int count, ElementType type, int root);

    /** Returns when every rank has called it. */
    void barrier();

    /** Bytes this rank has sent since it was created (for reports of what each mode costs). */
    long bytesSent();

    @Override
    void close();
}
