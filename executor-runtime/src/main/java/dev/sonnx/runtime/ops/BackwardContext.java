package dev.sonnx.runtime.ops;

import dev.sonnx.runtime.tensor.Device;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;

/** The arguments of one {@link Operator#backward} call: the forward's values and the output gradients. */
public final class BackwardContext {
    private final Value[] inputs;
    private final Value[] outputs;
    private final Tensor[] gradOutputs;
    private final boolean[] needsGrad;
    private final Object saved;
    private final OpContext context;
    /** Per output: whether its gradient's memory is this call's to overwrite (null: none is). */
    private final boolean[] overwritableGradOutputs;

    public BackwardContext(Value[] inputs, Value[] outputs, Tensor[] gradOutputs, boolean[] needsGrad,
                           Object saved, OpContext context) {
        this(inputs, outputs, gradOutputs, needsGrad, saved, context, null);
    }

    /**
     * The same, where the backward sweep hands over some output gradients' memory: {@code
     * overwritableGradOutputs[i]} says that nothing reads gradient {@code i} after this call.
     */
    public BackwardContext(Value[] inputs, Value[] outputs, Tensor[] gradOutputs, boolean[] needsGrad,
                           Object saved, OpContext context, boolean[] overwritableGradOutputs) {
        this.inputs = inputs;
        this.outputs = outputs;
        this.gradOutputs = gradOutputs;
        this.needsGrad = needsGrad;
        this.saved = saved;
        this.context = context;
        this.overwritableGradOutputs = overwritableGradOutputs;
    }

    /**
     * Whether backward may write an input's gradient over output {@code i}'s gradient (same shape and
     * type): the sweep made it, nothing else holds its memory, and nothing reads it after this call.
     * An elementwise gradient written in place streams a third less memory (Clip's backward on
     * mobilenetv2: 25% less time). oneDNN's in-place batch normalization backward measured slower
     * than its out-of-place one, so BatchNormalization does not ask.
     */
    public boolean mayOverwriteGradOutput(int i) {
        return overwritableGradOutputs != null && i < overwritableGradOutputs.length && overwritableGradOutputs[i];
    }

    /** Forward input {@code i} (null when omitted). */
    public Tensor input(int i) {
        return i < inputs.length && inputs[i] != null ? inputs[i].asTensor() : null;
    }

    public int inputCount() {
        return inputs.length;
    }

    /** Forward output {@code i}. */
    public Tensor output(int i) {
        return i < outputs.length && outputs[i] != null ? outputs[i].asTensor() : null;
    }

    /** Gradient of the loss with respect to output {@code i}; null when no gradient reaches it (zero). */
    public Tensor gradOutput(int i) {
        return i < gradOutputs.length ? gradOutputs[i] : null;
    }

    /** Whether input {@code i}'s gradient is wanted (a parameter or something upstream of one). */
    public boolean needsGrad(int i) {
        return i < needsGrad.length && needsGrad[i];
    }

    /** What forward passed to {@link OpContext#saveForBackward}, or null. */
    public Object saved() {
        return saved;
    }

    public Device device() {
        return context.device();
    }

    public OpContext context() {
        return context;
    }
}
