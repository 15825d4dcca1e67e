package dev.sonnx.runtime.autograd;

import dev.sonnx.runtime.ops.SyntheticNodes;
import dev.sonnx.runtime.tensor.Tensor;

/**
 * Recorded tensor functions for code between a model's graph and its loss (SINGA's {@code autograd}
 * functions). Use them rather than {@link Tensor#reshape}, which makes a view backward cannot see.
 */
public final class Functions {
    private Functions() {
    }

    /** {@code x} with shape {@code shape} (0 keeps a dimension, -1 infers one, as ONNX Reshape). */
    public static Tensor reshape(Tensor x, long... shape) {
        return Autograd.apply1(SyntheticNodes.node("Reshape", "reshape", 2, 1).build(), x,
                Tensor.of(shape, shape.length));
    }

    /** Elements {@code [start, end)} of {@code x} along {@code axis} (ONNX Slice). */
    public static Tensor slice(Tensor x, int axis, long start, long end) {
        return Autograd.apply1(SyntheticNodes.node("Slice", "slice", 4, 1).build(), x,
                Tensor.of(new long[] {start}, 1), Tensor.of(new long[] {end}, 1), Tensor.of(new long[] {axis}, 1));
    }

    /** a + b with broadcasting. */
    public static Tensor add(Tensor a, Tensor b) {
        return Autograd.apply1(SyntheticNodes.node("Add", "add", 2, 1).build(), a, b);
    }

    /** a * b with broadcasting. */
    public static Tensor mul(Tensor a, Tensor b) {
        return Autograd.apply1(SyntheticNodes.node("Mul", "mul", 2, 1).build(), a, b);
    }

    /** The matrix product with numpy semantics (ONNX MatMul). */
    public static Tensor matmul(Tensor a, Tensor b) {
        return Autograd.apply1(SyntheticNodes.node("MatMul", "matmul", 2, 1).build(), a, b);
    }
}
