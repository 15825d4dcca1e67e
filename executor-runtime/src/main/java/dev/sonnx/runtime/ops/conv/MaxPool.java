package dev.sonnx.runtime.ops.conv;

import dev.sonnx.runtime.ops.BackwardContext;
import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.conv.dnnl.DnnlMaxPoolTraining;
import dev.sonnx.runtime.ops.conv.dnnl.DnnlPooling;
import dev.sonnx.runtime.ops.kernel.TypeCheck;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Device;
import dev.sonnx.runtime.tensor.Shapes;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import java.nio.LongBuffer;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;

/**
 * MaxPool (1, 8, 10, 12): the maximum over each window, ignoring padding. NaN is ignored too, as
 * onnxruntime and oneDNN do; a window with nothing else gives the type's lowest value. From
 * version 8 an optional Indices output gives each maximum's flat position in X (spatial part in
 * row-major order, or column-major with {@code storage_order=1}); 10 adds {@code ceil_mode} and
 * {@code dilations}; 12 accepts int8 and uint8. Float32 inference without Indices goes through
 * oneDNN.
 */
final class MaxPool extends WindowPool {
    static final Set<DataType> FLOAT_TYPES = TypeCheck.FLOATS;
    static final Set<DataType> WITH_BYTES = TypeCheck.union(TypeCheck.FLOATS,
            EnumSet.of(DataType.INT8, DataType.UINT8));

    private final boolean indices;
    private final boolean columnMajor;
    /** Whether the padding holds zeros ({@link ZeroPadding}; inference plans only). */
    private final boolean zeroPadding;
    /** oneDNN's training forward and backward per X shape (empty where oneDNN declines). */
    private final ShapeCache<Optional<DnnlMaxPoolTraining>> training = new ShapeCache<>();

    /** What backward reads after a oneDNN training forward: its primitives and each window's argmax. */
    private record DnnlArgmax(DnnlMaxPoolTraining primitive, Tensor workspace) {
    }

    /**
     * @param version the operator version the node binds to (1, 8, 10 or 12)
     */
    MaxPool(Node node, int version) {
        super(node, version >= 12 ? WITH_BYTES : FLOAT_TYPES, version >= 10, version >= 10);
        this.indices = version >= 8 && node.hasOutput(1);
        int order = version >= 8 ? node.attributes().getInt("storage_order", 0) : 0;
        if (order != 0 && order != 1) {
            throw new IllegalArgumentException("attribute 'storage_order' is " + order + ", expected 0 or 1");
        }
        this.columnMajor = order == 1;
        this.zeroPadding = node.attributes().getInt(ZeroPadding.ATTRIBUTE, 0) != 0;
        if (zeroPadding && indices) {
            throw new IllegalArgumentException("a max pool with zero padding has no Indices output");
        }
    }

    /** Whether the padding holds zeros ({@link ZeroPadding}). */
    boolean zeroPadding() {
        return zeroPadding;
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor x = required(inputs, 0);
        Window w = window(x);
        int[] out = outShape(x, w);
        // every path below writes every element of Y
        Tensor y = Tensor.uninitialized(x.dtype(), out);
        if (zeroPadding) {
            return outputs(zeroPadded(x, w, y, ctx));
        }
        // oneDNN gives no argmax in ONNX's terms: the Indices output and backward need the generic kernel
        DnnlPooling dnnl = indices || ctx.recording() ? null : primitive(x, w, DnnlPooling.Kind.MAX, ctx.device());
        if (dnnl != null) {
            dnnl.forward(x, y);
            return node.outputCount() > 1 ? outputs(y, null) : outputs(y);
        }
        DnnlMaxPoolTraining train = !indices && ctx.recording() ? trainingPrimitive(x, w, out, ctx) : null;
        if (train != null) {
            Tensor workspace = Tensor.uninitialized(DataType.UINT8, Math.toIntExact(train.workspaceBytes()));
            train.forward(x, y, workspace);
            ctx.saveForBackward(new DnnlArgmax(train, workspace));
            return node.outputCount() > 1 ? outputs(y, null) : outputs(y);
        }
        boolean keepArgmax = indices || ctx.recording();
        int[] argmax = keepArgmax ? new int[planes(x) * w.positionCount] : null;
        pool(x, w, y, argmax, ctx.device());
        Tensor idx = null;
        if (indices) {
            idx = Tensor.uninitialized(DataType.INT64, out);
            writeIndices(argmax, w, idx);
        }
        if (ctx.recording()) {
            ctx.saveForBackward(argmax);
        }
        return node.outputCount() > 1 ? outputs(y, idx) : outputs(y);
    }

    /**
     * Y of a max pool with zero padding ({@link ZeroPadding}): an inference plan's, without Indices
     * (refused at build), so oneDNN or the generic kernel, then the windows over the padding raised.
     */
    private Tensor zeroPadded(Tensor x, Window w, Tensor y, OpContext ctx) {
        if (ctx.recording()) {
            throw new IllegalStateException("a max pool with zero padding exists only in inference plans");
        }
        DnnlPooling dnnl = primitive(x, w, DnnlPooling.Kind.MAX, ctx.device());
        if (dnnl != null) {
            dnnl.forward(x, y);
        } else {
            pool(x, w, y, null, ctx.device());
        }
        ZeroPadding.apply(y, w.paddedPositions(), w.positionCount, false);
        return y;
    }

    private DnnlMaxPoolTraining trainingPrimitive(Tensor x, Window w, int[] out, OpContext ctx) {
        if (x.dtype() != DataType.FLOAT || !ctx.device().isHost()) {
            return null;
        }
        return training.get(s -> Optional.ofNullable(DnnlMaxPoolTraining.create(s[0], out, w.kernel, w.strides,
                w.dilations, w.padBegin, w.padEndCoveringPositions())), x.shape()).orElse(null);
    }

    @Override
    DnnlPooling.Kind dnnlKind(Window w) {
        return indices ? null : DnnlPooling.Kind.MAX;
    }

    /** Y = max over each window; {@code argmax} (when non-null) gets each maximum's offset in its plane. */
    private static void pool(Tensor x, Window w, Tensor y, int[] argmax, Device device) {
        double lowest = lowest(x.dtype());
        int imageSize = w.imageSize;
        int positions = w.positionCount;
        int[] table = w.table();
        int taps = w.kernelSize;
        device.parallelFor(planes(x), (long) taps * positions, (s, e) -> {
            double[] in = new double[imageSize];
            double[] best = new double[positions];
            int[] at = new int[positions];
            for (int plane = s; plane < e; plane++) {
                Planes.load(x, plane * imageSize, imageSize, in);
                java.util.Arrays.fill(best, lowest);
                java.util.Arrays.fill(at, -1);
                for (int k = 0; k < taps; k++) {
                    int base = k * positions;
                    for (int p = 0; p < positions; p++) {
                        int i = table[base + p];
                        if (i < 0) {
                            continue;
                        }
                        double v = in[i];
                        // the first tap in the image is the argmax until a larger value (never NaN) comes
                        if (v > best[p]) {
                            best[p] = v;
                            at[p] = i;
                        } else if (at[p] < 0) {
                            at[p] = i;
                        }
                    }
                }
                Planes.store(best, positions, y, plane * positions);
                if (argmax != null) {
                    System.arraycopy(at, 0, argmax, plane * positions, positions);
                }
            }
        });
    }

    /** The smallest finite value of a MaxPool type: the result of a window holding no number. */
    static double lowest(DataType type) {
        switch (type) {
            case DOUBLE: return -Double.MAX_VALUE;
            case FLOAT16: return -65504;
            case BFLOAT16: return -0x1.fep127;
            case INT8: return Byte.MIN_VALUE;
            case UINT8: return 0;
            default: return -Float.MAX_VALUE;
        }
    }

    /** Indices output: flat offsets into X, the spatial part in the requested storage order. */
    private void writeIndices(int[] argmax, Window w, Tensor idx) {
        int[] toColumnMajor = columnMajor ? columnMajorOffsets(w.image) : null;
        LongBuffer out = idx.longs();
        int positions = w.positionCount;
        for (int j = 0; j < argmax.length; j++) {
            int a = argmax[j];
            long plane = j / positions;
            out.put(j, a < 0 ? -1 : plane * w.imageSize + (toColumnMajor != null ? toColumnMajor[a] : a));
        }
    }

    /** For each row-major offset of {@code shape}, the column-major offset of the same element. */
    private static int[] columnMajorOffsets(int[] shape) {
        int n = Shapes.size(shape);
        int[] r = new int[n];
        int[] colStride = new int[shape.length];
        int acc = 1;
        for (int d = 0; d < shape.length; d++) {
            colStride[d] = acc;
            acc *= shape[d];
        }
        int[] idx = new int[shape.length];
        for (int i = 0; i < n; i++) {
            int c = 0;
            for (int d = 0; d < shape.length; d++) {
                c += idx[d] * colStride[d];
            }
            r[i] = c;
            for (int d = shape.length - 1; d >= 0 && ++idx[d] == shape[d]; d--) {
                idx[d] = 0;
            }
        }
        return r;
    }

    @Override
    public boolean differentiable() {
        return true;
    }

    /** The gradient flows to each window's maximum (summed where windows overlap). */
    @Override
    public Tensor[] backward(BackwardContext g) {
        Tensor gy = g.gradOutput(0);
        if (gy == null || !g.needsGrad(0)) {
            return new Tensor[1];
        }
        Tensor x = g.input(0);
        if (g.saved() instanceof DnnlArgmax d && gy.dtype() == DataType.FLOAT) {
            Tensor gx = Tensor.uninitialized(x.dtype(), x.shape());
            d.primitive().backward(gy, d.workspace(), gx);
            return new Tensor[] {gx};
        }
        Window w = window(x);
        int[] argmax = g.saved() instanceof int[] saved ? saved : null;
        if (argmax == null) {
            argmax = new int[planes(x) * w.positionCount];
            pool(x, w, Tensor.uninitialized(x.dtype(), outShape(x, w)), argmax, g.device());
        }
        int[] arg = argmax;
        Tensor gx = Tensor.uninitialized(x.dtype(), x.shape());
        int imageSize = w.imageSize;
        int positions = w.positionCount;
        g.device().parallelFor(planes(x), positions, (s, e) -> {
            double[] dy = new double[positions];
            double[] dx = new double[imageSize];
            for (int plane = s; plane < e; plane++) {
                Planes.load(gy, plane * positions, positions, dy);
                java.util.Arrays.fill(dx, 0);
                for (int p = 0; p < positions; p++) {
                    int a = arg[plane * positions + p];
                    if (a >= 0) {
                        dx[a] += dy[p];
                    }
                }
                Planes.store(dx, imageSize, gx, plane * imageSize);
            }
        });
        return new Tensor[] {gx};
    }
}
