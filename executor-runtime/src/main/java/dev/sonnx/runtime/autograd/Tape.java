package dev.sonnx.runtime.autograd;

import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
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

    public void record(Operator op, Value[] inputs, Value[] outputs, Object saved, OpContext context) {
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
