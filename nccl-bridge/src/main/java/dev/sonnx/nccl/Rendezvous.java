package dev.sonnx.nccl;

/**
 * How ranks find each other at start: an all-gather of small byte arrays among all ranks, supplied
 * by the caller (Spark's {@code BarrierTaskContext.allGather} in a job; threads or processes in tests).
 */
@FunctionalInterface
public interface Rendezvous {

    /** Every rank's {@code mine}, in rank order. Blocks until all ranks have called it. */
    byte[][] allGather(byte[] mine);
}
