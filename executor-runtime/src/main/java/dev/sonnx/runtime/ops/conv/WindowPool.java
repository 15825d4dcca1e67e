package dev.sonnx.runtime.ops.conv;

import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.ops.conv.dnnl.DnnlPooling;
import dev.sonnx.runtime.ops.kernel.TypeCheck;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Device;
import dev.sonnx.runtime.tensor.Tensor;
import java.util.Optional;
import java.util.Set;

/**
 * Shared plumbing of the windowed pools (MaxPool, AveragePool, LpPool): window attributes parsed at
 * prepare, type checks, the window resolved once per input shape, and (float32) a oneDNN primitive
 * per shape. The generic kernels work plane by plane ({@code N * C} planes of {@code imageSize}
 * elements into planes of {@code positionCount}).
 */
abstract class WindowPool extends Operator {
    private final Set<DataType> types;
    protected final SpatialAttributes spatial;
    private final ShapeCache<Window> windows = new ShapeCache<>();
    private final ShapeCache<Optional<DnnlPooling>> primitives = new ShapeCache<>();

    WindowPool(Node node, Set<DataType> types, boolean dilations, boolean ceilMode) {
        super(node);
        this.types = types;
        this.spatial = new SpatialAttributes(node.attributes(), dilations, ceilMode);
        if (spatial.kernelShape() == null) {
            throw new IllegalArgumentException("required attribute 'kernel_shape' is missing");
        }
    }

    /** Checks X and returns its window. */
    protected final Window window(Tensor x) {
        TypeCheck.require(x, types, "input X");
        ConvShapes.requireImage(x, "X");
        return windows.get(s -> {
            int[] image = ConvShapes.spatial(s[0]);
            return spatial.window(image, spatial.requiredKernel(image.length));
        }, x.shape());
    }

    /**
     * The oneDNN primitive computing this pool over float32 {@code x} with window {@code w}, or null
     * (not float32, oneDNN unavailable or declining the geometry).
     */
    protected final DnnlPooling primitive(Tensor x, Window w, DnnlPooling.Kind kind, Device device) {
        if (x.dtype() != DataType.FLOAT || !device.isHost()) {
            return null;
        }
        return primitives.get(s -> Optional.ofNullable(DnnlPooling.create(kind, s[0], outShape(x, w), w.kernel,
                w.strides, w.dilations, w.padBegin, w.padEndCoveringPositions())), x.shape()).orElse(null);
    }

    /**
     * The oneDNN pooling that computes this operator over float32 X with window {@code w} exactly, or
     * null where only the generic kernel does (the channels-last form asks).
     */
    abstract DnnlPooling.Kind dnnlKind(Window w);

    /** {@code [N, C, positions...]}. */
    protected static int[] outShape(Tensor x, Window w) {
        return ConvShapes.withBatchAndChannels(x.shape()[0], x.shape()[1], w.positions);
    }

    /** N * C. */
    protected static int planes(Tensor x) {
        return x.shape()[0] * x.shape()[1];
    }
}
