package dev.sonnx.runtime.ops.nn;

import dev.sonnx.runtime.ops.OpRegistry;

/** Operators of this family: Softmax family, Dropout, losses and other network layers. */
public final class NnOps implements OpRegistry.OpSet {
    @Override
    public void register(OpRegistry r) {
    }
}
