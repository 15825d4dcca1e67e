package dev.sonnx.runtime.ops.conv.dnnl;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.openblas.presets.openblas_nolapack;

/**
 * Runs small oneDNN primitives on the calling thread alone. oneDNN spreads every primitive over an
 * OpenMP team; its other threads sleep between primitives ({@code OMP_WAIT_POLICY=PASSIVE}, so that
 * they do not starve the JVM's threads), and waking them costs 20 to 80 us on a busy machine: a
 * 32 x 128 x 384 product took 17 us on one thread against 30 to 40 us on two, even back to back.
 *
 * <p>The team size is OpenMP's per-thread {@code omp_set_num_threads}, which no Java binding
 * exposes: it is called through a JavaCPP function pointer of the same C signature,
 * {@code void (*)(int)} (the OpenBLAS presets' {@code SetNumThreads}), pointed at the symbol of the
 * libgomp that oneDNN loaded. When that fails every primitive keeps the full team;
 * {@code -Dsonnx.dnnl.serialSmall=false} turns the whole thing off.
 */
final class OpenMpTeam {
    /**
     * Multiply-adds below which one thread beats the team (measured on 2 cores: 4M ran faster alone,
     * 16M faster on two threads); {@code -Dsonnx.dnnl.serialWork=N} sets another bound, for tuning
     * on other machines.
     */
    static final long SERIAL_WORK = Long.getLong("sonnx.dnnl.serialWork", 1L << 23);
    /**
     * Multiply-adds each byte of weights streamed from memory counts as: a product with few rows is
     * bound by reading its weights, and two threads read them faster. resnet18's classifier at batch
     * 1 (1 x 512 x 1000, 0.5M multiply-adds, 2 MB of weights) took 99 us on one thread and 62 us on
     * two in the network, while transformer products of about 1.5M multiply-adds over 0.2 MB of
     * weights stay faster alone.
     */
    static final long WORK_PER_WEIGHT_BYTE = 8;

    /** omp_set_num_threads, or null when it could not be found. */
    private static final openblas_nolapack.SetNumThreads SET_NUM_THREADS = find();
    /** The team size OpenMP starts every thread with. */
    private static final int FULL = initialTeam();

    private OpenMpTeam() {
    }

    private static openblas_nolapack.SetNumThreads find() {
        if (!Dnnl.available() || !Boolean.parseBoolean(System.getProperty("sonnx.dnnl.serialSmall", "true"))) {
            return null;
        }
        try {
            // OpenBLAS's JNI library holds the native side of SetNumThreads.call
            Loader.load(org.bytedeco.openblas.global.openblas_nolapack.class);
            Pointer address = Loader.addressof("omp_set_num_threads");
            if (address == null || address.isNull()) {
                return null;
            }
            openblas_nolapack.SetNumThreads f = new openblas_nolapack.SetNumThreads() { };
            f.put(address);
            return f;
        } catch (Throwable t) {
            return null;
        }
    }

    /** OMP_NUM_THREADS's first level, else every processor (what libgomp does). */
    private static int initialTeam() {
        String env = System.getenv("OMP_NUM_THREADS");
        if (env != null) {
            try {
                int n = Integer.parseInt(env.split(",")[0].trim());
                if (n > 0) {
                    return n;
                }
            } catch (NumberFormatException e) {
                // libgomp ignores a malformed value too
            }
        }
        return Runtime.getRuntime().availableProcessors();
    }

    /** Whether omp_set_num_threads was found (else every primitive runs on the full team). */
    static boolean available() {
        return SET_NUM_THREADS != null;
    }

    /** The work of a product of {@code multiplyAdds} that streams {@code weightBytes} of weights, for {@link #serial}. */
    static long work(long multiplyAdds, long weightBytes) {
        return Math.max(multiplyAdds, WORK_PER_WEIGHT_BYTE * weightBytes);
    }

    /** Whether a primitive of {@code work} multiply-adds runs on the calling thread alone. */
    static boolean serial(long work) {
        return SET_NUM_THREADS != null && FULL > 1 && work < SERIAL_WORK;
    }

    /**
     * {@code create} run with the calling thread's team cut to itself where a primitive of {@code work}
     * multiply-adds will run serially: some oneDNN kernels (layer normalisation, softmax) fix their
     * thread count when they are created and open a parallel region of that many threads on every
     * call whatever the caller's setting, which wakes a sleeping OpenMP thread for a few microseconds
     * of work (70 to 100 us a call, after another engine's run had let the team fall asleep).
     *
     * <p>{@code create} makes both the descriptor and the primitive: oneDNN's primitive cache keys a
     * primitive on the thread count when the primitive is made, while a kernel fixes its own when
     * its descriptor is made. A descriptor made alone whose primitive was made on the full team came
     * back from the cache for the team's own descriptor of the same shape, and that layer then ran
     * on one thread (a 512-channel 3 x 3 convolution at 7 x 7: 1.4 against 0.75 ms).
     */
    static <T> T createdFor(long work, java.util.function.Supplier<T> create) {
        if (!serial(work)) {
            return create.get();
        }
        enterSerial();
        try {
            return create.get();
        } finally {
            leaveSerial();
        }
    }

    /**
     * Makes the calling thread's next primitives run on it alone, until {@link #leaveSerial}. The
     * thread's team is full again outside such a section, so primitives are always created for the
     * full team (their scratchpads are sized for it; running on fewer threads is allowed).
     */
    static void enterSerial() {
        SET_NUM_THREADS.call(1);
    }

    static void leaveSerial() {
        SET_NUM_THREADS.call(FULL);
    }
}
