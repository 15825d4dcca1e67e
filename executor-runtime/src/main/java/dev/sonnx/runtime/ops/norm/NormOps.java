package dev.sonnx.runtime.ops.norm;

import dev.sonnx.runtime.ops.OpRegistry;

/** Operators of this family: normalization: BatchNormalization, InstanceNormalization, LayerNormalization, LRN and kin. */
public final class NormOps implements OpRegistry.OpSet {
    @Override
    public void register(OpRegistry r) {
    }
}
