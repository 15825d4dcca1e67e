package dev.sonnx.runtime.ops.conv;

import dev.sonnx.runtime.ops.OpRegistry;

/** Operators of this family: convolution, transposed convolution and pooling. */
public final class ConvOps implements OpRegistry.OpSet {
    @Override
    public void register(OpRegistry r) {
    }
}
