package dev.sonnx.runtime.ops;

import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;

/**
 * One ONNX operator bound to one node. The constructor runs once, at prepare: it parses the node's
 * attributes and plans whatever depends only on them. {@link #forward} runs the node and must not
 * write into its inputs; {@link #backward} (beside it, so each can be checked against the other)
 * gives the gradients of the inputs from those of the outputs.
 *
 * <p>Instances are shared by concurrent runs of a model: per-run state goes through the
 * {@link OpContext} (and {@link OpContext#saveForBackward}), never into fields; caches keyed by
 * shape must be thread-safe.
 */
public abstract class Operator {
    protected final Node node;

    protected Operator(Node node) {
        this.node = node;
    }

    public final Node node() {
        return node;
    }

    /**
     * Computes the node's outputs. {@code inputs[i]} is null for an omitted optional input. Returns one
     * value per node output, in order (null for an unrequested optional output).
     */
    public abstract Value[] forward(Value[] inputs, OpContext ctx);

    /** Whether {@link #backward} is implemented. Operators without it stop gradients (Shape, Equal...). */
    public boolean differentiable() {
        return false;
    }

    /**
     * Whether input {@code index} can carry a gradient. Defaults to {@link #differentiable()};
     * operators override it for inputs that are statistics, shapes, indices or settings even when
     * float (BatchNormalization's running mean and variance, Dropout's ratio, Clip's bounds...), so
     * that training never treats those initializers as trainable parameters.
     */
    public boolean differentiableInput(int index) {
        return differentiable();
    }

    /**
     * Gradients with respect to each input (null where an input takes none or
     * {@link BackwardContext#needsGrad} is false), given the gradients of the outputs.
     */
    public Tensor[] backward(BackwardContext grads) {
        throw new IllegalStateException(node.label() + " has no gradient");
    }

    /**
     * Whether outputs depend only on inputs and attributes, so that prepare may fold the node when
     * its inputs are constant. Random operators say no.
     */
    public boolean deterministic() {
        return true;
    }

    // ------------------------------------------------------------ helpers for subclasses

    /** Input {@code i} as a tensor; null when omitted. */
    protected static Tensor tensor(Value[] inputs, int i) {
        return i < inputs.length && inputs[i] != null ? inputs[i].asTensor() : null;
    }

    /** Input {@code i} as a tensor, which must be present. */
    protected final Tensor required(Value[] inputs, int i) {
        Tensor t = tensor(inputs, i);
        if (t == null) {
            throw new IllegalArgumentException("input " + i + " is required");
        }
        return t;
    }

    /** Packs outputs. */
    protected static Value[] outputs(Value... values) {
        return values;
    }
}
