package dev.sonnx.runtime.ops.quant;

import dev.sonnx.runtime.ops.OpRegistry;

/** Operators of this family: quantization. */
public final class QuantOps implements OpRegistry.OpSet {
    @Override
    public void register(OpRegistry r) {
        for (int v : new int[] {10, 13, 19, 21}) {
            r.add("QuantizeLinear", v, (n, b) -> new QuantizeLinear(n, v));
            r.add("DequantizeLinear", v, (n, b) -> new DequantizeLinear(n, v));
        }
        r.add("DynamicQuantizeLinear", 11, (n, b) -> new DynamicQuantizeLinear(n));
        r.add("ConvInteger", 10, (n, b) -> new ConvInteger(n));
        r.add("QLinearConv", 10, (n, b) -> new QLinearConv(n));
    }
}
