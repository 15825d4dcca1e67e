package dev.sonnx.runtime.tensor;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * The large blocks of runs, carved from a few regions of native memory: best fit, the rest of a chunk
 * split off, and a freed chunk merged with its free neighbours (the scheme of ONNX Runtime's and
 * TensorFlow's BFC arenas). With one block kept per size class, every size a network ever used
 * stayed reserved for that size: resnet18 at batch 8 held 66 MB of blocks for a run whose tensors
 * never take more than 32 MB at once. Carved, the stem's 25.7 MB output is four of the next layers'
 * 6.4 MB tensors once it is dead. Regions are never given back; past {@code limit} bytes of them,
 * requests are refused (the caller then allocates memory of its own). Thread-safe.
 *
 * <p>A run takes and gives back dozens of blocks, so the bookkeeping allocates nothing once the
 * regions stop growing (but the block handed out, a fresh view each time so that a stale one is
 * never mistaken for a lent one): the free chunks are a sorted array, and the chunks that merges
 * retire are kept for the next splits.
 */
final class CarvedRegions {
    /** Chunks are whole pages: aligned for any kernel, and a split never leaves a useless sliver. */
    static final int GRANULE = 4096;

    private final long limit;
    private long regionBytes;
    /** Free chunks, {@code freeCount} of them, by size, then region, then offset: best fit is the first that fits. */
    private Chunk[] free = new Chunk[16];
    private int freeCount;
    /** Chunks in use, by the block handed out for them. */
    private final Map<ByteBuffer, Chunk> lent = new IdentityHashMap<>();
    /** Chunks that merges retired, for the next splits. */
    private final ArrayDeque<Chunk> spare = new ArrayDeque<>();
    private int regions;

    /** A piece of a region, linked to its neighbours in address order. */
    private static final class Chunk {
        ByteBuffer region;
        /** The region's number, in order of creation: with the offset, the chunk's place for ties in size. */
        int regionIndex;
        int offset;
        int size;
        boolean isFree;
        Chunk previous;
        Chunk next;

        Chunk set(ByteBuffer region, int regionIndex, int offset, int size) {
            this.region = region;
            this.regionIndex = regionIndex;
            this.offset = offset;
            this.size = size;
            return this;
        }

        /** Whether this chunk comes before {@code o} in the free array. */
        boolean before(Chunk o) {
            return size != o.size ? size < o.size : regionIndex != o.regionIndex ? regionIndex < o.regionIndex
                    : offset < o.offset;
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
        int fit = firstFitting(size);
        Chunk c;
        if (fit < freeCount) {
            c = free[fit];
            removeFreeAt(fit);
            if (c.size - size >= GRANULE) {
                Chunk rest = newChunk(c.region, c.regionIndex, c.offset + size, c.size - size);
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
            c = newChunk(region, regions++, 0, size);
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

    /** Merges the chunk after {@code c} into it, and keeps the one merged away for a later split. */
    private void absorbNext(Chunk c) {
        Chunk after = c.next;
        c.size += after.size;
        c.next = after.next;
        if (after.next != null) {
            after.next.previous = c;
        }
        after.set(null, 0, 0, 0);
        after.previous = null;
        after.next = null;
        spare.push(after);
    }

    private Chunk newChunk(ByteBuffer region, int regionIndex, int offset, int size) {
        Chunk c = spare.isEmpty() ? new Chunk() : spare.pop();
        return c.set(region, regionIndex, offset, size);
    }

    /** The index of the first free chunk of at least {@code size} bytes ({@code freeCount} if none). */
    private int firstFitting(int size) {
        int lo = 0;
        int hi = freeCount;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (free[mid].size < size) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    private void addFree(Chunk c) {
        c.isFree = true;
        if (freeCount == free.length) {
            free = Arrays.copyOf(free, 2 * freeCount);
        }
        int at = firstFitting(c.size);
        while (at < freeCount && free[at].before(c)) {
            at++;
        }
        System.arraycopy(free, at, free, at + 1, freeCount - at);
        free[at] = c;
        freeCount++;
    }

    private void removeFree(Chunk c) {
        for (int i = firstFitting(c.size); i < freeCount; i++) {
            if (free[i] == c) {
                removeFreeAt(i);
                return;
            }
        }
        throw new IllegalStateException("a free chunk is missing from the free list");
    }

    private void removeFreeAt(int i) {
        System.arraycopy(free, i + 1, free, i, freeCount - i - 1);
        free[--freeCount] = null;
    }
}
