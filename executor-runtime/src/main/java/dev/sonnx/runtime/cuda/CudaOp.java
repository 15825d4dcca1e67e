package dev.sonnx.runtime.cuda;

import dev.sonnx.runtime.ops.BackwardContext;
import dev.sonnx.runtime.ops.HostFallback;
import dev.sonnx.runtime.ops.StandInOperator;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;

/**
 * An operator with a CUDA kernel, standing in for the CPU operator {@code cpu} of the same node.
 * Inputs that arrive on the host (feeds, results of host fallbacks) are copied to the device.
 */
abstract class CudaOp extends StandInOperator {
    protected final CudaDevice device;
    /** Runs the node on the host when a run brings what the kernel does not handle (another type...). */
    private final HostFallback fallback;

    CudaOp(Operator cpu, CudaDevice device) {
        super(cpu);
        this.device = device;
        this.fallback = new HostFallback(cpu, device);
    }

    /** The forward of the CPU operator on host copies, for inputs this kernel does not take. */
    protected final Value[] onHost(Value[] inputs, OpContext ctx) {
        return fallback.forward(inputs, ctx);
    }

    @Override
    public final Tensor[] backward(BackwardContext g) {
        if (HostFallback.ranForward(g.saved())) {
            return fallback.backward(g);
        }
        Tensor[] grads = new Tensor[g.inputCount()];
        Tensor gy = gradOutput(g, 0);
        if (gy != null) {
            deviceBackward(g, gy, grads);
        }
        return grads;
    }

    /**
     * Backward of a forward that ran on the device (every CUDA operator has one output): fills
     * {@code grads[i]} for the inputs whose gradient {@code g.needsGrad(i)} asks for, from the output's
     * gradient {@code gy}, on this device.
     */
    protected void deviceBackward(BackwardContext g, Tensor gy, Tensor[] grads) {
        throw new IllegalStateException(node.label() + " has no gradient");
    }

    /** Whether every input that is present is float32: the type the kernels take. */
    protected static boolean allFloat32(Value[] inputs, int count) {
        for (int i = 0; i < Math.min(count, inputs.length); i++) {
            if (inputs[i] != null && (!(inputs[i] instanceof Tensor t) || t.dtype() != DataType.FLOAT)) {
                return false;
            }
        }
        return true;
    }

    /** Input {@code i} on this device (null when omitted). */
    protected final Tensor onDevice(Value[] inputs, int i) {
        Tensor t = tensor(inputs, i);
        return t == null ? null : device.on(t);
    }

    /** Required input {@code i} on this device. */
    protected final Tensor requiredOnDevice(Value[] inputs, int i) {
        return device.on(required(inputs, i));
    }

    /** Forward input {@code i} of a backward call, on this device. */
    protected final Tensor input(BackwardContext g, int i) {
        Tensor t = g.input(i);
        return t == null ? null : device.on(t);
    }

    /** Gradient of output {@code i} on this device, or null when none reaches it. */
    protected final Tensor gradOutput(BackwardContext g, int i) {
        Tensor t = g.gradOutput(i);
        return t == null ? null : device.on(t);
    }

    protected final long address(Tensor t) {
        return CudaDevice.address(t);
    }
}
