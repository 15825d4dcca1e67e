package dev.sonnx.runtime.tensor;

import java.nio.ByteBuffer;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Native blocks kept for reuse. Fresh direct memory costs a page fault per 4 KiB on first touch (tens
 * of milliseconds for a 4 MiB activation on a busy machine), far more than the kernels that fill it;
 * a block handed back by an {@link Arena} is already mapped. Sizes are rounded up to classes at most
 * 1/8 apart, so a block serves any request of its class. Blocks from {@link #CARVED_FROM} bytes up
 * are carved from {@link CarvedRegions} instead, where a dead tensor's memory serves tensors of other
 * sizes. The pool holds at most {@code sonnx.poolBytes} bytes of each kind (default: a quarter of the
 * heap limit); blocks beyond that go to GC.
 */
final class BufferPool {
    static final int ALIGNMENT = 64;
    private static final long LIMIT = Long.getLong("sonnx.poolBytes", Runtime.getRuntime().maxMemory() / 4);

    /**
     * The smallest block carved from regions. Smaller ones keep their size classes: a split region
     * would hold many of them, and a run's outputs (which escape, and are then copied out of a
     * region, see {@link HostStorage}) are mostly small.
     */
    static final int CARVED_FROM = Integer.getInteger("sonnx.pool.carvedFrom", 256 << 10);

    static final BufferPool HOST = new BufferPool(LIMIT);

    private final long limit;
    private final CarvedRegions carved;
    private final AtomicLong pooledBytes = new AtomicLong();
    private final ConcurrentHashMap<Integer, ConcurrentLinkedDeque<ByteBuffer>> free = new ConcurrentHashMap<>();

    private BufferPool(long limit) {
        this.limit = limit;
        this.carved = new CarvedRegions(limit);
    }

    /** The block size serving {@code bytes}: 4 KiB granules up to 64 KiB, then 8 steps per doubling. */
    static int sizeClass(int bytes) {
        if (bytes <= 64 << 10) {
            return Math.max(ALIGNMENT, (bytes + 4095) & -4096);
        }
        int top = 31 - Integer.numberOfLeadingZeros(bytes - 1);
        int step = 1 << (top - 3);
        long rounded = ((long) bytes + step - 1) / step * step;
        return (int) Math.min(Integer.MAX_VALUE - ALIGNMENT, rounded);
    }

    /** A block of at least {@code bytes} (its capacity is the size class), aligned, contents undefined. */
    ByteBuffer take(int bytes) {
        if (bytes >= CARVED_FROM) {
            ByteBuffer b = carved.take(bytes);
            if (b != null) {
                return b;
            }
        }
        int cls = sizeClass(bytes);
        ConcurrentLinkedDeque<ByteBuffer> q = free.get(cls);
        ByteBuffer b = q == null ? null : q.pollFirst();
        if (b != null) {
            pooledBytes.addAndGet(-cls);
            return b;
        }
        return ByteBuffer.allocateDirect(cls + ALIGNMENT).alignedSlice(ALIGNMENT).limit(cls).slice();
    }

    /** Returns a block obtained from {@link #take}; dropped (left to GC) when the pool is full. */
    void give(ByteBuffer block) {
        if (carved.give(block)) {
            return;
        }
        int cls = block.capacity();
        if (pooledBytes.addAndGet(cls) > limit) {
            pooledBytes.addAndGet(-cls);
            return;
        }
        free.computeIfAbsent(cls, k -> new ConcurrentLinkedDeque<>()).addFirst(block);
    }

    /** Whether {@code block} (from {@link #take}, not yet given back) is carved from a region. */
    boolean isCarved(ByteBuffer block) {
        return carved.isLent(block);
    }

    /** Bytes held for reuse: free blocks of the size classes and free parts of the regions. */
    long pooledBytes() {
        return pooledBytes.get() + carved.regionBytes() - carved.lentBytes();
    }

    /** Bytes of the regions blocks are carved from. */
    long carvedRegionBytes() {
        return carved.regionBytes();
    }
}
