package dev.sonnx.runtime.ops.quant;

import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.ops.kernel.TypeCheck;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.util.EnumSet;

/**
 * DynamicQuantizeLinear (11): uint8 quantization with the scale and zero point computed from the
 * data's range widened to include 0: scale = (max - min) / 255, zero_point =
 * saturate(round(-min / scale)), y = saturate(round(x / scale) + zero_point), all in float32 with
 * round-half-even. An all-zero input (max = min = 0) takes scale 1, as onnxruntime does, so that
 * no division by zero reaches y or later dequantizations.
 */
final class DynamicQuantizeLinear extends Operator {
    DynamicQuantizeLinear(Node node) {
        super(node);
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor x = required(inputs, 0);
        TypeCheck.require(x, EnumSet.of(DataType.FLOAT), "input x");
        FloatBuffer xb = x.floats();
        int n = x.size();
        float min = 0;
        float max = 0;
        for (int i = 0; i < n; i++) {
            float v = xb.get(i);
            // comparisons skip NaN, which has no place in a range
            if (v < min) {
                min = v;
            }
            if (v > max) {
                max = v;
            }
        }
        float scale = max == min ? 1f : (max - min) / 255f;
        float zeroPoint = (float) Math.max(0, Math.min(255, Math.rint((0 - min) / scale)));
        Tensor y = Tensor.uninitialized(DataType.UINT8, x.shape());
        ByteBuffer yb = y.bytes();
        ctx.device().parallelFor(n, 4, (s, e) -> {
            for (int i = s; i < e; i++) {
                double q = Math.rint(xb.get(i) / scale) + zeroPoint;
                yb.put(i, (byte) (int) Math.max(0, Math.min(255, q)));
            }
        });
        Tensor yScale = Tensor.zeros(DataType.FLOAT);
        yScale.floats().put(0, scale);
        Tensor yZero = Tensor.zeros(DataType.UINT8);
        yZero.bytes().put(0, (byte) (int) zeroPoint);
        return outputs(y, yScale, yZero);
    }
}
