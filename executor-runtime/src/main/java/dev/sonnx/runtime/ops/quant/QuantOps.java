package dev.sonnx.runtime.ops.quant;

import dev.sonnx.runtime.ops.OpRegistry;

/** Operators of this family: quantization. */
public final class QuantOps implements OpRegistry.OpSet {
    @Override
    public void register(OpRegistry r) {
    }
}
