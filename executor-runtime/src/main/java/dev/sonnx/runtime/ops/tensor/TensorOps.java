package dev.sonnx.runtime.ops.tensor;

import dev.sonnx.runtime.ops.OpRegistry;

/** Operators of this family: shape, indexing and creation: Reshape, Gather, Slice, Concat, Pad and kin. */
public final class TensorOps implements OpRegistry.OpSet {
    @Override
    public void register(OpRegistry r) {
    }
}
