package dev.sonnx.runtime.ops.image;

import dev.sonnx.runtime.ops.BackwardContext;
import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.ops.kernel.TypeCheck;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Device;
import dev.sonnx.runtime.tensor.Shapes;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * Resize (10, 11, 13, 18, 19) and Upsample (7, 9): nearest, linear and cubic interpolation of any
 * subset of axes, separable, so each resized axis is one {@link AxisResampler} pass.
 *
 * <p>Each output coordinate x is mapped to an input coordinate by coordinate_transformation_mode
 * (with {@code scale} = output/input, or the scales input), then:
 * <ul>
 * <li>nearest: one input index by nearest_mode (an integer coordinate is taken as is);</li>
 * <li>linear / cubic: with {@code x0 = ceil(x) - 1} and {@code r = x - x0} in (0, 1], taps at
 *     {@code x0 + k} weighted by the kernel at {@code k - r} (triangle, or Keys' cubic with
 *     {@code cubic_coeff_a}); with antialias and a scale below 1 the kernel is stretched by
 *     {@code 1 / scale} and its weights normalized. Taps beyond the edges repeat the edge sample, or
 *     drop out with exclude_outside (remaining weights renormalized).</li>
 * </ul>
 * This follows the ONNX reference implementation, including its use of {@code scale * input_length}
 * (not the rounded output length) in align_corners and tf_crop_and_resize. Upsample and Resize-10 map
 * coordinates asymmetrically and take nearest as floor when upsampling, ceil when downsampling.
 */
final class Resize extends Operator {

    /** Which operator version, which decides where scales come from and what attributes exist. */
    enum Variant {
        UPSAMPLE_7, UPSAMPLE_9, RESIZE_10, RESIZE_11, RESIZE_13, RESIZE_18, RESIZE_19;

        boolean legacy() {
            return this == UPSAMPLE_7 || this == UPSAMPLE_9 || this == RESIZE_10;
        }
    }

    enum Mode { NEAREST, LINEAR, CUBIC }

    enum Coordinates {
        HALF_PIXEL, HALF_PIXEL_SYMMETRIC, PYTORCH_HALF_PIXEL, ALIGN_CORNERS, ASYMMETRIC, TF_HALF_PIXEL_FOR_NN,
        TF_CROP_AND_RESIZE
    }

    enum Nearest { ROUND_PREFER_FLOOR, ROUND_PREFER_CEIL, FLOOR, CEIL, LEGACY }

    enum AspectPolicy { STRETCH, NOT_LARGER, NOT_SMALLER }

    private final Variant variant;
    private final Mode mode;
    private final Coordinates coordinates;
    private final Nearest nearest;
    private final double cubicA;
    private final boolean excludeOutside;
    private final double extrapolation;
    private final boolean antialias;
    private final int[] axesAttr;
    private final AspectPolicy policy;
    /** Upsample-7's scales attribute. */
    private final float[] scalesAttr;

    Resize(Node node, Variant variant) {
        super(node);
        this.variant = variant;
        var a = node.attributes();
        String m = a.getString("mode", "nearest").toLowerCase(Locale.ROOT);
        if (variant.legacy() && m.equals("bilinear")) {
            m = "linear"; // Upsample-7 files from some exporters say bilinear
        }
        this.mode = switch (m) {
            case "nearest" -> Mode.NEAREST;
            case "linear" -> Mode.LINEAR;
            case "cubic" -> {
                if (variant.legacy()) {
                    throw new IllegalArgumentException("attribute 'mode' = cubic needs Resize-11 or later");
                }
                yield Mode.CUBIC;
            }
            default -> throw new IllegalArgumentException("attribute 'mode' is '" + m
                    + "'; expected nearest, linear" + (variant.legacy() ? "" : " or cubic"));
        };
        if (variant.legacy()) {
            coordinates = Coordinates.ASYMMETRIC;
            nearest = Nearest.LEGACY;
            cubicA = -0.75;
            excludeOutside = false;
            extrapolation = 0;
        } else {
            coordinates = parseCoordinates(a.getString("coordinate_transformation_mode", "half_pixel"), variant);
            String nm = a.getString("nearest_mode", "round_prefer_floor");
            nearest = switch (nm) {
                case "round_prefer_floor" -> Nearest.ROUND_PREFER_FLOOR;
                case "round_prefer_ceil" -> Nearest.ROUND_PREFER_CEIL;
                case "floor" -> Nearest.FLOOR;
                case "ceil" -> Nearest.CEIL;
                default -> throw new IllegalArgumentException("attribute 'nearest_mode' is '" + nm
                        + "'; expected round_prefer_floor, round_prefer_ceil, floor or ceil");
            };
            cubicA = a.getFloat("cubic_coeff_a", -0.75f);
            int ex = a.getInt("exclude_outside", 0);
            if (ex != 0 && ex != 1) {
                throw new IllegalArgumentException("attribute 'exclude_outside' must be 0 or 1, got " + ex);
            }
            excludeOutside = ex == 1;
            extrapolation = a.getFloat("extrapolation_value", 0f);
        }
        boolean v18 = variant == Variant.RESIZE_18 || variant == Variant.RESIZE_19;
        int aa = v18 ? a.getInt("antialias", 0) : 0;
        if (aa != 0 && aa != 1) {
            throw new IllegalArgumentException("attribute 'antialias' must be 0 or 1, got " + aa);
        }
        this.antialias = aa == 1;
        this.axesAttr = v18 ? a.getInts("axes", null) : null;
        String p = v18 ? a.getString("keep_aspect_ratio_policy", "stretch") : "stretch";
        this.policy = switch (p) {
            case "stretch" -> AspectPolicy.STRETCH;
            case "not_larger" -> AspectPolicy.NOT_LARGER;
            case "not_smaller" -> AspectPolicy.NOT_SMALLER;
            default -> throw new IllegalArgumentException("attribute 'keep_aspect_ratio_policy' is '" + p
                    + "'; expected stretch, not_larger or not_smaller");
        };
        if (variant == Variant.UPSAMPLE_7) {
            scalesAttr = a.getFloats("scales", null);
            if (scalesAttr == null) {
                throw new IllegalArgumentException("required attribute 'scales' is missing");
            }
        } else {
            scalesAttr = null;
        }
    }

    private static Coordinates parseCoordinates(String s, Variant v) {
        Coordinates c;
        try {
            c = Coordinates.valueOf(s.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            c = null;
        }
        boolean ok = c != null
                && !(c == Coordinates.HALF_PIXEL_SYMMETRIC && v != Variant.RESIZE_19)
                && !(c == Coordinates.TF_HALF_PIXEL_FOR_NN && (v == Variant.RESIZE_18 || v == Variant.RESIZE_19));
        if (!ok) {
            throw new IllegalArgumentException("attribute 'coordinate_transformation_mode' is '" + s + "'; expected "
                    + "half_pixel, pytorch_half_pixel, align_corners, asymmetric, tf_crop_and_resize"
                    + (v == Variant.RESIZE_19 ? ", half_pixel_symmetric" : "")
                    + (v == Variant.RESIZE_18 || v == Variant.RESIZE_19 ? "" : ", tf_half_pixel_for_nn"));
        }
        return c;
    }

    // ------------------------------------------------------------------ forward

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor x = required(inputs, 0);
        if (mode != Mode.NEAREST) {
            if (!TypeCheck.NUMERIC.contains(x.dtype())) {
                throw new IllegalArgumentException("input X has type " + x.dtype().onnxName() + "; mode "
                        + mode.name().toLowerCase(Locale.ROOT) + " needs a numeric type (nearest takes any)");
            }
        } else if (x.dtype().byteSize() == 0 && x.dtype() != DataType.STRING) {
            throw new IllegalArgumentException("input X has unsupported type " + x.dtype().onnxName());
        }
        List<AxisResampler> passes = plan(x.shape(), inputs);
        Device device = ctx.device();
        if (mode == Mode.NEAREST) {
            Tensor y = x;
            for (AxisResampler p : passes) {
                y = p.gather(y, device);
            }
            return outputs(y == x ? x.copy() : y);
        }
        DataType compute = x.dtype() == DataType.FLOAT || x.dtype() == DataType.FLOAT16
                || x.dtype() == DataType.BFLOAT16 ? DataType.FLOAT : DataType.DOUBLE;
        Tensor y = Access.convert(x, compute);
        for (AxisResampler p : passes) {
            y = p.apply(y, device);
        }
        return outputs(y == x ? x.copy() : Access.toType(y, x.dtype()));
    }

    @Override
    public boolean differentiable() {
        return true;
    }

    /** roi, scales and sizes are settings. */
    @Override
    public boolean differentiableInput(int index) {
        return index == 0;
    }

    /** Resize is linear in X: its gradient runs the transposed passes in reverse order. */
    @Override
    public Tensor[] backward(BackwardContext g) {
        Tensor[] r = new Tensor[g.inputCount()];
        Tensor gy = g.gradOutput(0);
        if (gy == null || !g.needsGrad(0)) {
            return r;
        }
        Tensor x = g.input(0);
        Value[] inputs = new Value[g.inputCount()];
        for (int i = 0; i < inputs.length; i++) {
            inputs[i] = g.input(i);
        }
        List<AxisResampler> passes = plan(x.shape(), inputs);
        DataType compute = x.dtype() == DataType.DOUBLE ? DataType.DOUBLE : DataType.FLOAT;
        Tensor gx = Access.convert(gy, compute);
        int[][] shapes = new int[passes.size() + 1][];
        shapes[0] = x.shape();
        for (int i = 0; i < passes.size(); i++) {
            shapes[i + 1] = passes.get(i).outShape(shapes[i]);
        }
        for (int i = passes.size() - 1; i >= 0; i--) {
            gx = passes.get(i).transpose(gx, shapes[i], g.device());
        }
        r[0] = gx == gy ? gy.copy() : Access.toType(gx, x.dtype());
        return r;
    }

    // ------------------------------------------------------------------ planning

    /** The passes for input shape {@code in}, non-identity ones only, most shrinking first. */
    private List<AxisResampler> plan(int[] in, Value[] inputs) {
        int rank = in.length;
        int[] axes = resolveAxes(rank);
        double[] scales = new double[rank];
        int[] out = in.clone();
        Arrays.fill(scales, 1);
        Tensor scalesT = scalesInput(inputs);
        Tensor sizesT = variant.legacy() ? null : tensor(inputs, 3);
        boolean hasScales = scalesAttr != null || (scalesT != null && scalesT.size() > 0);
        boolean hasSizes = sizesT != null && sizesT.size() > 0;
        if (hasScales == hasSizes) {
            throw new IllegalArgumentException(hasScales ? "inputs scales and sizes are both given; give only one"
                    : "one of inputs scales and sizes must be given (non-empty)");
        }
        if (hasScales) {
            double[] s = scalesAttr != null ? toDoubles(scalesAttr) : scalesT.toDoubleArray();
            if (scalesT != null && scalesT.dtype() != DataType.FLOAT) {
                throw new IllegalArgumentException("input scales has type " + scalesT.dtype().onnxName()
                        + ", expected float");
            }
            if (s.length != axes.length) {
                throw new IllegalArgumentException("scales has " + s.length + " values; expected " + axes.length
                        + " (one per " + (axesAttr != null ? "axis in 'axes'" : "dimension of X") + ")");
            }
            for (int i = 0; i < axes.length; i++) {
                if (!(s[i] > 0) || Double.isInfinite(s[i])) {
                    throw new IllegalArgumentException("scales[" + i + "] = " + s[i] + " must be positive");
                }
                if (variant == Variant.UPSAMPLE_7 || variant == Variant.UPSAMPLE_9) {
                    if (s[i] < 1) {
                        throw new IllegalArgumentException("Upsample scales[" + i + "] = " + s[i] + " is below 1");
                    }
                }
                int a = axes[i];
                scales[a] = s[i];
                double len = Math.floor(in[a] * s[i]);
                if (len > Integer.MAX_VALUE) {
                    throw new IllegalArgumentException("scales[" + i + "] = " + s[i] + " makes axis " + a + " too long");
                }
                out[a] = (int) len;
            }
        } else {
            if (sizesT.dtype() != DataType.INT64) {
                throw new IllegalArgumentException("input sizes has type " + sizesT.dtype().onnxName()
                        + ", expected int64");
            }
            long[] s = sizesT.toLongArray();
            if (s.length != axes.length) {
                throw new IllegalArgumentException("sizes has " + s.length + " values; expected " + axes.length);
            }
            for (int i = 0; i < axes.length; i++) {
                if (s[i] < 0 || s[i] > Integer.MAX_VALUE) {
                    throw new IllegalArgumentException("sizes[" + i + "] = " + s[i] + " is out of range");
                }
                if (in[axes[i]] == 0 && s[i] != 0) {
                    throw new IllegalArgumentException("axis " + axes[i] + " of X is empty; it cannot be resized to "
                            + s[i]);
                }
            }
            if (policy == AspectPolicy.STRETCH) {
                for (int i = 0; i < axes.length; i++) {
                    int a = axes[i];
                    out[a] = (int) s[i];
                    scales[a] = in[a] == 0 ? 1 : (double) s[i] / in[a];
                }
            } else {
                // one scale for every listed axis, the largest that fits (not_larger) or covers (not_smaller)
                double scale = policy == AspectPolicy.NOT_LARGER ? Double.POSITIVE_INFINITY : 0;
                for (int i = 0; i < axes.length; i++) {
                    if (in[axes[i]] == 0) {
                        continue;
                    }
                    double r = (double) s[i] / in[axes[i]];
                    scale = policy == AspectPolicy.NOT_LARGER ? Math.min(scale, r) : Math.max(scale, r);
                }
                if (Double.isInfinite(scale) || scale == 0) {
                    scale = 1;
                }
                for (int a : axes) {
                    scales[a] = scale;
                    out[a] = (int) Math.floor(scale * in[a] + 0.5);
                }
            }
        }
        double[] roi = roi(inputs, axes, rank);
        List<AxisResampler> passes = new ArrayList<>();
        for (int a = 0; a < rank; a++) {
            AxisResampler p = axisPlan(a, in[a], out[a], scales[a], roi[a], roi[rank + a]);
            if (!p.isIdentity()) {
                passes.add(p);
            }
        }
        passes.sort(Comparator.comparingDouble(p -> p.inLength == 0 ? 0 : (double) p.outLength / p.inLength));
        return passes;
    }

    private Tensor scalesInput(Value[] inputs) {
        return switch (variant) {
            case UPSAMPLE_7 -> null;
            case UPSAMPLE_9, RESIZE_10 -> required(inputs, 1);
            default -> tensor(inputs, 2);
        };
    }

    private int[] resolveAxes(int rank) {
        if (axesAttr == null) {
            int[] all = new int[rank];
            for (int i = 0; i < rank; i++) {
                all[i] = i;
            }
            return all;
        }
        int[] axes = new int[axesAttr.length];
        boolean[] seen = new boolean[rank];
        for (int i = 0; i < axes.length; i++) {
            axes[i] = Shapes.axis(axesAttr[i], rank);
            if (seen[axes[i]]) {
                throw new IllegalArgumentException("attribute 'axes' repeats axis " + axesAttr[i]);
            }
            seen[axes[i]] = true;
        }
        return axes;
    }

    /** Per axis of X, the crop box [starts..., ends...] (tf_crop_and_resize), [0..., 1...] when absent. */
    private double[] roi(Value[] inputs, int[] axes, int rank) {
        double[] r = new double[2 * rank];
        Arrays.fill(r, rank, 2 * rank, 1);
        Tensor roiT = variant.legacy() ? null : tensor(inputs, 1);
        if (roiT == null || roiT.size() == 0) {
            if (coordinates == Coordinates.TF_CROP_AND_RESIZE) {
                throw new IllegalArgumentException("coordinate_transformation_mode tf_crop_and_resize needs input roi");
            }
            return r;
        }
        TypeCheck.require(roiT, TypeCheck.FLOATS, "input roi");
        if (roiT.size() != 2 * axes.length) {
            throw new IllegalArgumentException("input roi has " + roiT.size() + " values; expected " + 2 * axes.length
                    + " (starts, then ends, per resized axis)");
        }
        for (int i = 0; i < axes.length; i++) {
            r[axes[i]] = roiT.getDouble(i);
            r[rank + axes[i]] = roiT.getDouble(axes.length + i);
        }
        return r;
    }

    /** The input coordinate of output index {@code x} along an axis. */
    private double sourceCoordinate(int x, int inLen, int outLen, double scale, double roiStart, double roiEnd) {
        double outW = scale * inLen;
        switch (coordinates) {
            case HALF_PIXEL:
                return (x + 0.5) / scale - 0.5;
            case HALF_PIXEL_SYMMETRIC: {
                double adjustment = outLen / outW;
                double center = inLen / 2.0;
                double offset = center * (1 - adjustment);
                return offset + (x + 0.5) / scale - 0.5;
            }
            case PYTORCH_HALF_PIXEL:
                return outLen > 1 ? (x + 0.5) / scale - 0.5 : 0;
            case ALIGN_CORNERS:
                return outW == 1 ? 0 : x * (inLen - 1) / (outW - 1);
            case ASYMMETRIC:
                return x / scale;
            case TF_HALF_PIXEL_FOR_NN:
                return (x + 0.5) / scale;
            case TF_CROP_AND_RESIZE:
                return outW == 1 ? (roiEnd - roiStart) * (inLen - 1) / 2 + roiStart * (inLen - 1)
                        : x * (roiEnd - roiStart) * (inLen - 1) / (outW - 1) + roiStart * (inLen - 1);
            default:
                throw new AssertionError(coordinates);
        }
    }

    private AxisResampler axisPlan(int axis, int inLen, int outLen, double scale, double roiStart, double roiEnd) {
        boolean tf = coordinates == Coordinates.TF_CROP_AND_RESIZE;
        boolean[] outside = tf ? new boolean[outLen] : null;
        if (mode == Mode.NEAREST && !tf) {
            int[] index = new int[outLen];
            double[] weight = new double[outLen];
            Arrays.fill(weight, 1);
            for (int i = 0; i < outLen; i++) {
                double c = sourceCoordinate(i, inLen, outLen, scale, roiStart, roiEnd);
                index[i] = clamp(nearestIndex(c, scale), inLen);
            }
            return new AxisResampler(axis, inLen, outLen, 1, index, weight, null, 0);
        }
        // the kernel is stretched by 1/scale when antialiasing a downscale
        double s = antialias && scale < 1 && mode != Mode.NEAREST ? scale : 1;
        int start = switch (mode) {
            case NEAREST -> 0;
            case LINEAR -> (int) Math.floor(-1 / s) + 1;
            case CUBIC -> (int) Math.floor(-2 / s) + 1;
        };
        int taps = mode == Mode.NEAREST ? 1 : 2 - 2 * start;
        int[] index = new int[outLen * taps];
        double[] weight = new double[outLen * taps];
        boolean normalize = excludeOutside || s < 1;
        for (int i = 0; i < outLen; i++) {
            double c = sourceCoordinate(i, inLen, outLen, scale, roiStart, roiEnd);
            if (tf && (c < 0 || c > inLen - 1)) {
                outside[i] = true;
                continue;
            }
            if (mode == Mode.NEAREST) {
                index[i] = clamp(nearestIndex(c, scale), inLen);
                weight[i] = 1;
                continue;
            }
            // x0 = ceil(c) - 1 puts c in (x0, x0 + 1]: an integer coordinate weighs its own sample fully
            double x0 = Math.ceil(c) - 1;
            double ratio = c - x0;
            double sum = 0;
            for (int k = 0; k < taps; k++) {
                double pos = x0 + start + k;
                double w = kernel((start + k - ratio) * s);
                if (excludeOutside && (pos < 0 || pos > inLen - 1)) {
                    w = 0;
                }
                index[i * taps + k] = clamp(pos, inLen);
                weight[i * taps + k] = w;
                sum += w;
            }
            if (normalize && sum != 0) {
                for (int k = 0; k < taps; k++) {
                    weight[i * taps + k] /= sum;
                }
            }
        }
        return new AxisResampler(axis, inLen, outLen, taps, index, weight, outside, extrapolation);
    }

    private double kernel(double d) {
        double x = Math.abs(d);
        if (mode == Mode.LINEAR) {
            return Math.max(0, 1 - x);
        }
        double a = cubicA;
        if (x <= 1) {
            return ((a + 2) * x - (a + 3)) * x * x + 1;
        }
        if (x < 2) {
            return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
        }
        return 0;
    }

    private double nearestIndex(double c, double scale) {
        if (nearest == Nearest.LEGACY) {
            return scale < 1 ? Math.ceil(c) : Math.floor(c);
        }
        double f = Math.floor(c);
        if (c == f) {
            return c;
        }
        double r = c - f;
        return switch (nearest) {
            case ROUND_PREFER_FLOOR -> r <= 0.5 ? f : f + 1;
            case ROUND_PREFER_CEIL -> r < 0.5 ? f : f + 1;
            case FLOOR -> f;
            case CEIL -> f + 1;
            case LEGACY -> throw new AssertionError();
        };
    }

    private static int clamp(double v, int len) {
        return (int) Math.max(0, Math.min(len - 1, v));
    }

    private static double[] toDoubles(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }
}
