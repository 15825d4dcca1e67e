package dev.sonnx.nccl;

/** How {@link Communicator#allReduce} combines the ranks' values. */
public enum ReduceOp {
    SUM,
    /** The sum divided by the world size. */
    AVERAGE,
    MAX
}
