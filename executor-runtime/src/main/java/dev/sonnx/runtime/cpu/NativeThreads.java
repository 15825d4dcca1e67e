package dev.sonnx.runtime.cpu;

import org.bytedeco.openblas.global.openblas_nolapack;

/**
 * Thread counts of the native CPU libraries. OpenBLAS takes its count at run time; oneDNN runs on
 * OpenMP, which reads {@code OMP_NUM_THREADS} once when it loads, so {@code bin/sonnx} and the Spark
 * executors export that variable from {@code --threads} / {@code spark.task.cpus}.
 */
public final class NativeThreads {
    private NativeThreads() {
    }

    public static void set(int threads) {
        Blas.load();
        openblas_nolapack.blas_set_num_threads(Math.max(1, threads));
    }
}
