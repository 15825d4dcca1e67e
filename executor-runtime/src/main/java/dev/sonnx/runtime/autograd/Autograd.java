package dev.sonnx.runtime.autograd;

import dev.sonnx.runtime.cpu.CpuDevice;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.tensor.Device;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;

/**
 * The autograd state of the current thread, as SINGA keeps it in {@code autograd.training}: whether
 * operators run in training mode and the {@link Tape} they record on. {@code SonnxModel} opens a
 * recording for each training step; layers and losses called in between record on the same tape as
 * the imported graph, so backward sees one chain from the loss to every parameter.
 */
public final class Autograd {

    /** One recording: the tape, the mode, the device and the random source of a training step. */
    public static final class Session implements OpContext, AutoCloseable {
        private final Tape tape;
        private final boolean training;
        private final Device device;
        private final RandomGenerator random;
        private final Session previous;
        private final java.util.List<Runnable> onClose = new java.util.ArrayList<>();
        private Object saved;

        private Session(Tape tape, boolean training, Device device, RandomGenerator random, Session previous) {
            this.tape = tape;
            this.training = training;
            this.device = device;
            this.random = random;
            this.previous = previous;
        }

        public Tape tape() {
            return tape;
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
            return tape != null;
        }

        @Override
        public void saveForBackward(Object state) {
            saved = state;
        }

        /** Layers own their state tensors (BatchNorm2d's running statistics), so they may update them. */
        @Override
        public void assignState(Tensor state, Tensor value) {
            if (!training) {
                throw new IllegalStateException("model state can change only in training mode");
            }
            state.copyFrom(value);
        }

        @Override
        public RandomGenerator random() {
            return random;
        }

        /** Runs {@code action} when the session ends (model runs recycle their memory then). */
        public void onClose(Runnable action) {
            onClose.add(action);
        }

        /** Ends this recording, releases what its runs held, and restores the session current before. */
        @Override
        public void close() {
            CURRENT.set(previous);
            onClose.forEach(Runnable::run);
            onClose.clear();
        }
    }

    private static final ThreadLocal<Session> CURRENT = new ThreadLocal<>();

    private Autograd() {
    }

    /** Starts recording on a new tape in the given mode; close the session when the step ends. */
    public static Session record(boolean training, Device device, RandomGenerator random) {
        Session s = new Session(new Tape(), training, device, random, CURRENT.get());
        CURRENT.set(s);
        return s;
    }

    /** Runs without recording (evaluation); close to restore. */
    public static Session noRecording(boolean training, Device device) {
        Session s = new Session(null, training, device, new SplittableRandom(), CURRENT.get());
        CURRENT.set(s);
        return s;
    }

    /** The current session, or null outside any. */
    public static Session current() {
        return CURRENT.get();
    }

    /** The current tape, or null when nothing records. */
    public static Tape tape() {
        Session s = CURRENT.get();
        return s == null ? null : s.tape;
    }

    /** Whether operators run in training mode (false outside any session). */
    public static boolean training() {
        Session s = CURRENT.get();
        return s != null && s.training;
    }

    /**
     * Applies an operator outside a graph (a layer or a loss): runs it in the current session's mode
     * and records it on the current tape when there is one.
     */
    public static Value[] apply(Operator op, Value... inputs) {
        Session s = CURRENT.get();
        if (s == null) {
            s = new Session(null, false, CpuDevice.get(), new SplittableRandom(), null);
        }
        s.saved = null;
        Value[] out = op.forward(inputs, s);
        if (s.tape != null && op.differentiable()) {
            s.tape.record(op, inputs, out, s.saved, s);
        }
        return out;
    }

    /** {@link #apply} for a single-output operator on tensors. */
    public static Tensor apply1(Operator op, Tensor... inputs) {
        return apply(op, (Value[]) inputs)[0].asTensor();
    }
}
