package dev.sonnx.runtime.ops.linalg;

import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.ops.kernel.TypeCheck;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Shapes;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;

/**
 * QLinearMatMul (10, 21): the integer product of (a - a_zero_point) and (b - b_zero_point), rescaled
 * by a_scale * b_scale / y_scale, rounded half to even, shifted by y_zero_point and saturated to the
 * output's 8-bit type. a's parameters may be per row, b's per column; y's are per tensor.
 */
final class QLinearMatMul extends Operator {

    QLinearMatMul(Node node) {
        super(node);
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor a = required(inputs, 0);
        Tensor aScale = required(inputs, 1);
        Tensor aZero = required(inputs, 2);
        Tensor b = required(inputs, 3);
        Tensor bScale = required(inputs, 4);
        Tensor bZero = required(inputs, 5);
        Tensor yScale = required(inputs, 6);
        Tensor yZero = required(inputs, 7);
        MatMulInteger.requireEightBit(a, "input a");
        MatMulInteger.requireEightBit(b, "input b");
        MatMulInteger.requireEightBit(yZero, "input y_zero_point");
        MatMulInteger.requireType(aZero, a.dtype(), "input a_zero_point");
        MatMulInteger.requireType(bZero, b.dtype(), "input b_zero_point");
        TypeCheck.require(aScale, TypeCheck.FLOATS, "input a_scale");
        TypeCheck.require(bScale, TypeCheck.FLOATS, "input b_scale");
        TypeCheck.require(yScale, TypeCheck.FLOATS, "input y_scale");
        if (yScale.size() != 1 || yZero.size() != 1) {
            throw new IllegalArgumentException("y_scale and y_zero_point must hold one value each, got "
                    + Shapes.toString(yScale.shape()) + " and " + Shapes.toString(yZero.shape()));
        }
        MatMulShape s = MatMulShape.of(a.shape(), b.shape());
        QuantParam as = QuantParam.of(aScale, s.aCount, s.m, false, "a_scale");
        QuantParam bs = QuantParam.of(bScale, s.bCount, s.n, true, "b_scale");
        long[] acc = MatMulInteger.centeredProduct(a, aZero, b, bZero, s, ctx.device());

        DataType outType = yZero.dtype();
        long lo = outType == DataType.UINT8 ? 0 : -128;
        long hi = outType == DataType.UINT8 ? 255 : 127;
        double ys = yScale.getDouble(0);
        long yz = yZero.getLong(0);
        int aMatrix = s.m * s.k;
        int bMatrix = s.k * s.n;
        Tensor y = Tensor.uninitialized(outType, s.outShape);
        for (int t = 0; t < s.batch; t++) {
            int am = aMatrix == 0 ? 0 : s.aOffsets[t] / aMatrix;
            int bm = bMatrix == 0 ? 0 : s.bOffsets[t] / bMatrix;
            for (int i = 0; i < s.m; i++) {
                for (int j = 0; j < s.n; j++) {
                    int o = (t * s.m + i) * s.n + j;
                    double real = acc[o] * as.at(am, i) * bs.at(bm, j);
                    double q = Math.rint(real / ys) + yz;
                    y.setLong(o, (long) Math.max(lo, Math.min(hi, q)));
                }
            }
        }
        return outputs(y);
    }
}
