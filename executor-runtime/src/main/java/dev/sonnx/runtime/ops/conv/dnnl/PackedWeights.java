package dev.sonnx.runtime.ops.conv.dnnl;

import dev.sonnx.runtime.tensor.Arena;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import org.bytedeco.javacpp.Pointer;

/**
 * The weights of a oneDNN primitive in the layout the primitive chose: the reorder from ONNX's
 * layout (none when the two coincide) and the size of the result. Weights that change every call
 * are reordered into this thread's scratch memory; constant ones once, into a copy their owner keeps.
 */
final class PackedWeights {
    /** From ONNX's layout to the primitive's, or null when they are the same. */
    private final DnnlPrimitive reorder;
    private final long bytes;

    PackedWeights(DnnlPrimitive reorder, long bytes) {
        this.reorder = reorder;
        this.bytes = bytes;
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
}
