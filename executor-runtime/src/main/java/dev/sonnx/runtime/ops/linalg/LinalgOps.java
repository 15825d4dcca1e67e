package dev.sonnx.runtime.ops.linalg;

import dev.sonnx.runtime.ops.OpRegistry;

/** Operators of this family: matrix products: Gemm, MatMul, Einsum and kin. */
public final class LinalgOps implements OpRegistry.OpSet {
    @Override
    public void register(OpRegistry r) {
    }
}
