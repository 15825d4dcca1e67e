package dev.sonnx.runtime.ops.tensor;

import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.ops.kernel.TypeCheck;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import java.util.EnumSet;
import java.util.Set;

/**
 * Range: {@code start, start+delta, ...} while before {@code limit}: max(ceil((limit-start)/delta), 0)
 * elements of the inputs' type (float, double, int16, int32, int64). Integer ranges are computed in
 * exact integer arithmetic.
 */
final class Range extends Operator {
    private static final Set<DataType> TYPES = EnumSet.of(DataType.FLOAT, DataType.DOUBLE, DataType.INT16,
            DataType.INT32, DataType.INT64);

    Range(Node node) {
        super(node);
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor start = scalar(inputs, 0, "start");
        Tensor limit = scalar(inputs, 1, "limit");
        Tensor delta = scalar(inputs, 2, "delta");
        DataType t = TypeCheck.same(start, limit, delta);
        TypeCheck.require(start, TYPES, "input 'start'");
        Tensor out;
        if (t.isFloat()) {
            double s = start.getDouble(0);
            double d = delta.getDouble(0);
            if (d == 0 || Double.isNaN(d)) {
                throw new IllegalArgumentException("input 'delta' must be non-zero, got " + d);
            }
            double n = Math.ceil((limit.getDouble(0) - s) / d);
            if (Double.isNaN(n) || n > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("range from " + s + " to " + limit.getDouble(0) + " by " + d
                        + " is not finite");
            }
            out = Tensor.uninitialized(t, (int) Math.max(n, 0));
            for (int i = 0; i < out.size(); i++) {
                out.setDouble(i, s + i * d);
            }
        } else {
            long s = start.getLong(0);
            long d = delta.getLong(0);
            if (d == 0) {
                throw new IllegalArgumentException("input 'delta' must be non-zero");
            }
            long span = limit.getLong(0) - s;
            long n = d > 0 ? Math.floorDiv(span + d - 1, d) : Math.floorDiv(-span - d - 1, -d);
            if (n > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("range of " + n + " elements is too large");
            }
            out = Tensor.uninitialized(t, (int) Math.max(n, 0));
            for (int i = 0; i < out.size(); i++) {
                out.setLong(i, s + i * d);
            }
        }
        return outputs(out);
    }

    private Tensor scalar(Value[] inputs, int i, String name) {
        Tensor t = required(inputs, i);
        if (t.size() != 1 || t.rank() > 1) {
            throw new IllegalArgumentException("input '" + name + "' must be a scalar, got " + t.describe());
        }
        return t;
    }
}
