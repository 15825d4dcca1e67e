package dev.sonnx.runtime.cuda;

import dev.sonnx.runtime.ops.Operator;

/**
 * What runs in place of a node's CPU operator on {@code cuda:N} (its CUDA kernel, or the host
 * fallback): the CPU operator keeps answering what the node is — whether it is differentiable, which
 * inputs take gradients, whether it may be folded at prepare.
 */
abstract class PlacedOperator extends Operator {
    protected final Operator cpu;
    protected final CudaDevice device;

    PlacedOperator(Operator cpu, CudaDevice device) {
        super(cpu.node());
        this.cpu = cpu;
        this.device = device;
    }

    @Override
    public final boolean differentiable() {
        return cpu.differentiable();
    }

    @Override
    public final boolean differentiableInput(int index) {
        return cpu.differentiableInput(index);
    }

    @Override
    public final boolean deterministic() {
        return cpu.deterministic();
    }
}
