package dev.sonnx.runtime.ops.quant;

import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.ops.conv.Float64Convolution;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import java.nio.DoubleBuffer;
import java.nio.IntBuffer;

/**
 * ConvInteger (10): the int32 convolution of (x - x_zero_point) with (w - w_zero_point), the weight
 * zero point per tensor or per output channel; padding reads x_zero_point, i.e. contributes zero.
 */
final class ConvInteger extends Operator {
    private final Float64Convolution conv;

    ConvInteger(Node node) {
        super(node);
        this.conv = new Float64Convolution(node);
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor x = required(inputs, 0);
        Tensor w = required(inputs, 1);
        int[] outShape = conv.outputShape(x, w);
        int xZero = QuantizedConvInputs.scalarZeroPoint(tensor(inputs, 2), x, "x_zero_point");
        int[] wZero = QuantizedConvInputs.channelZeroPoints(tensor(inputs, 3), w, "w_zero_point");
        Tensor acc = conv.forward(QuantizedConvInputs.shifted(x, xZero, "x"),
                QuantizedConvInputs.shiftedPerChannel(w, wZero, "w"), ctx.device());
        Tensor y = Tensor.uninitialized(DataType.INT32, outShape);
        DoubleBuffer a = acc.doubles();
        IntBuffer out = y.ints();
        for (int i = 0; i < y.size(); i++) {
            out.put(i, (int) a.get(i));
        }
        return outputs(y);
    }
}
