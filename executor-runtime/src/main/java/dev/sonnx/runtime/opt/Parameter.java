package dev.sonnx.runtime.opt;

import dev.sonnx.runtime.tensor.Tensor;

/**
 * A trainable tensor and the name it carries in the ONNX file (or {@code field.W} for layers added in
 * code). Optimizers update {@link #value()} in place; frozen parameters take no update.
 */
public record Parameter(String name, Tensor value, boolean trainable) {
}
