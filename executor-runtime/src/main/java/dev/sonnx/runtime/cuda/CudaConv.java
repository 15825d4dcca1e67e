package dev.sonnx.runtime.cuda;

import static org.bytedeco.cuda.global.cudnn.CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT;
import static org.bytedeco.cuda.global.cudnn.CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT;
import static org.bytedeco.cuda.global.cudnn.CUDNN_CONVOLUTION_FWD_ALGO_COUNT;
import static org.bytedeco.cuda.global.cudnn.CUDNN_CROSS_CORRELATION;
import static org.bytedeco.cuda.global.cudnn.CUDNN_DATA_FLOAT;
import static org.bytedeco.cuda.global.cudnn.CUDNN_DATA_HALF;
import static org.bytedeco.cuda.global.cudnn.CUDNN_FMA_MATH;
import static org.bytedeco.cuda.global.cudnn.CUDNN_TENSOR_OP_MATH;
import static org.bytedeco.cuda.global.cudnn.CUDNN_STATUS_SUCCESS;
import static org.bytedeco.cuda.global.cudnn.CUDNN_ACTIVATION_RELU;
import static org.bytedeco.cuda.global.cudnn.CUDNN_PROPAGATE_NAN;
import static org.bytedeco.cuda.global.cudnn.CUDNN_STATUS_NOT_SUPPORTED;
import static org.bytedeco.cuda.global.cudnn.cudnnAddTensor;
import static org.bytedeco.cuda.global.cudnn.cudnnConvolutionBiasActivationForward;
import static org.bytedeco.cuda.global.cudnn.cudnnCreateActivationDescriptor;
import static org.bytedeco.cuda.global.cudnn.cudnnSetActivationDescriptor;
import static org.bytedeco.cuda.global.cudnn.cudnnConvolutionBackwardData;
import static org.bytedeco.cuda.global.cudnn.cudnnConvolutionBackwardFilter;
import static org.bytedeco.cuda.global.cudnn.cudnnConvolutionForward;
import static org.bytedeco.cuda.global.cudnn.cudnnCreateConvolutionDescriptor;
import static org.bytedeco.cuda.global.cudnn.cudnnFindConvolutionBackwardDataAlgorithm;
import static org.bytedeco.cuda.global.cudnn.cudnnFindConvolutionBackwardFilterAlgorithm;
import static org.bytedeco.cuda.global.cudnn.cudnnFindConvolutionForwardAlgorithm;
import static org.bytedeco.cuda.global.cudnn.cudnnGetConvolutionBackwardDataAlgorithm_v7;
import static org.bytedeco.cuda.global.cudnn.cudnnGetConvolutionBackwardFilterAlgorithm_v7;
import static org.bytedeco.cuda.global.cudnn.cudnnGetConvolutionForwardAlgorithm_v7;
import static org.bytedeco.cuda.global.cudnn.cudnnSetConvolutionGroupCount;
import static org.bytedeco.cuda.global.cudnn.cudnnSetConvolutionMathType;
import static org.bytedeco.cuda.global.cudnn.cudnnSetConvolutionNdDescriptor;

import dev.sonnx.runtime.ops.BackwardContext;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.ops.conv.ConvShapes;
import dev.sonnx.runtime.ops.conv.FusedActivation;
import dev.sonnx.runtime.ops.conv.FusedConv;
import dev.sonnx.runtime.ops.conv.SpatialAttributes;
import dev.sonnx.runtime.ops.conv.Window;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.bytedeco.cuda.cudnn.cudnnActivationStruct;
import org.bytedeco.cuda.cudnn.cudnnConvolutionBwdDataAlgoPerf_t;
import org.bytedeco.cuda.cudnn.cudnnConvolutionBwdFilterAlgoPerf_t;
import org.bytedeco.cuda.cudnn.cudnnConvolutionFwdAlgoPerf_t;
import org.bytedeco.cuda.cudnn.cudnnConvolutionStruct;
import org.bytedeco.cuda.cudnn.cudnnFilterStruct;
import org.bytedeco.cuda.cudnn.cudnnTensorStruct;

/**
 * ONNX Conv on float32 through cuDNN: 1-D (as 2-D with a unit axis), 2-D and 3-D images, groups,
 * strides, dilations and symmetric padding (explicit, or auto_pad whose total padding is even), with
 * the optional bias added by cudnnAddTensor. Math stays float32 (CUDNN_FMA_MATH: no TF32). Other
 * types and shapes the descriptors cannot express run on the host at run time; asymmetric explicit
 * pads are declined at placement.
 */
final class CudaConv extends CudaOp {
    /**
     * Whether algorithms are chosen by timing each candidate once per shape (cudnnFind*, what
     * PyTorch's cudnn.benchmark does) rather than by cuDNN's heuristics: a few milliseconds per
     * new shape for the fastest kernels after. {@code -Dsonnx.cudnn.benchmark=false} turns it off.
     */
    private static final boolean BENCHMARK = !"false".equals(System.getProperty("sonnx.cudnn.benchmark"));

    private final SpatialAttributes spatial;
    private final int group;
    /** Plans per (X shape, W shape): descriptors and algorithms, made once. */
    private final Map<List<Integer>, Plan> plans = new ConcurrentHashMap<>();

    /** What a dev.sonnx.FusedConv does after the convolution; null for a plain Conv. */
    private final FusedActivation activation;
    /** FusedConv's input 3: the residual Z added before the activation. */
    private final boolean residual;
    /** cuDNN's Relu, for the fused call; null unless the activation is Relu. */
    private final cudnnActivationStruct relu;
    /** Set once cuDNN refuses the fused call for a geometry's algorithm: the separate calls run after. */
    private final Map<List<Integer>, Boolean> fusedRefused = new ConcurrentHashMap<>();

    private CudaConv(Operator cpu, CudaDevice device, FusedActivation activation, boolean residual) {
        super(cpu, device);
        this.spatial = new SpatialAttributes(cpu.node().attributes(), true, false);
        this.group = cpu.node().attributes().getInt("group", 1);
        this.activation = activation;
        this.residual = residual;
        if (activation != null && activation.kind() == FusedActivation.Kind.RELU) {
            relu = new cudnnActivationStruct();
            Cuda.checkCudnn(cudnnCreateActivationDescriptor(relu), "cudnnCreateActivationDescriptor");
            Cuda.checkCudnn(cudnnSetActivationDescriptor(relu, CUDNN_ACTIVATION_RELU, CUDNN_PROPAGATE_NAN, 0.0),
                    "cudnnSetActivationDescriptor");
        } else {
            relu = null;
        }
    }

    private CudaConv(Operator cpu, CudaDevice device) {
        this(cpu, device, null, false);
    }

    /**
     * dev.sonnx.FusedConv, which the inference rewrites make of Conv [-> Add] [-> activation]:
     * Conv + bias + residual + Relu in one cudnnConvolutionBiasActivationForward, the other
     * activations as a kernel after the convolution. The channels-last form is the CPU's.
     */
    static Operator createFused(Operator cpu, CudaDevice device) {
        var at = cpu.node().attributes();
        if (at.getLong(FusedConv.CHANNELS_LAST, 0) != 0 || !Cudnn.symmetricPads(at.getInts("pads", null))
                || at.getInt("group", 1) < 1) {
            return null;
        }
        FusedActivation act = FusedActivation.of(at.getString(FusedConv.ACTIVATION, ""),
                at.getFloats(FusedConv.ACTIVATION_PARAMS, new float[0]));
        return new CudaConv(cpu, device, act, cpu.node().hasInput(3));
    }


    static Operator create(Operator cpu, CudaDevice device) {
        var at = cpu.node().attributes();
        if (!Cudnn.symmetricPads(at.getInts("pads", null))) {
            return null;   // cuDNN pads both sides of an axis alike
        }
        // FusedConv and the channels-last forms are inference rewrites with their own operators
        if (!cpu.node().opType().equals("Conv") || at.getInt("group", 1) < 1) {
            return null;
        }
        return new CudaConv(cpu, device);
    }

    /** The cuDNN view of one geometry. */
    /**
     * The cuDNN view of one geometry. {@code half}: x, w and y are float16 (mixed precision) and
     * {@code yFloat} describes the float32 result they are copied back to; else both are float32.
     */
    private record Plan(boolean half, cudnnTensorStruct x, cudnnFilterStruct w, cudnnTensorStruct y,
                        cudnnTensorStruct yFloat, cudnnTensorStruct bias,
                        cudnnConvolutionStruct conv, int[] yShape, int fwdAlgo, long fwdBytes, int dataAlgo,
                        long dataBytes, int filterAlgo, long filterBytes) {
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        if (!allFloat32(inputs, activation == null ? 3 : 4) || inputs.length < 2 || inputs[0] == null
                || inputs[1] == null) {
            return onHost(inputs, ctx);
        }
        Tensor xIn = required(inputs, 0);
        Tensor wIn = required(inputs, 1);
        Tensor bIn = tensor(inputs, 2);
        device.bind();   // the algorithm heuristics of a new plan use the handle: this thread needs the device
        Plan plan = valid(xIn, wIn, bIn) ? plan(xIn.shape(), wIn.shape(), device.mixedPrecision()) : null;
        if (plan == null) {
            return onHost(inputs, ctx);   // the CPU operator reports bad shapes in its own words
        }
        Tensor x = device.on(xIn);
        Tensor w = device.on(wIn);
        Tensor ws = Cudnn.workspace(device, plan.fwdBytes);
        Tensor z = residual ? tensor(inputs, 3) : null;
        if (relu != null && !plan.half && (z == null || Arrays.equals(z.shape(), plan.yShape))) {
            Tensor y = device.uninitialized(DataType.FLOAT, plan.yShape);
            if (fused(plan, x, w, bIn, z, y, ws)) {
                return outputs(y);
            }
        }
        Tensor xc = plan.half ? CudaHalf.toHalf(device, x) : x;
        Tensor wc = plan.half ? CudaHalf.toHalf(device, w) : w;
        Tensor yc = device.uninitialized(plan.half ? DataType.FLOAT16 : DataType.FLOAT, plan.yShape);
        Cuda.checkCudnn(cudnnConvolutionForward(device.cudnn(), device.one, plan.x, ptr(xc), plan.w, ptr(wc), plan.conv,
                plan.fwdAlgo, Cudnn.pointer(ws), plan.fwdBytes, device.zero, plan.y, ptr(yc)), "cudnnConvolutionForward");
        Tensor y = plan.half ? CudaHalf.toFloat(device, yc) : yc;
        if (bIn != null) {
            Tensor b = device.on(bIn);
            Cuda.checkCudnn(cudnnAddTensor(device.cudnn(), device.one, plan.bias, ptr(b), device.one, plan.yFloat,
                    ptr(y)), "cudnnAddTensor (Conv bias)");
        }
        return outputs(activation == null ? y : epilogue(plan, y, z));
    }

    /**
     * act(conv + b + z) in one cuDNN call, into {@code y}; false when cuDNN does not offer it for the
     * plan's algorithm (then never tried again for that geometry). Without a residual, z is y itself
     * with weight 0, which cuDNN does not read (as PyTorch's fused convolutions call it).
     */
    private boolean fused(Plan plan, Tensor x, Tensor w, Tensor bIn, Tensor zIn, Tensor y, Tensor ws) {
        List<Integer> key = key(x.shape(), w.shape());
        if (fusedRefused.containsKey(key)) {
            return false;
        }
        Tensor b = bIn != null ? device.on(bIn) : device.allocate(DataType.FLOAT, new int[] {plan.yShape[1]});
        Tensor z = zIn == null ? y : device.on(zIn);
        int rc = cudnnConvolutionBiasActivationForward(device.cudnn(), device.one, plan.x, ptr(x), plan.w, ptr(w),
                plan.conv, plan.fwdAlgo, Cudnn.pointer(ws), plan.fwdBytes, zIn == null ? device.zero : device.one,
                plan.y, ptr(z), plan.bias, ptr(b), relu, plan.y, ptr(y));
        if (rc == CUDNN_STATUS_NOT_SUPPORTED) {
            fusedRefused.put(key, true);
            return false;
        }
        Cuda.checkCudnn(rc, "cudnnConvolutionBiasActivationForward");
        return true;
    }

    /** The separate steps of a FusedConv after convolution and bias: + Z (broadcast), then the activation. */
    private Tensor epilogue(Plan plan, Tensor y, Tensor zIn) {
        Tensor out = y;
        if (zIn != null) {
            Tensor z = device.on(zIn);
            if (Arrays.equals(z.shape(), plan.yShape)) {
                Cuda.checkCudnn(cudnnAddTensor(device.cudnn(), device.one, plan.yFloat, ptr(z), device.one, plan.yFloat,
                        ptr(y)), "cudnnAddTensor (FusedConv residual)");
            } else {
                out = CudaBinary.apply(device, CudaBinary.Op.ADD, y, z);
                if (out == null) {
                    throw new IllegalArgumentException("residual " + z.describe() + " broadcasts over more axes than the"
                            + " kernels take");
                }
            }
        }
        float a = activation.alpha();
        float b = activation.beta();
        return switch (activation.kind()) {
            case NONE -> out;
            case RELU -> CudaUnary.apply(device, CudaUnary.Op.RELU, out, 0f, 0f);
            case CLIP -> CudaUnary.apply(device, CudaUnary.Op.CLIP, out, a, b);
            case LEAKY_RELU -> CudaUnary.apply(device, CudaUnary.Op.LEAKY_RELU, out, a, 0f);
            case HARD_SIGMOID -> CudaUnary.apply(device, CudaUnary.Op.HARD_SIGMOID, out, a, b);
            case HARD_SWISH -> CudaUnary.apply(device, CudaUnary.Op.HARD_SWISH, out, 0f, 0f);
            case SIGMOID -> CudaUnary.apply(device, CudaUnary.Op.SIGMOID, out, 0f, 0f);
            case SILU -> CudaBinary.apply(device, CudaBinary.Op.MUL, out,
                    CudaUnary.apply(device, CudaUnary.Op.SIGMOID, out, 0f, 0f));
        };
    }

    /** Whether the shapes are ones the kernel takes (else the host runs, and checks, them). */
    private boolean valid(Tensor x, Tensor w, Tensor b) {
        int rank = x.rank();
        if (rank < 3 || rank > 5 || w.rank() != rank || x.size() == 0 || w.size() == 0) {
            return false;
        }
        int c = x.dim(1);
        int m = w.dim(0);
        if ((long) w.dim(1) * group != c || m % group != 0) {
            return false;
        }
        int[] ks = spatial.kernelShape();
        if (ks != null && !Arrays.equals(ks, ConvShapes.spatial(w.shape()))) {
            return false;
        }
        return b == null || b.rank() == 1 && b.dim(0) == m;
    }

    /** The plan for these shapes, or null where the window needs padding cuDNN cannot express. */
    private Plan plan(int[] xs, int[] wsh, boolean half) {
        List<Integer> key = key(xs, wsh, half);
        Plan p = plans.get(key);
        if (p == null && !plans.containsKey(key)) {
            p = makePlan(xs, wsh, half);
            if (p != null) {
                plans.putIfAbsent(key, p);
            }
        }
        return p;
    }

    private static List<Integer> key(int[] xs, int[] ws) {
        return key(xs, ws, false);
    }

    private static List<Integer> key(int[] xs, int[] ws, boolean half) {
        Integer[] k = new Integer[xs.length + ws.length + 1];
        k[xs.length + ws.length] = half ? 1 : 0;
        for (int i = 0; i < xs.length; i++) {
            k[i] = xs[i];
        }
        for (int i = 0; i < ws.length; i++) {
            k[xs.length + i] = ws[i];
        }
        return List.of(k);
    }

    private Plan makePlan(int[] xs, int[] wsh, boolean half) {
        int[] image = ConvShapes.spatial(xs);
        int[] kernel = ConvShapes.spatial(wsh);
        Window win;
        try {
            win = spatial.window(image, kernel);
        } catch (IllegalArgumentException e) {
            return null;
        }
        int r = image.length;
        int[] begin = win.padBegin();
        int[] end = win.padEnd();
        if (!Arrays.equals(begin, end) || win.positionCount() == 0) {
            return null;   // SAME padding with an odd total: one side gets more
        }
        // 1-D as 2-D: a trailing unit axis with no padding, stride or dilation
        int nd = Math.max(2, r);
        int[] pad = new int[nd];
        int[] stride = new int[nd];
        int[] dil = new int[nd];
        Arrays.fill(stride, 1);
        Arrays.fill(dil, 1);
        System.arraycopy(begin, 0, pad, 0, r);
        System.arraycopy(win.strides(), 0, stride, 0, r);
        System.arraycopy(win.dilations(), 0, dil, 0, r);
        int[] positions = win.positions();
        for (int i = 0; i < r; i++) {
            // cuDNN's output size is the floor formula over symmetric pads; it must agree with the window's
            int extent = (kernel[i] - 1) * dil[i] + 1;
            if ((image[i] + 2 * pad[i] - extent) / stride[i] + 1 != positions[i]) {
                return null;
            }
        }
        int[] yShape = ConvShapes.withBatchAndChannels(xs[0], wsh[0], win.positions());
        cudnnConvolutionStruct conv = new cudnnConvolutionStruct();
        Cuda.checkCudnn(cudnnCreateConvolutionDescriptor(conv), "cudnnCreateConvolutionDescriptor");
        Cuda.checkCudnn(cudnnSetConvolutionNdDescriptor(conv, nd, pad, stride, dil, CUDNN_CROSS_CORRELATION,
                CUDNN_DATA_FLOAT), "cudnnSetConvolutionNdDescriptor");
        Cuda.checkCudnn(cudnnSetConvolutionGroupCount(conv, group), "cudnnSetConvolutionGroupCount");
        // float32: plain FMA, no TF32 tensor-core rounding; mixed precision: float16 operands on tensor
        // cores, accumulated in float32 (the convolution's compute type above)
        Cuda.checkCudnn(cudnnSetConvolutionMathType(conv, half ? CUDNN_TENSOR_OP_MATH : CUDNN_FMA_MATH),
                "cudnnSetConvolutionMathType");
        int type = half ? CUDNN_DATA_HALF : CUDNN_DATA_FLOAT;
        cudnnTensorStruct xd = Cudnn.tensor(xs, type);
        cudnnFilterStruct wd = Cudnn.filter(Cudnn.atLeast4(wsh), type);
        cudnnTensorStruct yd = Cudnn.tensor(yShape, type);
        cudnnTensorStruct yf = half ? Cudnn.tensor(yShape) : yd;
        int[] biasShape = new int[Math.max(4, xs.length)];
        Arrays.fill(biasShape, 1);
        biasShape[1] = wsh[0];
        cudnnTensorStruct bd = Cudnn.tensor(biasShape);

        long[] fwd = forwardAlgo(xd, wd, conv, yd);
        long[] data = dataAlgo(wd, yd, conv, xd);
        long[] filter = filterAlgo(xd, yd, conv, wd);
        return new Plan(half, xd, wd, yd, yf, bd, conv, yShape, (int) fwd[0], fwd[1], (int) data[0], data[1], (int) filter[0],
                filter[1]);
    }

    /** {algo, workspace bytes}: the heuristics' first successful choice whose workspace fits. */
    private long[] forwardAlgo(cudnnTensorStruct x, cudnnFilterStruct w, cudnnConvolutionStruct conv,
                               cudnnTensorStruct y) {
        int[] count = new int[1];
        try (cudnnConvolutionFwdAlgoPerf_t perf = new cudnnConvolutionFwdAlgoPerf_t(CUDNN_CONVOLUTION_FWD_ALGO_COUNT)) {
            Cuda.checkCudnn(BENCHMARK
                    ? cudnnFindConvolutionForwardAlgorithm(device.cudnn(), x, w, conv, y,
                            CUDNN_CONVOLUTION_FWD_ALGO_COUNT, count, perf)
                    : cudnnGetConvolutionForwardAlgorithm_v7(device.cudnn(), x, w, conv, y,
                            CUDNN_CONVOLUTION_FWD_ALGO_COUNT, count, perf), "choosing a forward convolution algorithm");
            for (int i = 0; i < count[0]; i++) {
                cudnnConvolutionFwdAlgoPerf_t p = perf.getPointer(i);
                if (p.status() == CUDNN_STATUS_SUCCESS && p.memory() <= Cudnn.WORKSPACE_LIMIT) {
                    return new long[] {p.algo(), p.memory()};
                }
            }
        }
        throw new CudaException(node.label() + ": cuDNN offers no forward convolution algorithm");
    }

    private long[] dataAlgo(cudnnFilterStruct w, cudnnTensorStruct dy, cudnnConvolutionStruct conv,
                            cudnnTensorStruct dx) {
        int[] count = new int[1];
        try (cudnnConvolutionBwdDataAlgoPerf_t perf =
                     new cudnnConvolutionBwdDataAlgoPerf_t(CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT)) {
            Cuda.checkCudnn(BENCHMARK
                    ? cudnnFindConvolutionBackwardDataAlgorithm(device.cudnn(), w, dy, conv, dx,
                            CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT, count, perf)
                    : cudnnGetConvolutionBackwardDataAlgorithm_v7(device.cudnn(), w, dy, conv, dx,
                            CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT, count, perf),
                    "choosing a backward-data convolution algorithm");
            for (int i = 0; i < count[0]; i++) {
                cudnnConvolutionBwdDataAlgoPerf_t p = perf.getPointer(i);
                if (p.status() == CUDNN_STATUS_SUCCESS && p.memory() <= Cudnn.WORKSPACE_LIMIT) {
                    return new long[] {p.algo(), p.memory()};
                }
            }
        }
        throw new CudaException(node.label() + ": cuDNN offers no backward-data convolution algorithm");
    }

    private long[] filterAlgo(cudnnTensorStruct x, cudnnTensorStruct dy, cudnnConvolutionStruct conv,
                              cudnnFilterStruct dw) {
        int[] count = new int[1];
        try (cudnnConvolutionBwdFilterAlgoPerf_t perf =
                     new cudnnConvolutionBwdFilterAlgoPerf_t(CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT)) {
            Cuda.checkCudnn(BENCHMARK
                    ? cudnnFindConvolutionBackwardFilterAlgorithm(device.cudnn(), x, dy, conv, dw,
                            CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT, count, perf)
                    : cudnnGetConvolutionBackwardFilterAlgorithm_v7(device.cudnn(), x, dy, conv, dw,
                            CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT, count, perf),
                    "choosing a backward-filter convolution algorithm");
            for (int i = 0; i < count[0]; i++) {
                cudnnConvolutionBwdFilterAlgoPerf_t p = perf.getPointer(i);
                if (p.status() == CUDNN_STATUS_SUCCESS && p.memory() <= Cudnn.WORKSPACE_LIMIT) {
                    return new long[] {p.algo(), p.memory()};
                }
            }
        }
        throw new CudaException(node.label() + ": cuDNN offers no backward-filter convolution algorithm");
    }

    /** dX by cudnnConvolutionBackwardData, dW by BackwardFilter, dB as dY summed over N and the positions. */
    @Override
    protected void deviceBackward(BackwardContext g, Tensor gy, Tensor[] r) {
        if (activation != null) {
            throw new IllegalStateException(node.label() + ": FusedConv is an inference rewrite; it has no gradient");
        }
        Tensor x = input(g, 0);
        Tensor w = input(g, 1);
        Plan plan = plan(x.shape(), w.shape(), device.mixedPrecision());
        DataType type = plan.half ? DataType.FLOAT16 : DataType.FLOAT;
        Tensor gyc = plan.half ? CudaHalf.toHalf(device, gy) : gy;
        if (g.needsGrad(0)) {
            Tensor wc = plan.half ? CudaHalf.toHalf(device, w) : w;
            Tensor dx = device.uninitialized(type, x.shape());
            Tensor ws = Cudnn.workspace(device, plan.dataBytes);
            Cuda.checkCudnn(cudnnConvolutionBackwardData(device.cudnn(), device.one, plan.w, ptr(wc), plan.y, ptr(gyc),
                    plan.conv, plan.dataAlgo, Cudnn.pointer(ws), plan.dataBytes, device.zero, plan.x, ptr(dx)),
                    "cudnnConvolutionBackwardData");
            r[0] = plan.half ? CudaHalf.toFloat(device, dx) : dx;
        }
        if (g.needsGrad(1)) {
            Tensor xc = plan.half ? CudaHalf.toHalf(device, x) : x;
            Tensor dw = device.uninitialized(type, w.shape());
            Tensor ws = Cudnn.workspace(device, plan.filterBytes);
            Cuda.checkCudnn(cudnnConvolutionBackwardFilter(device.cudnn(), device.one, plan.x, ptr(xc), plan.y,
                    ptr(gyc), plan.conv, plan.filterAlgo, Cudnn.pointer(ws), plan.filterBytes, device.zero, plan.w,
                    ptr(dw)), "cudnnConvolutionBackwardFilter");
            // float32 gradients for the float32 weights (the master copy the optimizer updates)
            r[1] = plan.half ? CudaHalf.toFloat(device, dw) : dw;
        }
        if (g.input(2) != null && g.needsGrad(2)) {
            boolean[] reduced = new boolean[gy.rank()];
            Arrays.fill(reduced, true);
            reduced[1] = false;
            r[2] = CudaReduce.reduce(device, CudaReduce.Op.SUM, gy, reduced, 1f, new int[] {gy.dim(1)});
        }
    }

    private static DevicePointer ptr(Tensor t) {
        return new DevicePointer(CudaDevice.address(t));
    }
}
