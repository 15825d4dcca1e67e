package dev.sonnx.runtime.cuda;

import static org.bytedeco.cuda.global.cudart.cudaFree;
import static org.bytedeco.cuda.global.cudart.cudaMalloc;
import static org.bytedeco.cuda.global.cudart.cudaSuccess;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import org.bytedeco.cuda.global.cudart;
import org.bytedeco.javacpp.Pointer;

/**
 * A caching allocator over plain {@code cudaMalloc} (never managed memory): freed blocks are kept by
 * size class and handed out again, since cudaMalloc and cudaFree synchronize the device and cost
 * far more than a run's kernels. Sizes are rounded to 512 bytes below 1 MiB and to a quarter of a
 * power of two above (at most 25% waste), so that a model's recurring shapes reuse blocks exactly.
 *
 * <p>All kernels run on one stream per device, so a block recycled here after its last kernel was
 * queued can be handed to the next kernel without waiting: the stream orders them. When cudaMalloc
 * fails, the cache goes back to the device, unreachable tensors are collected (their cleaners
 * recycle blocks) and the allocation is tried again.
 */
final class CudaMemory {
    private final Map<Long, ArrayDeque<Long>> free = new HashMap<>();
    private final int deviceIndex;
    private long liveBytes;
    private long peakBytes;
    /** Bytes taken with cudaMalloc since the last collection hint. */
    private long freshSinceGc;
    private final long gcHintBytes;

    CudaMemory(int deviceIndex, long totalBytes) {
        this.deviceIndex = deviceIndex;
        // Escaped tensors go back when the collector finds them; ask for a collection now and then
        // so that a loop of runs whose outputs the caller drops cannot fill the device.
        this.gcHintBytes = Math.max(1L << 30, totalBytes / 4);
    }

    static long sizeClass(long bytes) {
        if (bytes <= 0) {
            return 512;
        }
        if (bytes < (1 << 20)) {
            return (bytes + 511) & ~511L;
        }
        long high = Long.highestOneBit(bytes);
        long step = high / 4;
        return (bytes + step - 1) / step * step;
    }

    /** A block of at least {@code bytes}; returns its address. */
    synchronized long allocate(long bytes) {
        long size = sizeClass(bytes);
        long address = takeCached(size);
        if (address != 0) {
            return address;
        }
        if (freshSinceGc > gcHintBytes) {
            freshSinceGc = 0;
            collectUnreachable();
            address = takeCached(size);
            if (address != 0) {
                return address;
            }
        }
        address = malloc(size);
        if (address == 0) {
            emptyCache();
            collectUnreachable();
            address = takeCached(size);
            if (address != 0) {
                return address;
            }
            emptyCache();
            address = malloc(size);
        }
        if (address == 0) {
            throw new CudaException("cuda:" + deviceIndex + ": out of device memory allocating " + size
                    + " bytes (" + liveBytes + " bytes in use)");
        }
        freshSinceGc += size;
        counted(size);
        return address;
    }

    /** A cached block of exactly this size class, or 0 when none is free. */
    private long takeCached(long size) {
        ArrayDeque<Long> q = free.get(size);
        if (q == null || q.isEmpty()) {
            return 0;
        }
        counted(size);
        return q.pop();
    }

    private void counted(long size) {
        liveBytes += size;
        peakBytes = Math.max(peakBytes, liveBytes);
    }

    private long malloc(long size) {
        Pointer p = new Pointer();
        int rc = cudaMalloc(p, size);
        if (rc != cudaSuccess) {
            cudart.cudaGetLastError();   // clear the sticky-free error state of the runtime
            return 0;
        }
        return p.address();
    }

    /** Takes a block back for reuse. */
    synchronized void recycle(long address, long bytes) {
        long size = sizeClass(bytes);
        free.computeIfAbsent(size, k -> new ArrayDeque<>()).push(address);
        liveBytes -= size;
    }

    /** Gives every cached block back to the device. */
    synchronized void emptyCache() {
        for (ArrayDeque<Long> q : free.values()) {
            for (long a : q) {
                cudaFree(new DevicePointer(a));
            }
        }
        free.clear();
    }

    /** Lets the garbage collector find dropped tensors, whose cleaners recycle their blocks. */
    private void collectUnreachable() {
        // The cleaners call recycle(), which needs this monitor: wait for them outside it.
        Thread t = new Thread(() -> {
            System.gc();
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        t.start();
        try {
            wait(200);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    synchronized long liveBytes() {
        return liveBytes;
    }

    synchronized long peakBytes() {
        return peakBytes;
    }
}
