package dev.sonnx.runtime.ops.control;

import dev.sonnx.runtime.ops.OpRegistry;

/** Operators of this family: control flow (If, Loop, Scan), sequences and optionals. */
public final class ControlOps implements OpRegistry.OpSet {
    @Override
    public void register(OpRegistry r) {
    }
}
