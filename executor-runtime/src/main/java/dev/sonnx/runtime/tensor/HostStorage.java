package dev.sonnx.runtime.tensor;

import dev.sonnx.runtime.cpu.CpuDevice;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Host memory: a direct little-endian byte buffer, 64-byte aligned so oneDNN and OpenBLAS read it at
 * full speed, or a String array for STRING tensors.
 */
public final class HostStorage extends CountedStorage {
    private static final int ALIGNMENT = 64;
    /**
     * Tests set {@code sonnx.poisonUninitialized}: memory handed out for overwriting is filled with
     * 0xFF bytes (float NaN, integer -1), so a kernel that leaves any element unwritten shows in its
     * outputs instead of passing on a block that happened to hold zeros.
     */
    private static final boolean POISON = Boolean.getBoolean("sonnx.poisonUninitialized");

    /**
     * The contents (a view of {@link #root} or of a pool block); null for strings, and while the
     * contents are reclaimed ({@link #reclaim}) or released ({@link #release}). Read without a lock:
     * it changes only under this storage's lock, and only where no other reader can hold it (see
     * {@link #allowReclaim}).
     */
    private ByteBuffer buffer;
    private final String[] strings;
    private final long byteSize;
    /**
     * For pooled storage: the whole block, and whether it went back to the pool. Null also once the
     * contents moved out of a carved block into memory of their own ({@link #escaping}).
     */
    private ByteBuffer block;
    private boolean recycled;
    /** For storage of its own (not pooled, not strings): the direct buffer {@link #buffer} is a view of. */
    private ByteBuffer root;
    /** Whether {@link #reclaim} may drop the contents: set by the plan compiler for sole-reader constants. */
    private boolean reclaimable;
    /** Whether the contents must stay: someone outside the plan holds the tensor. */
    private boolean pinned;
    /** Rebuilds reclaimed contents; null unless reclaimed. */
    private Refill refill;
    /** Rebuilds the contents from what they were computed from ({@link #rebuildableFrom}), or null. */
    private Refill source;

    private HostStorage(ByteBuffer buffer, String[] strings, ByteBuffer block, Arena arena, ByteBuffer root,
                        long byteSize) {
        super(arena);
        this.buffer = buffer;
        this.strings = strings;
        this.block = block;
        this.root = root;
        this.byteSize = byteSize;
    }

    /** Writes the contents of a reclaimed storage back into {@code target} (its whole size, little-endian). */
    @FunctionalInterface
    public interface Refill {
        void fill(ByteBuffer target);
    }

    /** Storage over a pool block lent by {@code arena}, zero-filled when {@code zeroed}. */
    static HostStorage pooled(ByteBuffer block, int bytes, Arena arena, boolean zeroed) {
        ByteBuffer view = block.duplicate().clear().limit(bytes).slice().order(ByteOrder.LITTLE_ENDIAN);
        if (zeroed && bytes > 0) {
            org.bytedeco.javacpp.Pointer.memset(new org.bytedeco.javacpp.Pointer(view), 0, bytes);
        }
        return new HostStorage(view, null, block, arena, null, bytes);
    }

    /** Zero-filled storage of its own, which {@link #release} gives back to the system at once. */
    static HostStorage owned(int bytes) {
        ByteBuffer root = ownRoot(bytes);
        return new HostStorage(aligned(root, bytes), null, null, null, root, bytes);
    }

    /** A direct buffer of its own, zero-filled, with room for {@code bytes} bytes 64-byte aligned. */
    private static ByteBuffer ownRoot(int bytes) {
        return DirectMemory.allocate(bytes == 0 ? 0 : roundUp(bytes) + ALIGNMENT);
    }

    /** The 64-byte aligned view of {@code bytes} bytes at the start of {@code root}. */
    private static ByteBuffer aligned(ByteBuffer root, int bytes) {
        ByteBuffer b = bytes == 0 ? root : root.alignedSlice(ALIGNMENT).limit(bytes).slice();
        return b.order(ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * A run's output must not stay in a block carved from the pool's shared regions: its owner may
     * keep it for any time, or drop it without giving it back, and the region could never merge that
     * chunk again. Its contents move into memory of its own (a copy, from 256 KB up only, once a run)
     * and the carved block goes back at once. Nothing but the run has seen the buffer yet.
     */
    @Override
    protected void escaping() {
        if (block == null || recycled || !BufferPool.HOST.isCarved(block)) {
            return;
        }
        int n = (int) byteSize;
        ByteBuffer own = ownRoot(n);
        ByteBuffer view = aligned(own, n);
        view.duplicate().put(buffer.duplicate().clear().limit(n));
        ByteBuffer carvedBlock = block;
        buffer = view;
        root = own;
        block = null;
        BufferPool.HOST.give(carvedBlock);
    }

    /**
     * Gives an escaped block (a run's output) back to the pool at its owner's request, or the memory
     * of its own that an escaped output moved into back to the system; false when this storage is
     * not pooled, still belongs to a run (its arena recycles it) or went back already.
     */
    @Override
    public synchronized boolean giveBack() {
        if (block == null && arena() != null && escaped() && root != null && !recycled) {
            recycled = true;
            release();
            return true;
        }
        if (block == null || !escaped() || recycled) {
            return false;
        }
        recycled = true;
        BufferPool.HOST.give(block);
        return true;
    }

    /** The pool block under this storage, or null (for tests). */
    synchronized ByteBuffer pooledBlock() {
        return block;
    }

    /** Gives the block back to the pool once (never when escaped). */
    @Override
    public synchronized void recycle() {
        if (block == null || escaped() || recycled) {
            return;
        }
        recycled = true;
        BufferPool.HOST.give(block);
    }

    /** Zero-filled native memory of {@code bytes} bytes (from the current run's arena, if any). */
    public static HostStorage allocate(long bytes) {
        return allocate(bytes, true);
    }

    /**
     * Native memory of {@code bytes} bytes whose contents are unspecified when it comes from the
     * current run's pool: for kernels that write every byte, which need not pay for zeroing it.
     */
    public static HostStorage allocateForOverwrite(long bytes) {
        return allocate(bytes, false);
    }

    private static HostStorage allocate(long bytes, boolean zeroed) {
        MemoryLimit.check(bytes);
        int n = (int) bytes;
        Arena arena = Arena.current();
        HostStorage s = arena != null ? arena.allocate(n, zeroed) : owned(n);
        if (!zeroed && POISON && n > 0) {
            org.bytedeco.javacpp.Pointer.memset(new org.bytedeco.javacpp.Pointer(s.buffer), 0xFF, n);
        }
        return s;
    }

    /** alignedSlice rounds the limit down to the alignment, so ask for a whole number of blocks. */
    private static int roundUp(int n) {
        return (n + ALIGNMENT - 1) & -ALIGNMENT;
    }

    /**
     * Storage for {@code count} strings, all empty. Each element costs at least a reference on the
     * heap, which the memory limit counts as 8 bytes, so a hostile shape cannot exhaust the heap.
     */
    public static HostStorage strings(int count) {
        MemoryLimit.check((long) count * Long.BYTES);
        String[] s = new String[count];
        java.util.Arrays.fill(s, "");
        return wrapStrings(s);
    }

    /** Wraps an existing array of strings (not copied). */
    public static HostStorage wrapStrings(String[] strings) {
        return new HostStorage(null, strings, null, null, null, strings.length);
    }

    /**
     * The native buffer (position 0, little-endian); null for string storage. Use absolute access only.
     * Reclaimed contents are rebuilt first.
     */
    public ByteBuffer buffer() {
        ByteBuffer b = buffer;
        return b != null || strings != null ? b : refilled();
    }

    private synchronized ByteBuffer refilled() {
        if (buffer == null) {
            if (refill == null) {
                throw new IllegalStateException("the memory of this tensor was released: it was scratch memory"
                        + " of a step that has ended");
            }
            int n = (int) byteSize;
            ByteBuffer r = ownRoot(n);
            ByteBuffer view = aligned(r, n);
            refill.fill(view);
            root = r;
            refill = null;
            buffer = view;
        }
        return buffer;
    }

    // ---------------------------------------------------------------- reclaiming constants

    /**
     * Lets {@link #reclaim} drop the contents of this storage. The plan compiler calls it for a
     * constant that exactly one operator input of a plan reads, that is no output and that no nested
     * body sees: that operator may then keep the weights in its own form alone, while the plan keeps
     * the tensor. Pooled and string storage is never reclaimed.
     */
    public synchronized void allowReclaim() {
        reclaimable = root != null && strings == null;
    }

    /**
     * Gives the contents back to the system, to be rebuilt by {@code refill} at the next read, when
     * {@link #allowReclaim} allowed it and nobody {@link #pin}ned the storage; returns whether it did.
     * For the sole reader of a constant that keeps the data in another form (oneDNN's packed weights):
     * {@code refill} must rebuild exactly the same bytes from that form, which must then never change.
     */
    public synchronized boolean reclaim(Refill refill) {
        if (!reclaimable || pinned || buffer == null || root == null || refill == null) {
            return false;
        }
        ByteBuffer r = root;
        buffer = null;
        root = null;
        this.refill = refill;
        DirectMemory.free(r);
        return true;
    }

    /**
     * Records how to recompute these contents exactly from data that outlives the plan (the model's
     * own tensors; see {@code ConstantRecipes}): a sole reader that keeps the data only in a form it
     * cannot turn back exactly (Winograd's U) may then still let them go ({@link #reclaimToSource}).
     */
    public synchronized void rebuildableFrom(Refill source) {
        this.source = source;
    }

    /** {@link #reclaim} with the recipe of {@link #rebuildableFrom}; false where there is none. */
    public synchronized boolean reclaimToSource() {
        return source != null && reclaim(source);
    }

    /** Whether the contents are reclaimed now (they come back at the next read). */
    public synchronized boolean isReclaimed() {
        return buffer == null && refill != null;
    }

    /**
     * Keeps the contents from now on (rebuilt now if reclaimed): for tensors handed out of the plan
     * (a prepared model's initializers), whose readers the plan compiler cannot see.
     */
    public synchronized void pin() {
        pinned = true;
        buffer();
    }

    /**
     * Gives the memory of storage of its own back to the system now; later reads fail. For scratch
     * memory that nothing reads any more ({@link Arena#scratch}).
     */
    synchronized void release() {
        if (root == null) {
            return;
        }
        ByteBuffer r = root;
        buffer = null;
        root = null;
        refill = null;
        DirectMemory.free(r);
    }

    public String[] strings() {
        return strings;
    }

    @Override
    public Device device() {
        return CpuDevice.get();
    }

    @Override
    public long byteSize() {
        return byteSize;
    }
}
