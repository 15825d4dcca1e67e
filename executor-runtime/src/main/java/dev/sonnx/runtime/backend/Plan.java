package dev.sonnx.runtime.backend;

import dev.sonnx.runtime.SonnxException;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.ops.Subgraph;
import dev.sonnx.runtime.tensor.Arena;
import dev.sonnx.runtime.tensor.Value;
import java.util.List;
import java.util.Map;

/**
 * A graph compiled for running: every value has a slot, every node an operator and the slots it
 * reads and writes, constants are placed on the device, and each step knows which slots die after
 * it. Built once by {@link PlanCompiler}; {@link #run} only executes it.
 */
final class Plan implements Subgraph {

    /** One node to run. */
    static final class Step {
        final Operator op;
        final int[] in;
        final int[] out;
        int[] release = new int[0];
        /**
         * Per input: this step is the last reader of its slot, which no other input of the step (nor a
         * nested body) reads: the input's memory is the step's to overwrite when nothing else holds it.
         */
        boolean[] lastReader = new boolean[0];

        Step(Operator op, int[] in, int[] out) {
            this.op = op;
            this.in = in;
            this.out = out;
        }

        /** Refuses what a kernel returned when it has fewer values than the node has outputs. */
        void requireOutputs(Value[] produced, String label) {
            if (produced == null || produced.length < out.length) {
                throw new SonnxException(label + ": " + op.node().label() + " produced "
                        + (produced == null ? 0 : produced.length) + " outputs, the node declares " + out.length);
            }
        }
    }

    final String label;
    final Map<String, Integer> slotOf;
    final String[] slotNames;
    final Value[] constants;
    final int[] inputSlots;
    final List<String> inputNames;
    final int[] outputSlots;
    final List<String> outputNames;
    final Step[] steps;
    final String[] outerNames;
    final int[] outerSlots;

    Plan(String label, Map<String, Integer> slotOf, String[] slotNames, Value[] constants, int[] inputSlots,
         List<String> inputNames, int[] outputSlots, List<String> outputNames, Step[] steps,
         String[] outerNames, int[] outerSlots) {
        this.label = label;
        this.slotOf = slotOf;
        this.slotNames = slotNames;
        this.constants = constants;
        this.inputSlots = inputSlots;
        this.inputNames = inputNames;
        this.outputSlots = outputSlots;
        this.outputNames = outputNames;
        this.steps = steps;
        this.outerNames = outerNames;
        this.outerSlots = outerSlots;
    }

    @Override
    public List<String> inputNames() {
        return inputNames;
    }

    @Override
    public List<String> outputNames() {
        return outputNames;
    }

    /** Runs as a nested body: {@code ctx} is the frame of the enclosing graph's run. */
    @Override
    public Value[] run(Value[] inputs, OpContext ctx) {
        Frame parent = (Frame) ctx;
        // A body with no steps still counts: an empty Loop body iterated 2^63 times must stop too.
        parent.options.checkContinue(label, null);
        Frame frame = new Frame(this, parent.options, parent);
        bindInputs(frame, inputs);
        execute(frame, steps.length);
        return collect(frame, outputSlots);
    }

    /**
     * Fills the slots of the graph inputs (and of values read from enclosing graphs); the caller has
     * checked count and types. Each binding holds a reference, as step outputs do, so that a body
     * dropping its input never recycles memory its caller still holds.
     */
    void bindInputs(Frame frame, Value[] inputs) {
        if (inputs.length > inputSlots.length) {
            throw new SonnxException(label + " takes " + inputSlots.length + " inputs, got " + inputs.length);
        }
        Arena arena = frame.options.arena;
        for (int i = 0; i < inputs.length; i++) {
            if (inputs[i] != null) {
                frame.slots[inputSlots[i]] = inputs[i];
                if (arena != null) {
                    arena.retain(inputs[i]);
                }
            }
        }
        for (int i = 0; i < outerSlots.length; i++) {
            Value v = frame.parent == null ? null : frame.parent.lookup(outerNames[i]);
            if (v == null) {
                throw new SonnxException(label + ": value '" + outerNames[i] + "' of an enclosing graph has no value");
            }
            frame.slots[outerSlots[i]] = v;
            if (arena != null) {
                arena.retain(v);
            }
        }
    }

    /** Runs steps {@code [0, stepLimit)}. */
    void execute(Frame frame, int stepLimit) {
        execute(frame, 0, stepLimit);
    }

    /** Runs steps {@code [from, to)}. */
    void execute(Frame frame, int from, int to) {
        Value[] slots = frame.slots;
        boolean[] skip = frame.overlay == null ? null : frame.overlay.skip;
        for (int s = from; s < to; s++) {
            Step step = steps[s];
            if (skip != null && skip[s]) {
                // shape arithmetic whose results the run started with; its inputs still die here
                release(frame, step);
                continue;
            }
            frame.options.checkContinue(label, step.op);
            Value[] in = new Value[step.in.length];
            for (int i = 0; i < in.length; i++) {
                int slot = step.in[i];
                if (slot >= 0) {
                    in[i] = slots[slot];
                    if (in[i] == null) {
                        throw new SonnxException(label + ": " + step.op.node().label() + ": input '"
                                + slotNames[slot] + "' has no value (is it a graph input that was not fed?)");
                    }
                }
            }
            frame.step = step;
            Value[] out;
            try {
                out = frame.runOp(step.op, in);
            } finally {
                frame.step = null;
            }
            step.requireOutputs(out, label);
            Arena arena = frame.options.arena;
            for (int o = 0; o < step.out.length; o++) {
                if (step.out[o] >= 0) {
                    slots[step.out[o]] = out[o];
                    if (arena != null) {
                        arena.retain(out[o]);
                    }
                    if (frame.recorder != null) {
                        frame.recorder.produced(step.out[o], out[o]);
                    }
                }
            }
            release(frame, step);
        }
    }

    /** Drops the slots whose last reader is {@code step}. */
    private static void release(Frame frame, Step step) {
        Arena arena = frame.options.arena;
        for (int r : step.release) {
            if (arena != null && frame.slots[r] != null) {
                arena.release(frame.slots[r]);
            }
            frame.slots[r] = null;
        }
    }

    Value[] collect(Frame frame, int[] which) {
        Value[] r = new Value[which.length];
        for (int i = 0; i < which.length; i++) {
            r[i] = frame.slots[which[i]];
            if (r[i] == null) {
                throw new SonnxException(label + ": output '" + slotNames[which[i]] + "' was not computed");
            }
        }
        return r;
    }

    /** Runs steps until every slot in {@code targets} holds a value (a cut of the graph). */
    void executeUntil(Frame frame, int[] targets) {
        int last = -1;
        for (int s = 0; s < steps.length; s++) {
            for (int o : steps[s].out) {
                for (int t : targets) {
                    if (o == t) {
                        last = Math.max(last, s);
                    }
                }
            }
        }
        execute(frame, last + 1);
    }
}
