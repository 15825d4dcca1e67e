package dev.sonnx.runtime.ops.random;

import dev.sonnx.runtime.ops.OpRegistry;

/** Operators of this family: random generators. */
public final class RandomOps implements OpRegistry.OpSet {
    @Override
    public void register(OpRegistry r) {
    }
}
