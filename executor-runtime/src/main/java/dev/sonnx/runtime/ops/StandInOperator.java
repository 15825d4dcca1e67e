package dev.sonnx.runtime.ops;


/**
 * What runs in place of a node's CPU operator on another device (that device's kernel, or the
 * {@link HostFallback}): the CPU operator keeps answering what the node is — whether it is
 * differentiable, which inputs take gradients, whether it may be folded at prepare.
 */
public abstract class StandInOperator extends Operator {
    protected final Operator cpu;

    protected StandInOperator(Operator cpu) {
        super(cpu.node());
        this.cpu = cpu;
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
