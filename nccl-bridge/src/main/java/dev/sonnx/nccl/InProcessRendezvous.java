package dev.sonnx.nccl;

import java.time.Duration;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A {@link Rendezvous} among ranks that are threads of one JVM (local runs, tests, benchmarks). Each
 * rank takes its view with {@link #forRank}. A rank that does not arrive within the timeout breaks
 * the rendezvous for all, so a failed start throws instead of hanging.
 */
public final class InProcessRendezvous {

    private final int worldSize;
    private final long timeoutNanos;
    private final byte[][] slots;
    /** Two barriers per round: one after every rank has written its slot, one after all have read them. */
    private final CyclicBarrier barrier;

    public InProcessRendezvous(int worldSize, Duration timeout) {
        if (worldSize < 1) {
            throw new IllegalArgumentException("world size must be at least 1, got " + worldSize);
        }
        this.worldSize = worldSize;
        this.timeoutNanos = timeout.toNanos();
        this.slots = new byte[worldSize][];
        this.barrier = new CyclicBarrier(worldSize);
    }

    public Rendezvous forRank(int rank) {
        if (rank < 0 || rank >= worldSize) {
            throw new IllegalArgumentException("rank " + rank + " does not exist in a world of " + worldSize);
        }
        return mine -> {
            slots[rank] = mine.clone();
            await(rank);
            byte[][] all = new byte[worldSize][];
            for (int r = 0; r < worldSize; r++) {
                all[r] = slots[r].clone();
            }
            await(rank);
            return all;
        };
    }

    private void await(int rank) {
        try {
            barrier.await(timeoutNanos, TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CommunicatorException("rank " + rank + " rendezvous: interrupted", e);
        } catch (TimeoutException | BrokenBarrierException e) {
            throw new CommunicatorException("rank " + rank + " rendezvous: not every one of the " + worldSize
                    + " ranks arrived within " + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms", e);
        }
    }
}
