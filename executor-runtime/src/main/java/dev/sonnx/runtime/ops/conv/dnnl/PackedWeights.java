package dev.sonnx.runtime.ops.conv.dnnl;

import dev.sonnx.runtime.tensor.Arena;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import java.nio.ByteBuffer;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;

/**
 * The weights of a oneDNN primitive in the layout the primitive chose: the reorder from ONNX's
 * layout (none when the two coincide) and the size of the result. Weights that change every call
 * are reordered into this thread's scratch memory; constant ones once, into a copy their owner keeps
 * ({@link ConstantWeights}), which can also be reordered back into ONNX's layout.
 *
 * <p>Some primitives read the weights as other dimensions than ONNX's (an unfolded convolution's
 * product reads OIHW weights as a [KH x KW x I, O] matrix) and oneDNN cannot reshape a packed layout
 * into them: those go through a first reorder, {@code permute}, into a plain intermediate whose
 * bytes the second reorder reads under the primitive's dimensions.
 */
final class PackedWeights {
    /** From ONNX's layout to the plain intermediate, or null when the one reorder below suffices. */
    private final DnnlPrimitive permute;
    private final long permutedBytes;
    /** From ONNX's layout (or the intermediate) to the primitive's, or null when they are the same. */
    private final DnnlPrimitive reorder;
    private final long bytes;
    /** From the primitive's layout back to ONNX's, made on first use (the intermediate's reverse second). */
    private volatile DnnlPrimitive[] unpack;

    PackedWeights(DnnlPrimitive reorder, long bytes) {
        this(null, 0, reorder, bytes);
    }

    /** Two reorders: {@code permute} into an intermediate of {@code permutedBytes}, then {@code reorder}. */
    PackedWeights(DnnlPrimitive permute, long permutedBytes, DnnlPrimitive reorder, long bytes) {
        if (permute != null && reorder == null) {
            throw new IllegalArgumentException("a permuted layout needs its second reorder");
        }
        this.permute = permute;
        this.permutedBytes = permutedBytes;
        this.reorder = reorder;
        this.bytes = bytes;
    }

    /**
     * These weights read under other dimensions: {@code permute} first (from ONNX's layout to a plain
     * intermediate of {@code permutedBytes}, the bytes this object's reorder starts from), then this
     * object's reorder, if any.
     */
    PackedWeights after(DnnlPrimitive permute, long permutedBytes) {
        if (this.permute != null) {
            throw new IllegalStateException("these weights are permuted already");
        }
        return reorder == null ? new PackedWeights(permute, permutedBytes)
                : new PackedWeights(permute, permutedBytes, reorder, bytes);
    }

    /** Bytes of the weights in the primitive's layout. */
    long bytes() {
        return bytes;
    }

    /** The primitive's layout (owned by this object), or null where it reads ONNX's own. */
    org.bytedeco.dnnl.dnnl_memory_desc layout() {
        return reorder == null ? null : reorder.desc(1);
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
        if ((permute == null) != (other.permute == null)
                || permute != null && !Dnnl.sameLayout(permute.desc(0), other.permute.desc(0))) {
            return false;
        }
        return Dnnl.sameLayout(reorder.desc(1), other.reorder.desc(1));
    }

    /** {@code w} (in ONNX's layout) as the primitive reads it, valid until this thread's next call. */
    Pointer forCall(Tensor w) {
        if (reorder == null) {
            return w.pointer();
        }
        Pointer packed = Scratch.get(Scratch.WEIGHTS, bytes);
        pack(w.pointer(), packed, permute == null ? null : Scratch.get(Scratch.PERMUTED_WEIGHTS, permutedBytes));
        return packed;
    }

    /** Runs the reorders from {@code plain} into {@code packed}, through {@code intermediate} where there are two. */
    private void pack(Pointer plain, Pointer packed, Pointer intermediate) {
        if (permute == null) {
            reorder.execute(plain, packed);
        } else {
            permute.execute(plain, intermediate);
            reorder.execute(intermediate, packed);
        }
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
        if (permute == null) {
            pack(w.pointer(), packed.pointer(), null);
        } else {
            try (BytePointer intermediate = new BytePointer(permutedBytes)) {
                pack(w.pointer(), packed.pointer(), intermediate);
            }
        }
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
        DnnlPrimitive[] back = unpack;
        if (back == null) {
            synchronized (this) {
                back = unpack;
                if (back == null) {
                    back = permute == null ? new DnnlPrimitive[] {reorder.reversed()}
                            : new DnnlPrimitive[] {reorder.reversed(), permute.reversed()};
                    unpack = back;
                }
            }
        }
        if (back.length == 1) {
            back[0].execute(packed.pointer(), new Pointer(plain));
        } else {
            try (BytePointer intermediate = new BytePointer(permutedBytes)) {
                back[0].execute(packed.pointer(), intermediate);
                back[1].execute(intermediate, new Pointer(plain));
            }
        }
    }
}
