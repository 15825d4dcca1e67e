package dev.sonnx.runtime.opt;

import dev.sonnx.runtime.SonnxException;
import dev.sonnx.runtime.autograd.Autograd;
import dev.sonnx.runtime.autograd.Backward;
import dev.sonnx.runtime.autograd.Tape;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Updates parameters from the gradients of a loss, as SINGA's {@code opt.Optimizer}: calling
 * {@link #backwardAndUpdate} differentiates the current step's tape and applies {@link #update} to
 * every trainable parameter. Per-parameter state (momentum, moments) is created once, at the first
 * update, and reused in place after that.
 */
public abstract class Optimizer {
    private LearningRate learningRate;
    private int step;
    private Supplier<List<Parameter>> parameters = List::of;
    private final Map<String, Map<String, Tensor>> state = new HashMap<>();

    protected Optimizer(LearningRate learningRate) {
        this.learningRate = learningRate;
    }

    /** Which parameters this optimizer trains (set by {@code SonnxModel.setOptimizer}). */
    public void setParameters(Supplier<List<Parameter>> source) {
        this.parameters = source;
    }

    public List<Parameter> parameters() {
        return parameters.get();
    }

    public void setLearningRate(LearningRate lr) {
        this.learningRate = lr;
    }

    /** The rate of the coming update. */
    public double learningRate() {
        return learningRate.at(step);
    }

    /** Updates done so far. */
    public int step() {
        return step;
    }

    /** Restores the update count (when resuming from a checkpoint). */
    public void setStep(int step) {
        this.step = step;
    }

    /**
     * Gradients of {@code loss} for each trainable parameter it depends on, from the current thread's
     * tape. Parameters the loss does not reach (a classifier cut away for transfer learning) take no
     * update at all, as in PyTorch, so weight decay and momentum leave them alone.
     */
    public Map<Parameter, Tensor> backward(Tensor loss) {
        Tape tape = Autograd.tape();
        if (tape == null) {
            throw new SonnxException("no recording: call backward inside a training step (SonnxModel.trainOneBatch)");
        }
        List<Parameter> trainable = new ArrayList<>();
        List<Tensor> tensors = new ArrayList<>();
        for (Parameter p : parameters.get()) {
            if (p.trainable()) {
                trainable.add(p);
                tensors.add(p.value());
            }
        }
        Map<Tensor, Tensor> grads = Backward.gradients(tape, loss, tensors);
        Map<Parameter, Tensor> r = new LinkedHashMap<>();
        for (Parameter p : trainable) {
            Tensor g = grads.get(p.value());
            if (g != null) {
                r.put(p, g);
            }
        }
        return r;
    }

    /** SINGA's {@code optimizer(loss)}: backward, then one update of every trainable parameter. */
    public void backwardAndUpdate(Tensor loss) {
        Map<Parameter, Tensor> grads = backward(loss);
        grads.forEach(this::update);
        releaseAll(grads.values());
        step++;
    }

    /**
     * Hands gradients that the updates have consumed back to the pool: a step's gradients are as
     * large as the model (47 MB for resnet18), and fresh memory for them cost a page fault per 4 KiB
     * on every step. Called after every update, as two parameters' gradients may share memory.
     */
    static void releaseAll(Collection<Tensor> consumed) {
        consumed.forEach(Tensor::release);
    }

    /** Applies one update to {@code p} from its gradient {@code grad} (same shape), in place. */
    public abstract void update(Parameter p, Tensor grad);

    /** Marks the end of one optimizer step (for callers that call {@link #update} themselves). */
    public void endStep() {
        step++;
    }

    /**
     * The state tensor {@code slot} of parameter {@code p} (zeros at first use): momentum buffers,
     * Adam's moments. Exposed for checkpoints through {@link #state()}.
     */
    protected Tensor slot(Parameter p, String slot) {
        Map<String, Tensor> slots = state.computeIfAbsent(p.name(), k -> new HashMap<>());
        Tensor t = slots.computeIfAbsent(slot, k -> Tensor.zeros(p.value().dtype(), p.value().shape(),
                p.value().device()));
        if (t.isHost() != p.value().isHost()) {
            // state restored from a checkpoint is on the host; a parameter on a GPU wants it beside it
            t = t.to(p.value().device());
            slots.put(slot, t);
        }
        return t;
    }

    /** Whether {@code slot} of {@code p} exists yet (PyTorch starts momentum at the first gradient). */
    protected boolean hasSlot(Parameter p, String slot) {
        Map<String, Tensor> s = state.get(p.name());
        return s != null && s.containsKey(slot);
    }

    /** All state, as {@code parameterName/slot} -> tensor, for checkpoints. */
    public Map<String, Tensor> state() {
        Map<String, Tensor> r = new LinkedHashMap<>();
        state.forEach((param, slots) -> slots.forEach((slot, t) -> r.put(param + "/" + slot, t)));
        return r;
    }

    /** Restores state written by {@link #state()}. */
    public void loadState(Map<String, Tensor> saved) {
        state.clear();
        saved.forEach((key, t) -> {
            int cut = key.lastIndexOf('/');
            if (cut < 0) {
                throw new IllegalArgumentException("bad optimizer state key '" + key + "'");
            }
            state.computeIfAbsent(key.substring(0, cut), k -> new HashMap<>()).put(key.substring(cut + 1), t.copy());
        });
    }

    static void requireFloat32(Parameter p, Tensor grad) {
        if (p.value().dtype() != DataType.FLOAT || grad.dtype() != DataType.FLOAT) {
            throw new IllegalArgumentException("parameter '" + p.name() + "' is " + p.value().describe()
                    + " with gradient " + grad.describe() + "; optimizers update float32 parameters");
        }
        if (p.value().size() != grad.size()) {
            throw new IllegalArgumentException("parameter '" + p.name() + "' " + p.value().describe()
                    + " got a gradient of " + grad.describe());
        }
    }
}
