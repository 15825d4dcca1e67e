package dev.sonnx.runtime.ops.quant;

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
 * QuantizeLinear (10, 13, 19, 21): y = saturate(round_half_even(x / y_scale) + y_zero_point). The
 * output type is the zero point's (or, from 21, the {@code output_dtype} attribute's), uint8 by
 * default. 13 adds per-axis scales, 19 float16/bfloat16 inputs (and float8 outputs, refused here),
 * 21 blocked scales ({@code block_size}) and 16-bit outputs. Float inputs divide in float32, as the
 * reference and onnxruntime do; int32 inputs in float64.
 */
final class QuantizeLinear extends Operator {
    private final int version;
    private final int axis;
    private final int blockSize;
    private final DataType outputType;

    QuantizeLinear(Node node, int version) {
        super(node);
        this.version = version;
        this.axis = version >= 13 ? node.attributes().getInt("axis", 1) : 1;
        this.blockSize = version >= 21 ? node.attributes().getInt("block_size", 0) : 0;
        if (blockSize < 0) {
            throw new IllegalArgumentException("attribute 'block_size' is " + blockSize + ", expected >= 0");
        }
        int code = version >= 21 ? node.attributes().getInt("output_dtype", 0) : 0;
        this.outputType = code == 0 ? null : DataType.fromCode(code);
        if (outputType != null) {
            QuantTypes.refuseFloat8(outputType, "attribute 'output_dtype'");
            if (!QuantTypes.BYTES_AND_SHORTS.contains(outputType)) {
                throw new IllegalArgumentException("attribute 'output_dtype' is " + outputType.onnxName()
                        + ", expected int8, uint8, int16 or uint16");
            }
        }
    }

    private Set<DataType> inputTypes() {
        return version >= 19 ? EnumSet.of(DataType.FLOAT, DataType.FLOAT16, DataType.BFLOAT16, DataType.INT32)
                : EnumSet.of(DataType.FLOAT, DataType.INT32);
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor x = required(inputs, 0);
        Tensor scale = required(inputs, 1);
        Tensor zp = tensor(inputs, 2);
        TypeCheck.require(x, inputTypes(), "input x");
        TypeCheck.require(scale, inputTypes(), "input y_scale");
        DataType out = outputType(zp);
        QuantAxis layout = QuantAxis.of(x.shape(), scale, zp, axis, version >= 13, blockSize, "y_scale",
                "y_zero_point");
        float[] scales = scale.toFloatArray();
        int[] zeros = new int[scales.length];
        if (zp != null) {
            Rows.loadInts(zp, 0, zeros.length, zeros);
        }
        Tensor y = Tensor.uninitialized(out, x.shape());
        double lo = QuantTypes.min(out);
        double hi = QuantTypes.max(out);
        boolean intInput = x.dtype() == DataType.INT32;
        int rowMax = layout.maxRowLength();
        int stride = layout.scaleStride();
        ctx.device().parallelFor(layout.rows(), rowMax, (s, e) -> {
            float[] xf = intInput ? null : new float[rowMax];
            int[] xi = intInput ? new int[rowMax] : null;
            int[] q = new int[rowMax];
            for (int row = s; row < e; row++) {
                int start = layout.rowStart(row);
                int len = layout.rowLength(row);
                int si = layout.scaleIndex(row);
                if (intInput) {
                    Rows.loadInts(x, start, len, xi);
                    for (int t = 0; t < len; t++) {
                        int k = si + t * stride;
                        q[t] = saturate(Math.rint(xi[t] / (double) scales[k]) + zeros[k], lo, hi);
                    }
                } else {
                    Rows.loadFloats(x, start, len, xf);
                    for (int t = 0; t < len; t++) {
                        int k = si + t * stride;
                        q[t] = saturate(Math.rint(xf[t] / scales[k]) + zeros[k], lo, hi);
                    }
                }
                Rows.storeInts(q, len, y, start);
            }
        });
        return outputs(y);
    }

    /** Clamps to the output range (NaN, which has no integer value, becomes 0). */
    private static int saturate(double v, double lo, double hi) {
        return (int) Math.max(lo, Math.min(hi, v));
    }

    private DataType outputType(Tensor zp) {
        Set<DataType> allowed = version >= 21 ? QuantTypes.BYTES_AND_SHORTS : QuantTypes.BYTES;
        if (zp != null) {
            QuantTypes.refuseFloat8(zp.dtype(), "input y_zero_point");
            TypeCheck.require(zp, allowed, "input y_zero_point");
            if (outputType != null && zp.dtype() != outputType) {
                throw new IllegalArgumentException("input y_zero_point has type " + zp.dtype().onnxName()
                        + " but attribute 'output_dtype' asks for " + outputType.onnxName());
            }
            return zp.dtype();
        }
        return outputType != null ? outputType : DataType.UINT8;
    }
}
