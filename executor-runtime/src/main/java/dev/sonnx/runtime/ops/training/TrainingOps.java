package dev.sonnx.runtime.ops.training;

import dev.sonnx.runtime.ops.OpRegistry;

/** Operators of this family: the ai.onnx.preview.training optimizers (version 1 of that domain). */
public final class TrainingOps implements OpRegistry.OpSet {
    static final String DOMAIN = "ai.onnx.preview.training";

    @Override
    public void register(OpRegistry r) {
        r.add(DOMAIN, "Adagrad", 1, (n, b) -> new AdagradOp(n));
        r.add(DOMAIN, "Adam", 1, (n, b) -> new AdamOp(n));
        r.add(DOMAIN, "Momentum", 1, (n, b) -> new MomentumOp(n));
    }
}
