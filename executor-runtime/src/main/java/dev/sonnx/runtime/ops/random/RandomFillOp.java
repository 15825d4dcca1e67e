package dev.sonnx.runtime.ops.random;

import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.ops.kernel.TypeCheck;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Shapes;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.util.SplittableRandom;

/**
 * RandomUniform, RandomNormal (shape from attribute {@code shape}) and RandomUniformLike,
 * RandomNormalLike (shape, and by default type, from the input), all since opset 1. Uniform draws
 * from [low, high), normal from N(mean, scale²). Outputs are float16, float or double (bfloat16
 * too, which opset 22 adds).
 */
final class RandomFillOp extends Operator {

    /** One draw of the distribution. */
    @FunctionalInterface
    interface Distribution {
        double sample(SplittableRandom random);
    }

    private final Distribution distribution;
    private final RandomSource source;
    private final boolean like;
    /** The output type given by attribute {@code dtype}; null for the Like forms without one. */
    private final DataType dtype;
    private final int[] shape;

    private RandomFillOp(Node node, Distribution distribution, boolean like) {
        super(node);
        this.distribution = distribution;
        this.source = RandomSource.of(node);
        this.like = like;
        boolean hasType = node.attributes().has("dtype");
        this.dtype = hasType || !like ? outputType(node.attributes().getInt("dtype", DataType.FLOAT.code())) : null;
        if (like) {
            this.shape = null;
        } else {
            long[] s = node.attributes().getLongs("shape", null);
            if (s == null) {
                throw new IllegalArgumentException("required attribute 'shape' is missing");
            }
            this.shape = Shapes.fromLongs(s);
        }
    }

    static RandomFillOp uniform(Node node, boolean like) {
        double low = node.attributes().getFloat("low", 0f);
        double high = node.attributes().getFloat("high", 1f);
        if (!(low <= high)) {
            throw new IllegalArgumentException("attribute 'low' = " + low + " exceeds 'high' = " + high);
        }
        double width = high - low;
        return new RandomFillOp(node, r -> low + width * r.nextDouble(), like);
    }

    static RandomFillOp normal(Node node, boolean like) {
        double mean = node.attributes().getFloat("mean", 0f);
        double scale = node.attributes().getFloat("scale", 1f);
        return new RandomFillOp(node, r -> mean + scale * r.nextGaussian(), like);
    }

    private static DataType outputType(int code) {
        DataType t = DataType.fromCode(code);
        if (!TypeCheck.FLOATS.contains(t)) {
            throw new IllegalArgumentException("attribute 'dtype' = " + t.onnxName()
                    + "; random values are float16, float, double or bfloat16");
        }
        return t;
    }

    @Override
    public boolean deterministic() {
        return false;
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        DataType type = dtype;
        int[] outShape = shape;
        if (like) {
            Tensor x = required(inputs, 0);
            outShape = x.shape();
            if (type == null) {
                if (!TypeCheck.FLOATS.contains(x.dtype())) {
                    throw new IllegalArgumentException("input has type " + x.dtype().onnxName()
                            + "; without attribute 'dtype' the output takes the input's type, which must be a"
                            + " floating-point one");
                }
                type = x.dtype();
            }
        }
        Tensor out = Tensor.uninitialized(type, outShape);
        fill(out, ctx);
        return outputs(out);
    }

    private void fill(Tensor out, OpContext ctx) {
        Distribution d = distribution;
        if (out.dtype() == DataType.FLOAT) {
            FloatBuffer o = out.floats();
            source.fill(out.size(), 8, ctx, (s, e, r) -> {
                for (int i = s; i < e; i++) {
                    o.put(i, (float) d.sample(r));
                }
            });
        } else if (out.dtype() == DataType.DOUBLE) {
            DoubleBuffer o = out.doubles();
            source.fill(out.size(), 8, ctx, (s, e, r) -> {
                for (int i = s; i < e; i++) {
                    o.put(i, d.sample(r));
                }
            });
        } else {
            source.fill(out.size(), 8, ctx, (s, e, r) -> {
                for (int i = s; i < e; i++) {
                    out.setDouble(i, d.sample(r));
                }
            });
        }
    }
}
