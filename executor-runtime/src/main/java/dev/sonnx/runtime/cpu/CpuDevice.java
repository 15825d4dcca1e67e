package dev.sonnx.runtime.cpu;

import dev.sonnx.runtime.tensor.Device;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.RecursiveAction;

/**
 * The host: tensors in direct (native) byte buffers, kernels on a fork-join pool of {@link #threads()}
 * workers. One instance per thread count, shared by every model that asks for it.
 */
public final class CpuDevice implements Device {
    private static final ConcurrentHashMap<Integer, CpuDevice> BY_THREADS = new ConcurrentHashMap<>();
    private static volatile int defaultThreads = Runtime.getRuntime().availableProcessors();

    /** Below this many operations a loop runs on the calling thread: forking costs microseconds. */
    private static final long MIN_PARALLEL_WORK = 1 << 15;

    private final int threads;
    private final ForkJoinPool pool;

    private CpuDevice(int threads) {
        this.threads = threads;
        this.pool = threads > 1 ? new ForkJoinPool(threads, p -> {
            var t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(p);
            t.setName("sonnx-cpu-" + t.getPoolIndex());
            t.setDaemon(true);
            return t;
        }, null, false) : null;
    }

    /** The CPU with the default thread count (all cores unless {@link #setDefaultThreads} said otherwise). */
    public static CpuDevice get() {
        return withThreads(defaultThreads);
    }

    public static CpuDevice withThreads(int threads) {
        int n = threads <= 0 ? Runtime.getRuntime().availableProcessors() : threads;
        return BY_THREADS.computeIfAbsent(n, CpuDevice::new);
    }

    /** Sets the thread count that {@link #get()} uses (the {@code --threads} option). */
    public static void setDefaultThreads(int threads) {
        defaultThreads = threads <= 0 ? Runtime.getRuntime().availableProcessors() : threads;
        NativeThreads.set(defaultThreads);
    }

    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public boolean isHost() {
        return true;
    }

    @Override
    public int threads() {
        return threads;
    }

    @Override
    public void parallelFor(int count, long costPerItem, RangeBody body) {
        if (count <= 0) {
            return;
        }
        long work = (long) count * Math.max(1, costPerItem);
        if (pool == null || count == 1 || work < MIN_PARALLEL_WORK || ForkJoinTask.inForkJoinPool()) {
            body.run(0, count);
            return;
        }
        int chunks = (int) Math.min(count, Math.min((long) threads * 4, work / MIN_PARALLEL_WORK + 1));
        pool.invoke(new Split(body, 0, count, (count + chunks - 1) / chunks));
    }

    private static final class Split extends RecursiveAction {
        private final RangeBody body;
        private final int start;
        private final int end;
        private final int grain;

        Split(RangeBody body, int start, int end, int grain) {
            this.body = body;
            this.start = start;
            this.end = end;
            this.grain = grain;
        }

        @Override
        protected void compute() {
            if (end - start <= grain) {
                body.run(start, end);
                return;
            }
            int mid = start + (end - start) / 2;
            invokeAll(new Split(body, start, mid, grain), new Split(body, mid, end, grain));
        }
    }

    @Override
    public String toString() {
        return "cpu(" + threads + " threads)";
    }
}
