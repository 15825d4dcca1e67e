package dev.sonnx.runtime.model;

import dev.sonnx.runtime.opt.Parameter;
import dev.sonnx.runtime.tensor.Tensor;
import java.util.List;

/**
 * A building block a {@link SonnxModel} subclass adds in code (SINGA's {@code layer} module): it owns
 * its parameters and runs the same operators imported graphs run, so its gradients, its export to
 * ONNX and its numerics are those of the operator. Parameters are created at the first call when
 * their size depends on the input (SINGA's lazy initialization).
 */
public abstract class Layer {
    private String name = getClass().getSimpleName().toLowerCase(java.util.Locale.ROOT);

    /** y = layer(x), recorded on the current tape when training. */
    public abstract Tensor forward(Tensor x);

    /** The layer's parameters with names relative to the layer ({@code W}, {@code b}...). */
    public abstract List<Parameter> parameters();

    /** Buffers that are state but not trained (BatchNorm2d's running statistics). */
    public List<Parameter> buffers() {
        return List.of();
    }

    public String name() {
        return name;
    }

    /** Set by the owning model from the field that holds the layer. */
    public void setName(String name) {
        this.name = name;
    }
}
