package dev.sonnx.runtime.ops.linalg;

import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Device;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import java.util.EnumSet;
import java.util.Set;

/**
 * MatMulInteger (10): numpy.matmul of 8-bit integers less their zero points (per tensor, per row of
 * A, per column of B), accumulated exactly and wrapped to int32.
 */
final class MatMulInteger extends Operator {
    static final Set<DataType> EIGHT_BIT = EnumSet.of(DataType.INT8, DataType.UINT8);

    MatMulInteger(Node node) {
        super(node);
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor a = required(inputs, 0);
        Tensor b = required(inputs, 1);
        Tensor aZero = tensor(inputs, 2);
        Tensor bZero = tensor(inputs, 3);
        requireEightBit(a, "input A");
        requireEightBit(b, "input B");
        requireType(aZero, a.dtype(), "input a_zero_point");
        requireType(bZero, b.dtype(), "input b_zero_point");
        MatMulShape s = MatMulShape.of(a.shape(), b.shape());
        long[] acc = centeredProduct(a, aZero, b, bZero, s, ctx.device());
        return outputs(Tensor.fromLongs(DataType.INT32, acc, s.outShape));
    }

    /** The exact product of (a - aZero) and (b - bZero), zero points per tensor, row of a or column of b. */
    static long[] centeredProduct(Tensor a, Tensor aZero, Tensor b, Tensor bZero, MatMulShape s, Device device) {
        long[] ca = QuantParam.centerRows(a, QuantParam.of(aZero, s.aCount, s.m, false, "a_zero_point"),
                s.aCount, s.m, s.k);
        long[] cb = QuantParam.centerColumns(b, QuantParam.of(bZero, s.bCount, s.n, true, "b_zero_point"),
                s.bCount, s.k, s.n);
        long[] acc = new long[s.batch * s.m * s.n];
        MatrixKernels.longBatched(device, false, false, s.m, s.n, s.k, ca, s.aOffsets, cb, s.bOffsets, acc,
                s.outOffsets, s.batch);
        return acc;
    }

    static void requireEightBit(Tensor t, String name) {
        if (!EIGHT_BIT.contains(t.dtype())) {
            throw new IllegalArgumentException(name + " has type " + t.dtype().onnxName() + ", expected int8 or uint8");
        }
    }

    /** A zero point must have its operand's type. */
    static void requireType(Tensor t, DataType expected, String name) {
        if (t != null && t.dtype() != expected) {
            throw new IllegalArgumentException(name + " has type " + t.dtype().onnxName() + ", expected "
                    + expected.onnxName() + " like its operand");
        }
    }
}
