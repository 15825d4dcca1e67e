package dev.sonnx.runtime.ops;

/**
 * A device that runs operators its own way: at prepare, each operator of a plan compiled for it is
 * handed over, and the device returns what runs in its place (its own kernel, or a wrapper that
 * runs the CPU operator on host copies). The CPU device does not implement this.
 */
public interface OperatorPlacement {

    Operator place(Operator op);
}
