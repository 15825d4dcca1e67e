package dev.sonnx.runtime.cuda;

import static org.bytedeco.cuda.global.cudnn.CUDNN_BATCHNORM_SPATIAL;
import static org.bytedeco.cuda.global.cudnn.CUDNN_BN_MIN_EPSILON;
import static org.bytedeco.cuda.global.cudnn.cudnnBatchNormalizationBackward;
import static org.bytedeco.cuda.global.cudnn.cudnnBatchNormalizationForwardTraining;

import dev.sonnx.runtime.ops.BackwardContext;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Shapes;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.bytedeco.cuda.cudnn.cudnnTensorStruct;

/**
 * BatchNormalization (inference form, one output Y) on float32, as the CPU operator computes it:
 * outside training runs with the running statistics ({@code batchnorm_inference_f32}); in a sonnx
 * training run ({@link OpContext#training()}) with the batch's statistics through
 * cudnnBatchNormalizationForwardTraining, which also blends the running statistics (momentum *
 * running + (1 - momentum) * batch, unbiased batch variance) into copies that replace the model's
 * through {@link OpContext#assignState}. Declined at placement: the training form (training_mode 1,
 * or before opset 14 any output beyond Y) and per-activation statistics (spatial = 0 before opset 9).
 */
final class CudaBatchNorm extends CudaOp {
    private final float epsilon;
    private final float momentum;
    private final Map<Layout, Descriptors> descriptors = new ConcurrentHashMap<>();

    /** X as N x C x S (S the product of the spatial dimensions). */
    private record Layout(int n, int c, int s) {
    }

    /** X (and Y, dY, dX) as [N, C, S, 1]; the per-channel vectors as [1, C, 1, 1]. */
    private record Descriptors(cudnnTensorStruct x, cudnnTensorStruct channel) {
    }

    /** Backward after batch statistics: cuDNN's saved mean and inverse standard deviation. */
    private record BatchSaved(Tensor mean, Tensor invStd) {
    }

    /** Backward after the running statistics (constants of the batch). */
    private static final Object RUNNING = new Object();

    private CudaBatchNorm(Operator cpu, CudaDevice device) {
        super(cpu, device);
        var at = cpu.node().attributes();
        this.epsilon = at.getFloat("epsilon", 1e-5f);
        this.momentum = at.getFloat("momentum", 0.9f);
    }

    static Operator create(Operator cpu, CudaDevice device) {
        var node = cpu.node();
        var at = node.attributes();
        int version = node.opsetVersion();
        if (version < 9 && at.getLong("spatial", 1) == 0) {
            return null;
        }
        if (version >= 14) {
            if (at.getLong("training_mode", 0) != 0) {
                return null;
            }
        } else {
            for (int i = 1; i < node.outputCount(); i++) {
                if (node.hasOutput(i)) {
                    return null;
                }
            }
        }
        return new CudaBatchNorm(cpu, device);
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        if (inputs.length < 5 || !allFloat32(inputs, 5)) {
            return onHost(inputs, ctx);
        }
        for (int i = 0; i < 5; i++) {
            if (inputs[i] == null) {
                return onHost(inputs, ctx);
            }
        }
        Tensor xIn = required(inputs, 0);
        Layout l = layout(xIn);
        if (l == null || !vectors(inputs, l.c)) {
            return onHost(inputs, ctx);   // the CPU operator reports bad shapes in its own words
        }
        boolean batch = ctx.training();
        // cuDNN refuses a smaller epsilon; the CPU refuses training on one value per channel
        if (batch && (epsilon < CUDNN_BN_MIN_EPSILON || (long) l.n * l.s < 2)) {
            return onHost(inputs, ctx);
        }
        Tensor x = device.on(xIn);
        Tensor scale = requiredOnDevice(inputs, 1);
        Tensor bias = requiredOnDevice(inputs, 2);
        Tensor y = device.uninitialized(DataType.FLOAT, x.shape());
        if (!batch) {
            normalize(x, y, scale, bias, requiredOnDevice(inputs, 3), requiredOnDevice(inputs, 4), l);
            if (ctx.recording()) {
                ctx.saveForBackward(RUNNING);
            }
            return outputs(y);
        }
        Tensor meanState = required(inputs, 3);
        Tensor varState = required(inputs, 4);
        // cuDNN blends into its running arguments in place. The model's statistics on this device are
        // blended where they are, which is what assignState would do with a copy (four copies fewer per
        // node and step); statistics elsewhere go through copies and assignState.
        boolean inPlace = onThisDevice(meanState) && onThisDevice(varState);
        Tensor runMean = inPlace ? meanState : device.uninitialized(DataType.FLOAT, new int[] {l.c});
        Tensor runVar = inPlace ? varState : device.uninitialized(DataType.FLOAT, new int[] {l.c});
        if (!inPlace) {
            device.copy(meanState, runMean);
            device.copy(varState, runVar);
        }
        Tensor saveMean = device.uninitialized(DataType.FLOAT, new int[] {l.c});
        Tensor saveInvStd = device.uninitialized(DataType.FLOAT, new int[] {l.c});
        Descriptors d = descriptors(l);
        Cuda.checkCudnn(cudnnBatchNormalizationForwardTraining(device.cudnn(), CUDNN_BATCHNORM_SPATIAL, device.one,
                device.zero, d.x, ptr(x), d.x, ptr(y), d.channel, ptr(scale), ptr(bias), 1.0 - momentum,
                ptr(runMean), ptr(runVar), epsilon, ptr(saveMean), ptr(saveInvStd)),
                "cudnnBatchNormalizationForwardTraining");
        if (!inPlace) {
            ctx.assignState(meanState, runMean.reshape(meanState.shape()));
            ctx.assignState(varState, runVar.reshape(varState.shape()));
        }
        if (ctx.recording()) {
            ctx.saveForBackward(new BatchSaved(saveMean, saveInvStd));
        }
        return outputs(y);
    }

    private boolean onThisDevice(Tensor t) {
        return !t.isHost() && t.device() == device && t.dtype() == DataType.FLOAT;
    }

    /** N x C x S as the CPU operator sees X (a 1-D X is one channel); null for a scalar or an empty X. */
    private static Layout layout(Tensor x) {
        if (x.rank() == 0 || x.size() == 0) {
            return null;
        }
        int c = x.rank() >= 2 ? x.dim(1) : 1;
        return new Layout(x.dim(0), c, Shapes.product(x.shape(), Math.min(2, x.rank()), x.rank()));
    }

    /** Whether inputs 1..4 each hold {@code c} values. */
    private static boolean vectors(Value[] inputs, int c) {
        for (int i = 1; i < 5; i++) {
            if (tensor(inputs, i).size() != c) {
                return false;
            }
        }
        return true;
    }

    private Descriptors descriptors(Layout l) {
        return descriptors.computeIfAbsent(l, k -> new Descriptors(Cudnn.tensor(new int[] {k.n, k.c, k.s, 1}),
                Cudnn.tensor(new int[] {1, k.c, 1, 1})));
    }

    /** y = (x - mean[c]) * scale[c] / sqrt(var[c] + epsilon) + bias[c]. */
    private void normalize(Tensor x, Tensor y, Tensor scale, Tensor bias, Tensor mean, Tensor var, Layout l) {
        long n = x.size();
        CudaKernels k = device.kernels();
        k.launch("batchnorm_inference_f32", n, k.args().ptr(address(x)).ptr(address(y)).ptr(address(scale))
                .ptr(address(bias)).ptr(address(mean)).ptr(address(var)).f32(epsilon).i64(n).i64(l.c).i64(l.s));
    }

    /**
     * Batch statistics: cudnnBatchNormalizationBackward with what the forward saved. Running statistics
     * (constants of the batch): dX = dY * scale * invStd, d scale = sum dY * xhat, dB = sum dY.
     */
    @Override
    protected void deviceBackward(BackwardContext g, Tensor gy, Tensor[] r) {
        Tensor x = input(g, 0);
        Tensor scale = input(g, 1);
        Layout l = layout(x);
        if (g.saved() instanceof BatchSaved s) {
            Tensor dx = device.uninitialized(DataType.FLOAT, x.shape());
            Tensor dScale = device.uninitialized(DataType.FLOAT, new int[] {l.c});
            Tensor dBias = device.uninitialized(DataType.FLOAT, new int[] {l.c});
            Descriptors d = descriptors(l);
            Cuda.checkCudnn(cudnnBatchNormalizationBackward(device.cudnn(), CUDNN_BATCHNORM_SPATIAL, device.one,
                    device.zero, device.one, device.zero, d.x, ptr(x), d.x, ptr(gy), d.x, ptr(dx), d.channel,
                    ptr(scale), ptr(dScale), ptr(dBias), epsilon, ptr(s.mean), ptr(s.invStd)),
                    "cudnnBatchNormalizationBackward");
            r[0] = g.needsGrad(0) ? dx : null;
            r[1] = g.needsGrad(1) ? dScale.reshape(scale.shape()) : null;
            r[2] = g.needsGrad(2) ? dBias.reshape(g.input(2).shape()) : null;
            return;
        }
        Tensor mean = input(g, 3);
        Tensor var = input(g, 4);
        Tensor zeros = device.allocate(DataType.FLOAT, new int[] {l.c});
        if (g.needsGrad(0)) {
            // dY normalized with mean 0 and bias 0 is dY * scale * invStd
            Tensor dx = device.uninitialized(DataType.FLOAT, x.shape());
            normalize(gy, dx, scale, zeros, zeros, var, l);
            r[0] = dx;
        }
        int[] ncs = {l.n, l.c, l.s};
        boolean[] perChannel = {true, false, true};
        if (g.needsGrad(1)) {
            Tensor ones = device.uninitialized(DataType.FLOAT, new int[] {l.c});
            CudaFill.fill(device, ones, 1f);
            Tensor xhat = device.uninitialized(DataType.FLOAT, x.shape());
            normalize(x, xhat, ones, zeros, mean, var, l);
            Tensor prod = CudaBinary.apply(device, CudaBinary.Op.MUL, gy, xhat);
            r[1] = CudaReduce.reduce(device, CudaReduce.Op.SUM, prod.reshape(ncs), perChannel, 1f, scale.shape());
        }
        if (g.needsGrad(2)) {
            r[2] = CudaReduce.reduce(device, CudaReduce.Op.SUM, gy.reshape(ncs), perChannel, 1f,
                    g.input(2).shape());
        }
    }

    private static DevicePointer ptr(Tensor t) {
        return new DevicePointer(CudaDevice.address(t));
    }
}
