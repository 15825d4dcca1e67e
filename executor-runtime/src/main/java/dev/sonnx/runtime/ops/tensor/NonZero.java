package dev.sonnx.runtime.ops.tensor;

import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.util.function.IntPredicate;

/**
 * NonZero: the coordinates of the non-zero elements (non-empty strings; complex numbers with a
 * non-zero part), in row-major order, as an int64 tensor [rank, count]; a scalar counts as a
 * 1-element vector, as numpy treats it.
 */
final class NonZero extends Operator {

    NonZero(Node node) {
        super(node);
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor x = required(inputs, 0);
        IntPredicate nonZero = predicate(x);
        int n = x.size();
        int count = 0;
        for (int i = 0; i < n; i++) {
            if (nonZero.test(i)) {
                count++;
            }
        }
        int[] shape = x.rank() == 0 ? new int[] {1} : x.shape();
        int rank = shape.length;
        Tensor out = Tensor.uninitialized(DataType.INT64, rank, count);
        var o = out.longs();
        int[] coord = new int[rank];
        for (int i = 0, k = 0; i < n; i++) {
            if (nonZero.test(i)) {
                for (int d = 0; d < rank; d++) {
                    o.put(d * count + k, coord[d]);
                }
                k++;
            }
            for (int d = rank - 1; d >= 0 && ++coord[d] == shape[d]; d--) {
                coord[d] = 0;
            }
        }
        return outputs(out);
    }

    private static IntPredicate predicate(Tensor x) {
        if (x.dtype() == DataType.STRING) {
            String[] s = x.strings();
            return i -> !s[i].isEmpty();
        }
        if (x.dtype() == DataType.FLOAT) {
            FloatBuffer f = x.floats();
            return i -> f.get(i) != 0;
        }
        if (x.dtype().isFloat()) {
            return i -> x.getDouble(i) != 0;
        }
        if (x.dtype().isInteger() || x.dtype() == DataType.BOOL) {
            return i -> x.getLong(i) != 0;
        }
        ByteBuffer b = x.bytes();
        if (x.dtype() == DataType.COMPLEX64) {
            return i -> b.getFloat(8 * i) != 0 || b.getFloat(8 * i + 4) != 0;
        }
        if (x.dtype() == DataType.COMPLEX128) {
            return i -> b.getDouble(16 * i) != 0 || b.getDouble(16 * i + 8) != 0;
        }
        throw new IllegalArgumentException("input 'X' has type " + x.dtype().onnxName()
                + ", which NonZero does not accept");
    }
}
