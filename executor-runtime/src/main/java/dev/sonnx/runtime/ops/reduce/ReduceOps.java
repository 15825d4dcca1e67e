package dev.sonnx.runtime.ops.reduce;

import dev.sonnx.runtime.ops.OpRegistry;

/** Operators of this family: reductions, ArgMax/ArgMin, CumSum, TopK and kin. */
public final class ReduceOps implements OpRegistry.OpSet {
    @Override
    public void register(OpRegistry r) {
    }
}
