package dev.sonnx.runtime.ops.tensor;

import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.tensor.Shapes;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import java.util.Arrays;

/**
 * Reshape: the data viewed in a new shape. In the requested shape, -1 (at most once) is inferred
 * from the element count, and 0 copies the input's dimension at that position, unless
 * {@code allowzero} (Reshape-14) makes 0 a literal empty dimension. Reshape-1 takes the shape as
 * an attribute, later versions as an input.
 */
final class Reshape extends ViewOp {
    private final long[] shapeAttribute;
    private final boolean allowZero;

    private Reshape(Node node, long[] shapeAttribute, boolean allowZero) {
        super(node);
        this.shapeAttribute = shapeAttribute;
        this.allowZero = allowZero;
    }

    /** Reshape-1: the {@code shape} attribute. */
    static Reshape fromAttribute(Node node) {
        long[] shape = node.attributes().getLongs("shape", null);
        if (shape == null) {
            throw new IllegalArgumentException("required attribute 'shape' is missing");
        }
        return new Reshape(node, shape, false);
    }

    /** Reshape-5 and -14: the {@code shape} input, and from 14 the {@code allowzero} attribute. */
    static Reshape fromInput(Node node, boolean allowZeroAttribute) {
        int allowZero = allowZeroAttribute ? node.attributes().getInt("allowzero", 0) : 0;
        if (allowZero != 0 && allowZero != 1) {
            throw new IllegalArgumentException("attribute 'allowzero' must be 0 or 1, got " + allowZero);
        }
        return new Reshape(node, null, allowZero == 1);
    }

    @Override
    int[] outputShape(Tensor data, Value[] inputs) {
        long[] spec = shapeAttribute != null ? shapeAttribute : Args.longs(required(inputs, 1), "shape");
        return resolve(data.shape(), spec, allowZero);
    }

    /** The shape {@code spec} asks for, with its 0 and -1 entries resolved against {@code in}. */
    static int[] resolve(int[] in, long[] spec, boolean allowZero) {
        int size = Shapes.size(in);
        int[] out = new int[spec.length];
        int inferred = -1;
        boolean literalZero = false;
        long known = 1;
        for (int i = 0; i < spec.length; i++) {
            long v = spec[i];
            if (v == -1) {
                if (inferred >= 0) {
                    throw new IllegalArgumentException("shape " + Arrays.toString(spec)
                            + " has more than one -1");
                }
                inferred = i;
                continue;
            }
            if (v == 0 && !allowZero) {
                if (i >= in.length) {
                    throw new IllegalArgumentException("shape entry 0 at position " + i + " copies a dimension that"
                            + " the input " + Shapes.toString(in) + " lacks");
                }
                out[i] = in[i];
            } else if (v < 0 || v > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("shape entry " + v + " at position " + i + " is invalid");
            } else {
                out[i] = (int) v;
                literalZero |= v == 0;
            }
            known *= out[i];
        }
        if (inferred >= 0) {
            if (literalZero) {
                throw new IllegalArgumentException("with allowzero=1 the shape cannot hold both 0 and -1");
            }
            if (known == 0 || size % known != 0) {
                throw new IllegalArgumentException("cannot reshape input " + Shapes.toString(in) + " (" + size
                        + " elements) to " + Arrays.toString(spec) + ": -1 cannot be inferred");
            }
            out[inferred] = (int) (size / known);
        } else if (known != size) {
            throw new IllegalArgumentException("cannot reshape input " + Shapes.toString(in) + " (" + size
                    + " elements) to " + Shapes.toString(out) + " (" + known + " elements)");
        }
        return out;
    }
}
