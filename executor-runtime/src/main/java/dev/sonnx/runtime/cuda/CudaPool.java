package dev.sonnx.runtime.cuda;

import static org.bytedeco.cuda.global.cudnn.CUDNN_NOT_PROPAGATE_NAN;
import static org.bytedeco.cuda.global.cudnn.CUDNN_POOLING_AVERAGE_COUNT_EXCLUDE_PADDING;
import static org.bytedeco.cuda.global.cudnn.CUDNN_POOLING_AVERAGE_COUNT_INCLUDE_PADDING;
import static org.bytedeco.cuda.global.cudnn.CUDNN_POOLING_MAX_DETERMINISTIC;
import static org.bytedeco.cuda.global.cudnn.cudnnCreatePoolingDescriptor;
import static org.bytedeco.cuda.global.cudnn.cudnnPoolingBackward;
import static org.bytedeco.cuda.global.cudnn.cudnnPoolingForward;
import static org.bytedeco.cuda.global.cudnn.cudnnSetPoolingNdDescriptor;

import dev.sonnx.runtime.ops.BackwardContext;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.ops.conv.ConvShapes;
import dev.sonnx.runtime.ops.conv.SpatialAttributes;
import dev.sonnx.runtime.ops.conv.Window;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.bytedeco.cuda.cudnn.cudnnPoolingStruct;
import org.bytedeco.cuda.cudnn.cudnnTensorStruct;

/**
 * MaxPool (without the Indices output), AveragePool (count_include_pad 0 or 1), GlobalAveragePool and
 * GlobalMaxPool on float32 1-D (as 2-D with a unit axis), 2-D and 3-D images through cuDNN pooling; a
 * global pool is a window over the whole image. Declined at placement: dilations, asymmetric pads,
 * MaxPool's Indices. At run time the host takes other types and ranks, SAME padding with an odd
 * total, and ceil_mode where it changes the output size.
 */
final class CudaPool extends CudaOp {
    private final int mode;
    private final boolean global;
    /** Null for global pools. */
    private final SpatialAttributes spatial;
    private final Map<List<Integer>, Plan> plans = new ConcurrentHashMap<>();

    private record Plan(cudnnPoolingStruct pool, cudnnTensorStruct x, cudnnTensorStruct y, int[] yShape) {
    }

    private CudaPool(Operator cpu, CudaDevice device, int mode, boolean global, SpatialAttributes spatial) {
        super(cpu, device);
        this.mode = mode;
        this.global = global;
        this.spatial = spatial;
    }

    static Operator create(Operator cpu, CudaDevice device) {
        var node = cpu.node();
        var at = node.attributes();
        int version = node.opsetVersion();
        switch (node.opType()) {
            case "GlobalAveragePool":
                return new CudaPool(cpu, device, CUDNN_POOLING_AVERAGE_COUNT_INCLUDE_PADDING, true, null);
            case "GlobalMaxPool":
                return new CudaPool(cpu, device, CUDNN_POOLING_MAX_DETERMINISTIC, true, null);
            case "MaxPool": {
                if (version >= 8 && node.hasOutput(1) || !windowCovered(at, version >= 10)) {
                    return null;   // cuDNN gives no argmax in ONNX's terms
                }
                return new CudaPool(cpu, device, CUDNN_POOLING_MAX_DETERMINISTIC, false,
                        new SpatialAttributes(at, version >= 10, version >= 10));
            }
            case "AveragePool": {
                if (!windowCovered(at, version >= 19)) {
                    return null;
                }
                boolean include = version >= 7 && at.getInt("count_include_pad", 0) == 1;
                return new CudaPool(cpu, device, include ? CUDNN_POOLING_AVERAGE_COUNT_INCLUDE_PADDING
                        : CUDNN_POOLING_AVERAGE_COUNT_EXCLUDE_PADDING, false,
                        new SpatialAttributes(at, version >= 19, version >= 10));
            }
            default:
                return null;
        }
    }

    /** No dilation and pads alike on both sides of every axis: what cuDNN pooling expresses. */
    private static boolean windowCovered(dev.sonnx.runtime.ops.Attributes at, boolean dilations) {
        int[] d = dilations ? at.getInts("dilations", null) : null;
        if (d != null) {
            for (int v : d) {
                if (v != 1) {
                    return false;
                }
            }
        }
        return Cudnn.symmetricPads(at.getInts("pads", null));
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        if (inputs.length < 1 || inputs[0] == null || !allFloat32(inputs, 1)) {
            return onHost(inputs, ctx);
        }
        Tensor xIn = required(inputs, 0);
        device.bind();
        Plan plan = xIn.rank() >= 3 && xIn.rank() <= 5 && xIn.size() > 0 ? plan(xIn.shape()) : null;
        if (plan == null) {
            return onHost(inputs, ctx);
        }
        Tensor x = device.on(xIn);
        Tensor y = device.uninitialized(DataType.FLOAT, plan.yShape);
        Cuda.checkCudnn(cudnnPoolingForward(device.cudnn(), plan.pool, device.one, plan.x, ptr(x), device.zero, plan.y,
                ptr(y)), "cudnnPoolingForward");
        // MaxPool's optional Indices output is declined at placement: a second output slot stays empty
        return node.outputCount() > 1 ? outputs(y, null) : outputs(y);
    }

    private Plan plan(int[] xs) {
        List<Integer> key = Arrays.stream(xs).boxed().toList();
        Plan p = plans.get(key);
        if (p == null && !plans.containsKey(key)) {
            p = makePlan(xs);
            if (p != null) {
                plans.putIfAbsent(key, p);
            }
        }
        return p;
    }

    /** Null where cuDNN's window differs from the operator's (the host runs those, and reports errors). */
    private Plan makePlan(int[] xs) {
        int[] image = ConvShapes.spatial(xs);
        int r = image.length;
        int[] kernel;
        int[] pad;
        int[] stride;
        int[] positions;
        if (global) {
            kernel = image.clone();
            pad = new int[r];
            stride = new int[r];
            Arrays.fill(stride, 1);
            positions = new int[r];
            Arrays.fill(positions, 1);
        } else {
            Window w;
            try {
                w = spatial.window(image, spatial.requiredKernel(r));
            } catch (IllegalArgumentException e) {
                return null;
            }
            kernel = w.kernel();
            pad = w.padBegin();
            stride = w.strides();
            positions = w.positions();
            if (!Arrays.equals(pad, w.padEnd())) {
                return null;
            }
            for (int i = 0; i < r; i++) {
                // cuDNN's output size is the floor formula; ceil_mode may add a window it lacks.
                // A window wholly in padding (pad >= kernel) has no cuDNN meaning either.
                int floor = (image[i] + 2 * pad[i] - kernel[i]) / stride[i] + 1;
                if (floor != positions[i] || pad[i] >= kernel[i]) {
                    return null;
                }
            }
        }
        int nd = Math.max(2, r);
        int[] k2 = unitPadded(kernel, nd, 1);
        int[] p2 = unitPadded(pad, nd, 0);
        int[] s2 = unitPadded(stride, nd, 1);
        cudnnPoolingStruct pool = new cudnnPoolingStruct();
        Cuda.checkCudnn(cudnnCreatePoolingDescriptor(pool), "cudnnCreatePoolingDescriptor");
        Cuda.checkCudnn(cudnnSetPoolingNdDescriptor(pool, mode, CUDNN_NOT_PROPAGATE_NAN, nd, k2, p2, s2),
                "cudnnSetPoolingNdDescriptor");
        int[] yShape = ConvShapes.withBatchAndChannels(xs[0], xs[1], positions);
        return new Plan(pool, Cudnn.tensor(xs), Cudnn.tensor(yShape), yShape);
    }

    /** {@code v} extended to {@code n} entries with {@code fill} (the unit axis of a 1-D image). */
    private static int[] unitPadded(int[] v, int n, int fill) {
        int[] r = Arrays.copyOf(v, n);
        Arrays.fill(r, v.length, n, fill);
        return r;
    }

    /** cudnnPoolingBackward: max routes dY to each window's maximum, average spreads it over the window. */
    @Override
    protected void deviceBackward(BackwardContext g, Tensor gy, Tensor[] r) {
        if (!g.needsGrad(0)) {
            return;
        }
        Tensor x = input(g, 0);
        Tensor y = device.on(g.output(0));
        Plan plan = plan(x.shape());
        Tensor dx = device.uninitialized(DataType.FLOAT, x.shape());
        Cuda.checkCudnn(cudnnPoolingBackward(device.cudnn(), plan.pool, device.one, plan.y, ptr(y), plan.y, ptr(gy),
                plan.x, ptr(x), device.zero, plan.x, ptr(dx)), "cudnnPoolingBackward");
        r[0] = dx;
    }

    private static DevicePointer ptr(Tensor t) {
        return new DevicePointer(CudaDevice.address(t));
    }
}
