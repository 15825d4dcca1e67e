package dev.sonnx.runtime.tensor;

/**
 * Where tensors live and kernels run. {@code cpu} holds tensors in native host memory; {@code cuda:N}
 * (see {@code dev.sonnx.runtime.cuda}) in device memory. Kernels ask the device for parallelism.
 */
public interface Device {

    /** {@code cpu} or {@code cuda:N}. */
    String name();

    /** True for the host device whose tensors Java code can read directly. */
    boolean isHost();

    /** How many threads kernels on this device may use. */
    int threads();

    /**
     * Runs {@code body} over {@code [0, count)} split into contiguous ranges across this device's
     * threads; {@code costPerItem} (rough operations per item) decides whether splitting pays off.
     */
    void parallelFor(int count, long costPerItem, RangeBody body);

    /** A body of a parallel loop over a half-open range. */
    @FunctionalInterface
    interface RangeBody {
        void run(int start, int end);
    }

    /** One line about the device (the GPU and its libraries, for {@code cuda:N}). */
    default String describe() {
        return name() + ": " + threads() + " threads";
    }

    /**
     * Whether convolutions and matrix products run on float16 operands (float32 results, float32
     * weights and everything else): mixed precision, on a GPU when asked for.
     */
    default boolean mixedPrecision() {
        return false;
    }

    /**
     * Whether runs on this device must not overlap: a GPU queues every kernel on one stream through
     * library handles (cuDNN's, cuBLAS's) that threads may not use at the same time, so concurrent
     * runs (Spark tasks sharing an executor's GPU) take turns; each run's kernels keep the GPU busy.
     */
    default boolean runsOneAtATime() {
        return false;
    }

    /** Waits until the work queued on this device has run (a no-op where kernels run synchronously). */
    default void synchronize() {
    }

    /** Parses {@code cpu}, {@code cpu:N} (N threads) or {@code cuda:N}. */
    static Device parse(String spec) {
        return Devices.parse(spec);
    }
}
