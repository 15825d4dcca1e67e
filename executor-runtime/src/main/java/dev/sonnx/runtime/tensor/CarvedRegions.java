package dev.sonnx.runtime.tensor;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * The large blocks of runs, carved from a few regions of native memory: best fit, the rest of a chunk
 * split off, and a freed chunk merged with its free neighbours (the scheme of ONNX Runtime's and
 * TensorFlow's BFC arenas). With one block kept per size class, every size a network ever used
 * stayed reserved for that size: resnet18 at batch 8 held 66 MB of blocks for a run whose tensors
 * never take more than 32 MB at once. Carved, the stem's 25.7 MB output is four of the next layers'
 * 6.4 MB tensors once it is dead. Regions are never given back; past {@code limit} bytes of them,
 * requests are refused (the caller then allocates memory of its own). Thread-safe.
 */
final class CarvedRegions {
    /** Chunks are whole pages: aligned for any kernel, and a split never leaves a useless sliver. */
    static final int GRANULE = 4096;

    private final long limit;
    private long regionBytes;
    /** Free chunks by size. */
    private final TreeMap<Integer, ArrayDeque<Chunk>> free = new TreeMap<>();
    /** Chunks in use, by the block handed out for them. */
    private final Map<ByteBuffer, Chunk> lent = new IdentityHashMap<>();

    /** A piece of a region, linked to its neighbours in address order. */
    private static final class Chunk {
        final ByteBuffer region;
        int offset;
        int size;
        boolean isFree;
        Chunk previous;
        Chunk next;

        Chunk(ByteBuffer region, int offset, int size) {
            this.region = region;
            this.offset = offset;
            this.size = size;
        }
    }

    CarvedRegions(long limit) {
        this.limit = limit;
    }

    /**
     * A block of at least {@code bytes} (page-aligned, capacity a whole number of pages, contents
     * undefined), or null when a new region would pass the limit or exceed a buffer's 2 GiB.
     */
    synchronized ByteBuffer take(int bytes) {
        long pages = ((long) bytes + GRANULE - 1) & -GRANULE;
        if (pages + GRANULE > Integer.MAX_VALUE) {
            return null; // no region of that size, with its alignment, fits a buffer
        }
        int size = (int) pages;
        Map.Entry<Integer, ArrayDeque<Chunk>> fit = free.ceilingEntry(size);
        Chunk c;
        if (fit != null) {
            c = fit.getValue().pollFirst();
            if (fit.getValue().isEmpty()) {
                free.remove(fit.getKey());
            }
            if (c.size - size >= GRANULE) {
                Chunk rest = new Chunk(c.region, c.offset + size, c.size - size);
                rest.previous = c;
                rest.next = c.next;
                if (c.next != null) {
                    c.next.previous = rest;
                }
                c.next = rest;
                c.size = size;
                addFree(rest);
            }
        } else {
            if (regionBytes + size > limit) {
                return null;
            }
            ByteBuffer region = ByteBuffer.allocateDirect(size + GRANULE).alignedSlice(GRANULE);
            regionBytes += size;
            c = new Chunk(region, 0, size);
        }
        c.isFree = false;
        ByteBuffer block = c.region.duplicate().clear().position(c.offset).limit(c.offset + c.size).slice();
        lent.put(block, c);
        return block;
    }

    /** Takes back a block from {@link #take}; false when {@code block} is not one that is lent. */
    synchronized boolean give(ByteBuffer block) {
        Chunk c = lent.remove(block);
        if (c == null) {
            return false;
        }
        if (c.next != null && c.next.isFree) {
            removeFree(c.next);
            absorbNext(c);
        }
        if (c.previous != null && c.previous.isFree) {
            c = c.previous;
            removeFree(c);
            absorbNext(c);
        }
        addFree(c);
        return true;
    }

    /** Whether {@code block} is a carved block now lent out. */
    synchronized boolean isLent(ByteBuffer block) {
        return lent.containsKey(block);
    }

    /** Bytes of all regions, free or lent. */
    synchronized long regionBytes() {
        return regionBytes;
    }

    /** Bytes lent out now. */
    synchronized long lentBytes() {
        long n = 0;
        for (Chunk c : lent.values()) {
            n += c.size;
        }
        return n;
    }

    /** Merges the chunk after {@code c} into it. */
    private static void absorbNext(Chunk c) {
        Chunk after = c.next;
        c.size += after.size;
        c.next = after.next;
        if (after.next != null) {
            after.next.previous = c;
        }
    }

    private void addFree(Chunk c) {
        c.isFree = true;
        free.computeIfAbsent(c.size, k -> new ArrayDeque<>()).addFirst(c);
    }

    private void removeFree(Chunk c) {
        ArrayDeque<Chunk> same = free.get(c.size);
        same.removeFirstOccurrence(c);
        if (same.isEmpty()) {
            free.remove(c.size);
        }
    }
}
