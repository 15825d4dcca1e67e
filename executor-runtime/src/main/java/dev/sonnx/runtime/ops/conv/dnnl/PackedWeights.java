package dev.sonnx.runtime.ops.conv.dnnl;

import dev.sonnx.runtime.tensor.Arena;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import java.nio.ByteBuffer;
import org.bytedeco.javacpp.Pointer;

/**
 * The weights of a oneDNN primitive in the layout the primitive chose: the reorder from ONNX's
 * layout (none when the two coincide) and the size of the result. Weights that change every call
 * are reordered into this thread's scratch memory; constant ones once, into a copy their owner keeps
 * ({@link ConstantWeights}), which can also be reordered back into ONNX's layout.
 */
final class PackedWeights {
    /** From ONNX's layout to the primitive's, or null when they are the same. */
    private final DnnlPrimitive reorder;
    private final long bytes;
    /** From the primitive's layout back to ONNX's, made on first use. */
    private volatile DnnlPrimitive unpack;

    PackedWeights(DnnlPrimitive reorder, long bytes) {
        this.reorder = reorder;
        this.bytes = bytes;
    }

    /** Whether the primitive reads the weights in ONNX's layout (no copy to make). */
    boolean readsPlain() {
        return reorder == null;
    }

    /** Whether {@code other}'s primitive reads exactly the bytes this one's does (same dimensions, same layout). */
    boolean sameLayout(PackedWeights other) {
        if (reorder == null || other.reorder == null) {
            return reorder == null && other.reorder == null;
        }
        return Dnnl.sameLayout(reorder.desc(1), other.reorder.desc(1));
    }

    /** {@code w} (in ONNX's layout) as the primitive reads it, valid until this thread's next call. */
    Pointer forCall(Tensor w) {
        if (reorder == null) {
            return w.pointer();
        }
        Pointer packed = Scratch.get(Scratch.WEIGHTS, bytes);
        reorder.execute(w.pointer(), packed);
        return packed;
    }

    /**
     * {@code w} in the primitive's layout to keep: {@code w} itself when the layouts coincide, else a
     * copy allocated outside any run (kept as long as the weights stay the same).
     */
    Tensor prepare(Tensor w) {
        if (reorder == null) {
            return w;
        }
        Tensor packed = Arena.detached(() -> Tensor.zeros(DataType.FLOAT, (int) (bytes / Float.BYTES)));
        reorder.execute(w.pointer(), packed.pointer());
        return packed;
    }

    /**
     * Writes {@code packed} (from {@link #prepare}) back in ONNX's layout into {@code plain}, a buffer
     * of the weights' size: the same bytes the packed copy was made from (a reorder only moves them).
     */
    void unpack(Tensor packed, ByteBuffer plain) {
        if (reorder == null) {
            plain.put(0, packed.bytes(), 0, plain.capacity());
            return;
        }
        DnnlPrimitive back = unpack;
        if (back == null) {
            synchronized (this) {
                back = unpack;
                if (back == null) {
                    back = reorder.reversed();
                    unpack = back;
                }
            }
        }
        back.execute(packed.pointer(), new Pointer(plain));
    }
}
