package dev.sonnx.runtime.tensor;

/**
 * A value flowing along a graph edge: a {@link Tensor}, a {@link SequenceValue}, an
 * {@link OptionalValue} or a {@link MapValue}, as the ONNX type system allows.
 */
public interface Value {

    /** A short description for error messages, e.g. {@code float[2, 3]} or {@code seq<float>(4)}. */
    String describe();

    /** This value as a tensor, or an error naming what it is instead. */
    default Tensor asTensor() {
        throw new IllegalArgumentException("expected a tensor, got " + describe());
    }
}
