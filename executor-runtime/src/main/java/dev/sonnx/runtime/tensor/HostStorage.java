package dev.sonnx.runtime.tensor;

import dev.sonnx.runtime.cpu.CpuDevice;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Host memory: a direct little-endian byte buffer, 64-byte aligned so oneDNN and OpenBLAS read it at
 * full speed, or a String array for STRING tensors.
 */
public final class HostStorage implements Storage {
    private static final int ALIGNMENT = 64;

    private final ByteBuffer buffer;
    private final String[] strings;
    /** For pooled storage: the whole block, the arena that lent it, slot references and its state. */
    private final ByteBuffer block;
    private final Arena arena;
    private int refs;
    private boolean escaped;
    private boolean recycled;

    private HostStorage(ByteBuffer buffer, String[] strings, ByteBuffer block, Arena arena) {
        this.buffer = buffer;
        this.strings = strings;
        this.block = block;
        this.arena = arena;
    }

    private HostStorage(ByteBuffer buffer, String[] strings) {
        this(buffer, strings, null, null);
    }

    /** Storage over a pool block lent by {@code arena}, zero-filled when {@code zeroed}. */
    static HostStorage pooled(ByteBuffer block, int bytes, Arena arena, boolean zeroed) {
        ByteBuffer view = block.duplicate().clear().limit(bytes).slice().order(ByteOrder.LITTLE_ENDIAN);
        if (zeroed && bytes > 0) {
            org.bytedeco.javacpp.Pointer.memset(new org.bytedeco.javacpp.Pointer(view), 0, bytes);
        }
        return new HostStorage(view, null, block, arena);
    }

    Arena arena() {
        return arena;
    }

    synchronized void retain() {
        refs++;
    }

    synchronized int releaseRef() {
        return --refs;
    }

    synchronized void escape() {
        escaped = true;
    }

    /**
     * Gives an escaped block (a run's output) back to the pool at its owner's request; false when
     * this storage is not pooled, still belongs to a run (its arena recycles it) or went back already.
     */
    synchronized boolean giveBack() {
        if (block == null || !escaped || recycled) {
            return false;
        }
        recycled = true;
        BufferPool.HOST.give(block);
        return true;
    }

    /** Gives the block back to the pool once (never when escaped). */
    synchronized void recycle() {
        if (block == null || escaped || recycled) {
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
        if (arena != null) {
            return arena.allocate(n, zeroed);
        }
        ByteBuffer b = n == 0 ? ByteBuffer.allocateDirect(0)
                : ByteBuffer.allocateDirect(roundUp(n) + ALIGNMENT).alignedSlice(ALIGNMENT).limit(n).slice();
        return new HostStorage(b.order(ByteOrder.LITTLE_ENDIAN), null);
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
        return new HostStorage(null, s);
    }

    /** Wraps an existing array of strings (not copied). */
    public static HostStorage wrapStrings(String[] strings) {
        return new HostStorage(null, strings);
    }

    /** The native buffer (position 0, little-endian); null for string storage. Use absolute access only. */
    public ByteBuffer buffer() {
        return buffer;
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
        return buffer != null ? buffer.capacity() : strings.length;
    }
}
