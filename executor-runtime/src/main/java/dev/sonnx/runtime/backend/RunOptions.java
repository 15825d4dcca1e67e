package dev.sonnx.runtime.backend;

import dev.sonnx.runtime.SonnxException;
import dev.sonnx.runtime.autograd.Tape;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.tensor.Arena;
import dev.sonnx.runtime.tensor.Device;
import java.util.random.RandomGenerator;

/** Per-run settings shared by a run and its nested bodies. */
final class RunOptions {
    /** {@link #deadline} of a run without a time limit. */
    static final long NO_DEADLINE = Long.MAX_VALUE;

    final Device device;
    final boolean training;
    final Tape tape;
    final RandomGenerator random;
    /** Where kernels' outputs come from during the run (null: fresh memory, as at prepare). */
    final Arena arena;
    /** {@link System#nanoTime} after which the run stops at its next step; {@link #NO_DEADLINE} for none. */
    final long deadline;

    RunOptions(Device device, boolean training, Tape tape, RandomGenerator random, Arena arena, long deadline) {
        this.device = device;
        this.training = training;
        this.tape = tape;
        this.random = random;
        this.arena = arena;
        this.deadline = deadline;
    }

    /** The deadline of a run that starts now and may take {@code limitNanos} (0 or less: no limit). */
    static long deadlineAfter(long limitNanos) {
        // nanoTime has an arbitrary origin: compare by difference, and treat centuries as no limit.
        return limitNanos <= 0 || limitNanos > Long.MAX_VALUE / 4 ? NO_DEADLINE : System.nanoTime() + limitNanos;
    }

    /**
     * Stops the run between two steps when its time is up or its thread was interrupted (a cancelled
     * Spark task): a Loop with 2^63 iterations, say, ends with an error naming where it stood, which
     * is {@code where}, followed by {@code op}'s node when there is one. Costs two reads per step.
     */
    void checkContinue(String where, Operator op) {
        boolean interrupted = Thread.currentThread().isInterrupted();
        if (interrupted || deadline != NO_DEADLINE && System.nanoTime() - deadline > 0) {
            String at = op == null ? where : where + ": " + op.node().label();
            throw interrupted ? new SonnxException(at + ": the run was interrupted")
                    : new TimeLimitExceeded(at + ": the run exceeded its time limit");
        }
    }

    /** A run stopped by its deadline. */
    static final class TimeLimitExceeded extends SonnxException {
        TimeLimitExceeded(String message) {
            super(message);
        }

        /** Whether {@code e} or one of its causes is a stop by deadline. */
        static boolean causedIt(Throwable e) {
            for (Throwable c = e; c != null; c = c.getCause()) {
                if (c instanceof TimeLimitExceeded) {
                    return true;
                }
            }
            return false;
        }
    }
}
