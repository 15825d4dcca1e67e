package dev.sonnx.runtime.ops;

import dev.sonnx.runtime.tensor.Device;
import dev.sonnx.runtime.tensor.Tensor;
import java.util.random.RandomGenerator;

/**
 * A run's context as an operator sees it when another runs it on its behalf (a detour through a
 * twin operator on other data): everything is the run's, except that what the operator saves for
 * its backward is kept here for the caller to save in turn.
 */
public class SavingContext implements OpContext {
    private final OpContext run;
    private Object saved;

    public SavingContext(OpContext run) {
        this.run = run;
    }

    /** What the operator passed to {@link #saveForBackward}, or null. */
    public final Object saved() {
        return saved;
    }

    /** The context of the run itself. */
    protected final OpContext run() {
        return run;
    }

    @Override
    public Device device() {
        return run.device();
    }

    @Override
    public boolean training() {
        return run.training();
    }

    @Override
    public boolean recording() {
        return run.recording();
    }

    @Override
    public final void saveForBackward(Object state) {
        saved = state;
    }

    @Override
    public void assignState(Tensor state, Tensor value) {
        run.assignState(state, value);
    }

    @Override
    public RandomGenerator random() {
        return run.random();
    }
}
