package dev.sonnx.runtime.ops.quant;

import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.ops.conv.Float64Convolution;
import dev.sonnx.runtime.ops.kernel.TypeCheck;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import java.nio.DoubleBuffer;
import java.util.Arrays;
import java.util.EnumSet;

/**
 * QLinearConv (10): a quantized convolution. The int32 accumulator
 * acc = conv(x - x_zero_point, w - w_zero_point[m]) + B[m] is requantized as
 * y = saturate(round_half_even(acc * (x_scale * w_scale[m] / y_scale)) + y_zero_point), the
 * multiplier and product in float32 as onnxruntime computes them. Weight scale and zero point are per
 * tensor or per output channel; y takes y_zero_point's type.
 */
final class QLinearConv extends Operator {
    private final Float64Convolution conv;

    QLinearConv(Node node) {
        super(node);
        this.conv = new Float64Convolution(node);
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor x = required(inputs, 0);
        Tensor xScale = required(inputs, 1);
        Tensor xZeroPoint = required(inputs, 2);
        Tensor w = required(inputs, 3);
        Tensor wScale = required(inputs, 4);
        Tensor wZeroPoint = required(inputs, 5);
        Tensor yScale = required(inputs, 6);
        Tensor yZeroPoint = required(inputs, 7);
        Tensor bias = tensor(inputs, 8);
        int[] outShape = conv.outputShape(x, w);
        int m = w.shape()[0];
        int xZero = QuantizedConvInputs.scalarZeroPoint(xZeroPoint, x, "x_zero_point");
        int[] wZero = QuantizedConvInputs.channelZeroPoints(wZeroPoint, w, "w_zero_point");
        TypeCheck.require(yZeroPoint, QuantTypes.BYTES, "input y_zero_point");
        if (yZeroPoint.size() != 1 || yZeroPoint.rank() > 1) {
            throw new IllegalArgumentException("input y_zero_point has shape " + Arrays.toString(yZeroPoint.shape())
                    + ", expected a scalar");
        }
        float[] multipliers = multipliers(scalar(xScale, "x_scale"), channelScales(wScale, m),
                scalar(yScale, "y_scale"));
        int[] biases = biases(bias, m);
        Tensor acc = conv.forward(QuantizedConvInputs.shifted(x, xZero, "x"),
                QuantizedConvInputs.shiftedPerChannel(w, wZero, "w"), ctx.device());
        DataType outType = yZeroPoint.dtype();
        int lo = QuantTypes.min(outType);
        int hi = QuantTypes.max(outType);
        int yZero = (int) yZeroPoint.getLong(0);
        Tensor y = Tensor.uninitialized(outType, outShape);
        int planeSize = acc.size() / Math.max(1, outShape[0] * m);
        DoubleBuffer a = acc.doubles();
        ctx.device().parallelFor(outShape[0] * m, planeSize, (s, e) -> {
            int[] row = new int[planeSize];
            for (int plane = s; plane < e; plane++) {
                int c = plane % m;
                float mult = multipliers[c];
                int off = plane * planeSize;
                for (int i = 0; i < planeSize; i++) {
                    // the accumulator is an int32 in onnxruntime: exact in float64, rounded to float32 here
                    float v = (float) (a.get(off + i) + biases[c]) * mult;
                    row[i] = (int) Math.max(lo, Math.min(hi, Math.rint(v) + yZero));
                }
                Rows.storeInts(row, planeSize, y, off);
            }
        });
        return outputs(y);
    }

    private static float scalar(Tensor t, String name) {
        TypeCheck.require(t, EnumSet.of(DataType.FLOAT), "input " + name);
        if (t.size() != 1 || t.rank() > 1) {
            throw new IllegalArgumentException("input " + name + " has shape " + Arrays.toString(t.shape())
                    + ", expected a scalar");
        }
        return t.getFloat(0);
    }

    private static float[] channelScales(Tensor t, int m) {
        TypeCheck.require(t, EnumSet.of(DataType.FLOAT), "input w_scale");
        float[] r = new float[m];
        if (t.size() == 1 && t.rank() <= 1) {
            Arrays.fill(r, t.getFloat(0));
        } else if (t.rank() == 1 && t.size() == m) {
            t.floats().get(0, r);
        } else {
            throw new IllegalArgumentException("input w_scale has shape " + Arrays.toString(t.shape())
                    + ", expected a scalar or [" + m + "] (one per output channel)");
        }
        return r;
    }

    private static float[] multipliers(float xScale, float[] wScales, float yScale) {
        float[] r = new float[wScales.length];
        for (int i = 0; i < r.length; i++) {
            r[i] = xScale * wScales[i] / yScale;
        }
        return r;
    }

    private static int[] biases(Tensor b, int m) {
        int[] r = new int[m];
        if (b == null) {
            return r;
        }
        TypeCheck.require(b, EnumSet.of(DataType.INT32), "input B");
        if (b.rank() != 1 || b.size() != m) {
            throw new IllegalArgumentException("input B has shape " + Arrays.toString(b.shape()) + ", expected [" + m
                    + "]");
        }
        b.ints().get(0, r);
        return r;
    }
}
