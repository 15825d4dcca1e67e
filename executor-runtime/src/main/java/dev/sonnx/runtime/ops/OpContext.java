package dev.sonnx.runtime.ops;

import dev.sonnx.runtime.tensor.Device;
import java.util.random.RandomGenerator;

/** What a running operator may ask of the run it belongs to. */
public interface OpContext {

    /** The device the model runs on; kernels allocate outputs there and parallelize through it. */
    Device device();

    /** Training mode: BatchNormalization uses batch statistics, Dropout drops. */
    boolean training();

    /** Whether the run records a tape for backward (so operators should save what backward needs). */
    boolean recording();

    /** Keeps {@code state} for this node's {@link Operator#backward}; call during {@code forward}. */
    void saveForBackward(Object state);

    /**
     * Overwrites a model-state tensor that this node received as an input with {@code value}: how
     * BatchNormalization updates its running statistics (initializers) in a training run. Outside
     * training runs, or for an input that is not an initializer, this is an error.
     */
    void assignState(dev.sonnx.runtime.tensor.Tensor state, dev.sonnx.runtime.tensor.Tensor value);

    /** The run's random generator for random operators without a {@code seed} attribute. */
    RandomGenerator random();

    /**
     * Whether the operator may write its output over the memory of {@code value}, its input number
     * {@code input}: the run reads the value for the last time here, nothing else (no other slot, no
     * view, no caller, no tape) holds its memory, and it lives on the host. A kernel that adds a
     * residual can then accumulate into it in place instead of streaming it into a fresh buffer.
     * False wherever that is not known (constant folding, training, tests' contexts).
     */
    default boolean mayOverwrite(int input, dev.sonnx.runtime.tensor.Tensor value) {
        return false;
    }
}
