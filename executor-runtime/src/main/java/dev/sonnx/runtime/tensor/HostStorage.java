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

    private HostStorage(ByteBuffer buffer, String[] strings) {
        this.buffer = buffer;
        this.strings = strings;
    }

    /** Zero-filled native memory of {@code bytes} bytes. */
    public static HostStorage allocate(long bytes) {
        MemoryLimit.check(bytes);
        int n = (int) bytes;
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
