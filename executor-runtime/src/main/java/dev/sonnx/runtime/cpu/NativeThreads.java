package dev.sonnx.runtime.cpu;

/**
 * Thread counts of the native CPU libraries. OpenBLAS stays single-threaded ({@link Blas} splits
 * large products over the device's threads itself); oneDNN runs on OpenMP, which reads
 * {@code OMP_NUM_THREADS} once when it loads, so {@code bin/sonnx} and the Spark executors export
 * that variable from {@code --threads} / {@code spark.task.cpus}.
 */
public final class NativeThreads {
    private NativeThreads() {
    }

    /** Loads the native libraries whose thread counts can be set at run time; {@code threads} is kept for callers. */
    public static void set(int threads) {
        Blas.load();
    }
}
