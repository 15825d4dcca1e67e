package dev.sonnx.runtime.ops.training;

import dev.sonnx.runtime.ops.OpRegistry;

/** Operators of this family: the ai.onnx.preview.training optimizers. */
public final class TrainingOps implements OpRegistry.OpSet {
    @Override
    public void register(OpRegistry r) {
    }
}
