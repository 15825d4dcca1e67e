package dev.sonnx.runtime.util;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.util.Locale;

/**
 * Warm-up for timings: the JVM's optimising compiler reaches a method called once a run only after
 * a few hundred runs, and while it compiles it takes a core from the work being timed (on the CPU,
 * from oneDNN's static split of a kernel across the threads; on a GPU, from the host thread that
 * queues the kernels). A fixed count of warm-up runs is either too short for small models or wasted
 * on large ones, so warm-up runs for a minimum time and then until the compiler has been quiet.
 */
public final class JitWarmUp {
    /** Rounds in a row, and seconds, without compilation that count as quiet. */
    private static final int QUIET_ROUNDS = 20;
    private static final double QUIET_SECONDS = 2;
    /** After the minimum time, how much longer warm-up waits for quiet before it gives up. */
    private static final double MAX_EXTRA_SECONDS = 60;

    private JitWarmUp() {
    }

    /** One warm-up round: the runs being timed, once each. */
    @FunctionalInterface
    public interface Round<E extends Exception> {
        void run() throws E;
    }

    /**
     * Runs {@code round} at least {@code minRounds} times and for {@code seconds}, then until the JIT
     * has compiled nothing for QUIET_ROUNDS rounds and QUIET_SECONDS (at most MAX_EXTRA_SECONDS more).
     * Returns a line saying how many rounds that took, and whether the compiler was still at work.
     */
    public static <E extends Exception> String run(double seconds, int minRounds, Round<E> round) throws E {
        long start = System.nanoTime();
        long end = start + (long) (seconds * 1e9);
        long giveUp = end + (long) (MAX_EXTRA_SECONDS * 1e9);
        int rounds = 0;
        int quietRounds = 0;
        long quietSince = start;
        long lastCompile = compileMillis();
        while (rounds < minRounds || System.nanoTime() < end
                || !quiet(quietRounds, quietSince) && System.nanoTime() < giveUp) {
            round.run();
            long compiled = compileMillis();
            if (compiled == lastCompile) {
                quietRounds++;
            } else {
                quietRounds = 0;
                quietSince = System.nanoTime();
            }
            lastCompile = compiled;
            rounds++;
        }
        return String.format(Locale.ROOT, "warm-up: %d rounds in %.1f s%s", rounds, (System.nanoTime() - start) / 1e9,
                quiet(quietRounds, quietSince) ? "" : " (the JIT was still compiling)");
    }

    private static boolean quiet(int quietRounds, long quietSince) {
        return quietRounds >= QUIET_ROUNDS && System.nanoTime() - quietSince >= QUIET_SECONDS * 1e9;
    }

    /** The JVM's total compilation time so far, in milliseconds (0 where it is not reported). */
    public static long compileMillis() {
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        return jit != null && jit.isCompilationTimeMonitoringSupported() ? jit.getTotalCompilationTime() : 0;
    }
}
