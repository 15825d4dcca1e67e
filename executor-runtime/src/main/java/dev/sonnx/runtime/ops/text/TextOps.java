package dev.sonnx.runtime.ops.text;

import dev.sonnx.runtime.ops.OpRegistry;

/** Operators of this family: string operators. */
public final class TextOps implements OpRegistry.OpSet {
    @Override
    public void register(OpRegistry r) {
    }
}
