package dev.sonnx.runtime.ops.random;

import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.ops.kernel.TypeCheck;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import java.nio.FloatBuffer;
import java.util.Set;

/**
 * Bernoulli-15: y[i] = 1 with probability input[i], else 0, in type {@code dtype} (default: the
 * input's). Probabilities outside [0, 1] (or NaN) are an error.
 */
final class BernoulliOp extends Operator {
    private static final Set<DataType> OUTPUT_TYPES = TypeCheck.union(TypeCheck.NUMERIC, TypeCheck.BOOL);

    private final RandomSource source;
    private final DataType dtype;

    BernoulliOp(Node node) {
        super(node);
        this.source = RandomSource.of(node);
        if (node.attributes().has("dtype")) {
            DataType t = DataType.fromCode(node.attributes().getInt("dtype", 0));
            if (!OUTPUT_TYPES.contains(t)) {
                throw new IllegalArgumentException("attribute 'dtype' = " + t.onnxName()
                        + " is not a numeric or bool type");
            }
            this.dtype = t;
        } else {
            this.dtype = null;
        }
    }

    @Override
    public boolean deterministic() {
        return false;
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor p = required(inputs, 0);
        TypeCheck.require(p, TypeCheck.FLOATS, "input");
        Tensor out = Tensor.uninitialized(dtype == null ? p.dtype() : dtype, p.shape());
        if (p.dtype() == DataType.FLOAT && out.dtype() == DataType.FLOAT) {
            FloatBuffer in = p.floats();
            FloatBuffer o = out.floats();
            source.fill(p.size(), 8, ctx, (s, e, r) -> {
                for (int i = s; i < e; i++) {
                    o.put(i, r.nextDouble() < probability(in.get(i), i) ? 1f : 0f);
                }
            });
        } else {
            source.fill(p.size(), 8, ctx, (s, e, r) -> {
                for (int i = s; i < e; i++) {
                    out.setDouble(i, r.nextDouble() < probability(p.getDouble(i), i) ? 1 : 0);
                }
            });
        }
        return outputs(out);
    }

    private static double probability(double p, int i) {
        if (!(p >= 0 && p <= 1)) {
            throw new IllegalArgumentException("input[" + i + "] = " + p + " is not a probability in [0, 1]");
        }
        return p;
    }
}
