package dev.sonnx.runtime.autograd;

import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import java.util.ArrayList;
import java.util.List;

/**
 * The record of a forward pass in training: each differentiable operator run, in order, with its
 * input and output values and what it saved for backward. Backward walks it in reverse.
 */
public final class Tape {

    /** One recorded operator application. */
    public record Entry(Operator op, Value[] inputs, Value[] outputs, Object saved, OpContext context) {
    }

    private final List<Entry> entries = new ArrayList<>();

    /**
     * Records one application. Gradients are keyed by tensor identity, so an output that is one of its
     * inputs (Identity, inference Dropout) is replaced in {@code outputs} by a view of its own; the
     * data stays shared. Callers return the (possibly replaced) outputs.
     */
    public void record(Operator op, Value[] inputs, Value[] outputs, Object saved, OpContext context) {
        for (int o = 0; o < outputs.length; o++) {
            for (Value v : inputs) {
                if (outputs[o] != null && outputs[o] == v && v instanceof Tensor t) {
                    outputs[o] = t.reshape(t.shape());
                }
            }
        }
        entries.add(new Entry(op, inputs, outputs, saved, context));
    }

    public List<Entry> entries() {
        return entries;
    }

    public int size() {
        return entries.size();
    }

    public void clear() {
        entries.clear();
    }
}
