package dev.sonnx.nccl;

/**
 * Collectives on GPU memory, for communicators that can work on it directly (NCCL). Pointers are
 * device addresses; {@code stream} is the CUDA stream (cudaStream_t address, 0 for the default) the
 * operation is queued on, so it orders with the kernels that produce and consume the data.
 */
public interface DeviceCollectives {

    void allReduce(long devicePointer, long count, ElementType type, ReduceOp op, long stream);

    void allGather(long sendPointer, long count, ElementType type, long recvPointer, long stream);

    void broadcast(long devicePointer, long count, ElementType type, int root, long stream);

    /** Starts a group of collectives launched together (ncclGroupStart); fused gradient buckets use it. */
    void groupStart();

    void groupEnd();
}
