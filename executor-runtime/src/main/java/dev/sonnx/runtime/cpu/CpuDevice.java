package dev.sonnx.runtime.cpu;

import dev.sonnx.runtime.tensor.Device;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * The host: tensors in direct (native) byte buffers, kernels on the calling thread plus a pool of
 * {@link #threads()} - 1 helpers. One instance per thread count, shared by every model that asks
 * for it.
 *
 * <p>A parallel loop is cut into chunks that the caller and the helpers claim one at a time; the
 * caller starts at once and waits only for chunks a helper has already claimed. On a loaded
 * machine a helper may get a core milliseconds after it is woken, far longer than most kernels
 * take: the caller has then done the whole loop and returns, so a late helper never delays it.
 */
public final class CpuDevice implements Device {
    private static final ConcurrentHashMap<Integer, CpuDevice> BY_THREADS = new ConcurrentHashMap<>();
    private static volatile int defaultThreads = Runtime.getRuntime().availableProcessors();

    /**
     * Below this many operations (about nanoseconds) a loop runs on the calling thread alone. A parked
     * helper takes tens of microseconds to wake on a virtual machine: on this project's 2-vCPU VM a
     * loop of 64 items ran 33 us alone and 60 us on two threads, 70 against 82 us, and only from
     * about 150 us of work did the second thread pay (145 -> 126 us). At 2^16 bert-squad-mini took
     * 0.61-0.72 ms a run, at 2^18 0.52-0.61 ms (four alternating pairs). {@code -Dsonnx.cpu.minParallelWork}
     * sets it (machines with cheap wake-ups and many cores may want less).
     */
    private static final long MIN_PARALLEL_WORK = Long.getLong("sonnx.cpu.minParallelWork", 1 << 18);
    /** Spins of a caller waiting for helpers' last chunks before it parks. */
    private static final int SPINS = 1 << 10;

    private final int threads;
    private final ForkJoinPool helpers;

    private CpuDevice(int threads) {
        this.threads = threads;
        this.helpers = threads > 1 ? new ForkJoinPool(threads - 1, p -> {
            var t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(p);
            t.setName("sonnx-cpu-" + t.getPoolIndex());
            t.setDaemon(true);
            return t;
        }, null, true) : null;
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
        // helpers run loops nested in their chunks themselves: the other threads are busy already
        if (helpers == null || count == 1 || work < MIN_PARALLEL_WORK || ForkJoinTask.inForkJoinPool()) {
            body.run(0, count);
            return;
        }
        // several chunks per thread even for loops just above the threshold: a helper that wakes late
        // (tens of microseconds on a busy machine) claims only a small piece, so the caller, which has
        // done the rest meanwhile, waits for that piece alone rather than for half of the loop
        int chunks = Math.min(count, threads * 4);
        Loop loop = new Loop(body, count, chunks, Thread.currentThread());
        for (int i = 0; i < Math.min(threads - 1, chunks - 1); i++) {
            helpers.execute(loop);
        }
        loop.run();
        loop.awaitChunks();
        Throwable failure = loop.failure.get();
        if (failure instanceof RuntimeException e) {
            throw e;
        }
        if (failure instanceof Error e) {
            throw e;
        }
        if (failure != null) {
            throw new IllegalStateException(failure);
        }
    }

    /**
     * One parallel loop: chunks claimed in order by whoever comes, the caller included. Every chunk is
     * claimed and counted done exactly once; after a failure the remaining ones are skipped.
     */
    private static final class Loop implements Runnable {
        private final RangeBody body;
        private final int count;
        private final int chunks;
        private final Thread caller;
        private final AtomicInteger next = new AtomicInteger();
        private final AtomicInteger done = new AtomicInteger();
        final AtomicReference<Throwable> failure = new AtomicReference<>();

        Loop(RangeBody body, int count, int chunks, Thread caller) {
            this.body = body;
            this.count = count;
            this.chunks = chunks;
            this.caller = caller;
        }

        /** Claims and runs chunks until none is left. */
        @Override
        public void run() {
            for (int c = next.getAndIncrement(); c < chunks; c = next.getAndIncrement()) {
                try {
                    if (failure.get() == null) {
                        body.run((int) ((long) count * c / chunks), (int) ((long) count * (c + 1) / chunks));
                    }
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                } finally {
                    if (done.incrementAndGet() == chunks && Thread.currentThread() != caller) {
                        LockSupport.unpark(caller);
                    }
                }
            }
        }

        /** Waits (after {@link #run} on the caller: every chunk is claimed) until helpers finish theirs. */
        void awaitChunks() {
            int spins = 0;
            while (done.get() < chunks) {
                if (spins++ < SPINS) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.parkNanos(this, 100_000);
                }
            }
        }
    }

    @Override
    public String toString() {
        return "cpu(" + threads + " threads)";
    }
}
