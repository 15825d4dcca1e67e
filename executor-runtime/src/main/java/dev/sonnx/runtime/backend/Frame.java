package dev.sonnx.runtime.backend;

import dev.sonnx.runtime.SonnxException;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.tensor.Arena;
import dev.sonnx.runtime.tensor.Device;
import dev.sonnx.runtime.tensor.MemoryLimit;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import java.util.random.RandomGenerator;

/** The values of one run of one {@link Plan} (nested bodies get a frame whose parent is the caller's). */
final class Frame implements OpContext {
    final Plan plan;
    final RunOptions options;
    final Frame parent;
    final Value[] slots;
    private Object saved;
    /** The step that {@link Plan#execute} is running, or null (constant folding runs operators without one). */
    Plan.Step step;
    /** Shape arithmetic this run starts with (its steps are skipped), or null. */
    ShapeSpecialisation.Overlay overlay;
    /** Keeps this run's shape arithmetic for later runs of the same shapes, or null. */
    ShapeSpecialisation.Recorder recorder;

    Frame(Plan plan, RunOptions options, Frame parent) {
        this.plan = plan;
        this.options = options;
        this.parent = parent;
        this.slots = plan.constants.clone();
    }

    /** The value named {@code name} here or in an enclosing frame, or null. */
    Value lookup(String name) {
        Integer s = plan.slotOf.get(name);
        if (s != null && slots[s] != null) {
            return slots[s];
        }
        return parent == null ? null : parent.lookup(name);
    }

    @Override
    public boolean mayOverwrite(int input, Tensor value) {
        Plan.Step s = step;
        return s != null && input >= 0 && input < s.lastReader.length && s.lastReader[input]
                && options.tape == null && options.arena != null && value.isHost()
                && options.arena.heldOnlyByOneSlot(value);
    }

    /** Runs one operator, records it on the tape when training, and names the node in any error. */
    Value[] runOp(Operator op, Value[] in) {
        saved = null;
        Value[] out;
        long start = Profiler.ENABLED ? System.nanoTime() : 0;
        try (Arena.Scope scope = options.arena == null ? null : options.arena.enter()) {
            out = op.forward(in, this);
            if (Profiler.ENABLED) {
                Profiler.record(Profiler.PER_NODE ? op.node().label() : op.node().opType(), System.nanoTime() - start);
            }
        } catch (SonnxException e) {
            throw new SonnxException(op.node().label() + ": " + e.getMessage(), e);
        } catch (MemoryLimit.TensorAllocationException e) {
            String output = op.node().outputCount() > 0 ? "output '" + op.node().outputs().get(0) + "': " : "";
            throw new SonnxException(op.node().label() + ": " + output + e.getMessage(), e);
        } catch (RuntimeException e) {
            throw new SonnxException(op.node().label() + ": " + describe(e, in), e);
        } catch (StackOverflowError e) {
            throw new SonnxException(op.node().label() + ": stack overflow (recursion too deep)", e);
        } catch (OutOfMemoryError e) {
            throw new SonnxException(op.node().label() + ": out of memory (" + e.getMessage() + ")", e);
        }
        if (options.tape != null && op.differentiable()) {
            options.tape.record(op, in, out, saved, this);
        }
        return out;
    }

    /**
     * The error and the inputs it met. An IllegalArgumentException speaks to the user ("axis 5 is out
     * of range"); any other exception is a bug in the kernel, so its class is named too.
     */
    private static String describe(RuntimeException e, Value[] in) {
        String what = e.getMessage() == null ? e.getClass().getSimpleName()
                : e instanceof IllegalArgumentException ? e.getMessage()
                : e.getClass().getSimpleName() + ": " + e.getMessage();
        StringBuilder sb = new StringBuilder(what);
        sb.append(" (inputs:");
        for (Value v : in) {
            sb.append(' ').append(v == null ? "-" : v.describe());
        }
        return sb.append(')').toString();
    }

    @Override
    public Device device() {
        return options.device;
    }

    @Override
    public boolean training() {
        return options.training;
    }

    @Override
    public boolean recording() {
        return options.tape != null;
    }

    @Override
    public void saveForBackward(Object state) {
        saved = state;
    }

    @Override
    public void assignState(Tensor state, Tensor value) {
        if (!options.training) {
            throw new IllegalStateException("model state can change only in a training run");
        }
        if (!isConstant(state)) {
            throw new IllegalStateException("only initializers hold model state; " + state.describe() + " is not one");
        }
        state.copyFrom(value);
    }

    private boolean isConstant(Tensor t) {
        for (Frame f = this; f != null; f = f.parent) {
            for (Value c : f.plan.constants) {
                if (c == t) {
                    return true;
                }
            }
        }
        return false;
    }

    @Override
    public RandomGenerator random() {
        return options.random;
    }
}
