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
 * DequantizeLinear (10, 13, 19, 21): y = (x - x_zero_point) * x_scale, in float32. 13 adds
 * per-axis scales; 19 float16/bfloat16 scales, y taking the scale's type (and float8 inputs, refused
 * here); 21 blocked scales ({@code block_size}) and 16-bit inputs.
 */
final class DequantizeLinear extends Operator {
    private final int version;
    private final int axis;
    private final int blockSize;

    DequantizeLinear(Node node, int version) {
        super(node);
        this.version = version;
        this.axis = version >= 13 ? node.attributes().getInt("axis", 1) : 1;
        this.blockSize = version >= 21 ? node.attributes().getInt("block_size", 0) : 0;
        if (blockSize < 0) {
            throw new IllegalArgumentException("attribute 'block_size' is " + blockSize + ", expected >= 0");
        }
    }

    private Set<DataType> inputTypes() {
        Set<DataType> s = EnumSet.of(DataType.INT8, DataType.UINT8, DataType.INT32);
        if (version >= 21) {
            s.add(DataType.INT16);
            s.add(DataType.UINT16);
        }
        return s;
    }

    private Set<DataType> scaleTypes() {
        return version >= 19 ? EnumSet.of(DataType.FLOAT, DataType.FLOAT16, DataType.BFLOAT16)
                : EnumSet.of(DataType.FLOAT);
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor x = required(inputs, 0);
        Tensor scale = required(inputs, 1);
        Tensor zp = tensor(inputs, 2);
        QuantTypes.refuseFloat8(x.dtype(), "input x");
        TypeCheck.require(x, inputTypes(), "input x");
        TypeCheck.require(scale, scaleTypes(), "input x_scale");
        if (zp != null && zp.dtype() != x.dtype()) {
            throw new IllegalArgumentException("input x_zero_point has type " + zp.dtype().onnxName()
                    + ", expected the type of x, " + x.dtype().onnxName());
        }
        QuantAxis layout = QuantAxis.of(x.shape(), scale, zp, axis, version >= 13, blockSize, "x_scale",
                "x_zero_point");
        float[] scales = scale.toFloatArray();
        int[] zeros = new int[scales.length];
        if (zp != null) {
            Rows.loadInts(zp, 0, zeros.length, zeros);
        }
        Tensor y = Tensor.uninitialized(version >= 19 ? scale.dtype() : DataType.FLOAT, x.shape());
        int rowMax = layout.maxRowLength();
        int stride = layout.scaleStride();
        ctx.device().parallelFor(layout.rows(), rowMax, (s, e) -> {
            int[] xi = new int[rowMax];
            float[] out = new float[rowMax];
            for (int row = s; row < e; row++) {
                int start = layout.rowStart(row);
                int len = layout.rowLength(row);
                int si = layout.scaleIndex(row);
                Rows.loadInts(x, start, len, xi);
                for (int t = 0; t < len; t++) {
                    int k = si + t * stride;
                    // the difference in 64 bits: int32 data minus a zero point can leave int32's range
                    out[t] = (float) ((long) xi[t] - zeros[k]) * scales[k];
                }
                Rows.storeFloats(out, len, y, start);
            }
        });
        return outputs(y);
    }
}
