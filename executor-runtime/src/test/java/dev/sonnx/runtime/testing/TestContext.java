package dev.sonnx.runtime.testing;

import dev.sonnx.runtime.cpu.CpuDevice;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.tensor.Device;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;

/** An {@link OpContext} for calling operators directly in tests; keeps what forward saved. */
public final class TestContext implements OpContext {
    private final boolean training;
    private final boolean recording;
    private final Device device;
    private final RandomGenerator random = new SplittableRandom(42);
    private boolean overwritable;
    public Object saved;

    public TestContext(boolean training) {
        this(training, CpuDevice.get());
    }

    public TestContext(boolean training, Device device) {
        this(training, true, device);
    }

    private TestContext(boolean training, boolean recording, Device device) {
        this.training = training;
        this.recording = recording;
        this.device = device;
    }

    /** A plain inference run: nothing recorded, so operators may take their inference-only paths. */
    public static TestContext inference() {
        return new TestContext(false, false, CpuDevice.get());
    }

    @Override
    public Device device() {
        return device;
    }

    @Override
    public boolean training() {
        return training;
    }

    @Override
    public boolean recording() {
        return recording;
    }

    @Override
    public void saveForBackward(Object state) {
        saved = state;
    }

    /** Tests see state updates applied directly to the given tensor. */
    @Override
    public void assignState(dev.sonnx.runtime.tensor.Tensor state, dev.sonnx.runtime.tensor.Tensor value) {
        state.copyFrom(value);
    }

    @Override
    public RandomGenerator random() {
        return random;
    }

    /** An inference context that lets operators overwrite every input they are handed ({@link #mayOverwrite}). */
    public static TestContext inferenceOverwritingInputs() {
        TestContext c = inference();
        c.overwritable = true;
        return c;
    }

    @Override
    public boolean mayOverwrite(int input, dev.sonnx.runtime.tensor.Tensor value) {
        return overwritable;
    }
}
