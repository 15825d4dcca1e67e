package dev.sonnx.runtime.ops.conv.dnnl;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;

/**
 * Native scratch memory kept per thread and reused across calls: oneDNN scratchpads and reordered
 * weights. Allocating them per call costs more than the convolutions of a small network (blocks
 * above malloc's mmap threshold come back as fresh pages, faulted in on every call). Each thread
 * keeps its largest block per slot; blocks are freed with their thread.
 */
final class Scratch {
    /** The primitive's scratchpad. */
    static final int SCRATCHPAD = 0;
    /** Weights reordered into the primitive's layout. */
    static final int WEIGHTS = 1;
    /** A second operand of a backward primitive (weight gradients before their reorder). */
    static final int EXTRA = 2;
    /** A convolution's input in the channel-blocked layout ({@link BlockedDetour}). */
    static final int BLOCKED_INPUT = 3;
    /** A convolution's output in the channel-blocked layout. */
    static final int BLOCKED_OUTPUT = 4;
    /** A convolution's input unfolded into the rows of a matrix product ({@link UnfoldedInput}). */
    static final int UNFOLDED_INPUT = 5;
    /** Weights on their way to the primitive's layout, after the first of two reorders ({@link PackedWeights}). */
    static final int PERMUTED_WEIGHTS = 6;
    private static final int SLOT_COUNT = 7;

    private static final ThreadLocal<BytePointer[]> SLOTS = ThreadLocal.withInitial(() -> new BytePointer[SLOT_COUNT]);
    /** Per slot, a buffer over its block for Java code, made when the block is. */
    private static final ThreadLocal<ByteBuffer[]> VIEWS = ThreadLocal.withInitial(() -> new ByteBuffer[SLOT_COUNT]);

    private Scratch() {
    }

    /** At least {@code bytes} bytes (contents unspecified), valid until this thread asks for the slot again. */
    static Pointer get(int slot, long bytes) {
        BytePointer[] slots = SLOTS.get();
        BytePointer p = slots[slot];
        if (p == null || p.capacity() < bytes) {
            if (p != null) {
                p.close();
            }
            p = new BytePointer(bytes);
            if (p.isNull()) {
                throw new OutOfMemoryError("cannot allocate " + bytes + " bytes of oneDNN scratch memory");
            }
            slots[slot] = p;
            VIEWS.get()[slot] = null;
        }
        return p;
    }

    /** {@link #get} as a buffer (position 0, native order); use absolute get/put only. */
    static ByteBuffer buffer(int slot, long bytes) {
        if (bytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(bytes + " bytes of scratch memory exceed a buffer's 2 GiB");
        }
        BytePointer p = (BytePointer) get(slot, bytes);
        ByteBuffer[] views = VIEWS.get();
        if (views[slot] == null) {
            views[slot] = p.asByteBuffer().order(ByteOrder.nativeOrder());
        }
        return views[slot];
    }
}
