package dev.sonnx.runtime.ops.image;

import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.ops.kernel.TypeCheck;
import dev.sonnx.runtime.tensor.Shapes;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;

/**
 * GridSample (16: 2-D, modes bilinear / nearest / bicubic; 20: N-D, modes linear / nearest / cubic):
 * {@code Y[n, c, p] = X[n, c] sampled at grid[n, p]}, grid coordinates normalized to [-1, 1] and
 * listed innermost axis first (x = width, then y = height, ...). Semantics follow PyTorch's
 * grid_sample, which the ONNX operator was taken from:
 * <ul>
 * <li>coordinates are unnormalized with {@code ((g + 1) / 2)(size - 1)} (align_corners) or
 *     {@code ((g + 1) size - 1) / 2}, then padded: border clamps to the edge, reflection mirrors
 *     about the edge pixels' centers (align_corners) or outer borders, then clamps;</li>
 * <li>nearest rounds half to even; linear weighs the 2^r surrounding samples; cubic weighs 4^r with
 *     Keys' kernel (a = -0.75), padding each tap index rather than the coordinate;</li>
 * <li>with zeros padding, samples outside the input count as 0.</li>
 * </ul>
 */
final class GridSample extends Operator {
    enum Mode { LINEAR, NEAREST, CUBIC }

    enum Padding { ZEROS, BORDER, REFLECTION }

    private static final double CUBIC_A = -0.75;

    private final boolean nd;
    private final Mode mode;
    private final Padding padding;
    private final boolean alignCorners;

    GridSample(Node node, boolean nd) {
        super(node);
        this.nd = nd;
        var a = node.attributes();
        String m = a.getString("mode", nd ? "linear" : "bilinear");
        this.mode = switch (m) {
            case "bilinear", "linear" -> {
                if (!m.equals(nd ? "linear" : "bilinear")) {
                    throw badMode(m);
                }
                yield Mode.LINEAR;
            }
            case "bicubic", "cubic" -> {
                if (!m.equals(nd ? "cubic" : "bicubic")) {
                    throw badMode(m);
                }
                yield Mode.CUBIC;
            }
            case "nearest" -> Mode.NEAREST;
            default -> throw badMode(m);
        };
        String p = a.getString("padding_mode", "zeros");
        this.padding = switch (p) {
            case "zeros" -> Padding.ZEROS;
            case "border" -> Padding.BORDER;
            case "reflection" -> Padding.REFLECTION;
            default -> throw new IllegalArgumentException("attribute 'padding_mode' is '" + p
                    + "'; expected zeros, border or reflection");
        };
        int ac = a.getInt("align_corners", 0);
        if (ac != 0 && ac != 1) {
            throw new IllegalArgumentException("attribute 'align_corners' must be 0 or 1, got " + ac);
        }
        this.alignCorners = ac == 1;
    }

    private IllegalArgumentException badMode(String m) {
        return new IllegalArgumentException("attribute 'mode' is '" + m + "'; GridSample-" + (nd ? "20" : "16")
                + " takes " + (nd ? "linear, nearest or cubic" : "bilinear, nearest or bicubic"));
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor x = required(inputs, 0);
        Tensor grid = required(inputs, 1);
        TypeCheck.require(x, TypeCheck.NUMERIC, "input X");
        TypeCheck.require(grid, TypeCheck.FLOATS, "input grid");
        int r = x.rank() - 2;
        if (nd ? r < 1 : r != 2) {
            throw new IllegalArgumentException("input X has shape " + Shapes.toString(x.shape()) + "; expected "
                    + (nd ? "[N, C, D1, ..., Dr]" : "[N, C, H, W]"));
        }
        if (grid.rank() != r + 2 || grid.dim(0) != x.dim(0) || grid.dim(-1) != r) {
            throw new IllegalArgumentException("input grid has shape " + Shapes.toString(grid.shape())
                    + "; expected [" + x.dim(0) + ", out_1, ..., out_" + r + ", " + r + "] for X of shape "
                    + Shapes.toString(x.shape()));
        }
        int n = x.dim(0);
        int c = x.dim(1);
        int[] outShape = new int[r + 2];
        outShape[0] = n;
        outShape[1] = c;
        for (int d = 0; d < r; d++) {
            outShape[2 + d] = grid.dim(1 + d);
        }
        Tensor y = Tensor.zeros(x.dtype(), outShape);
        int points = Shapes.product(outShape, 2, r + 2);
        int[] size = new int[r];
        for (int d = 0; d < r; d++) {
            size[d] = x.dim(2 + d);
        }
        int spatial = Shapes.product(size, 0, r);
        int[] strides = Shapes.strides(size);
        if (y.size() == 0) {
            return outputs(y);
        }
        Access.Reader xr = Access.reader(x);
        Access.Reader gr = Access.reader(grid);
        Access.Writer yw = Access.writer(y);
        boolean integer = !x.dtype().isFloat();
        int per = mode == Mode.LINEAR ? 2 : mode == Mode.CUBIC ? 4 : 1;
        int tapCount = (int) Math.pow(per, r);
        ctx.device().parallelFor(n * points, (long) tapCount * (c + 4), (s, e) -> {
            int[] idx = new int[r * per];
            double[] wt = new double[r * per];
            int[] offsets = new int[tapCount];
            double[] weights = new double[tapCount];
            for (int task = s; task < e; task++) {
                int b = task / points;
                int p = task % points;
                for (int d = 0; d < r; d++) {
                    // grid lists the innermost axis first
                    double g = gr.get(task * r + (r - 1 - d));
                    axisTaps(g, size[d], idx, wt, d * per);
                }
                int count = 0;
                for (int k = 0; k < tapCount; k++) {
                    int off = 0;
                    double w = 1;
                    int rem = k;
                    for (int d = r - 1; d >= 0; d--) {
                        int t = d * per + rem % per;
                        rem /= per;
                        if (idx[t] < 0) {
                            w = 0;
                            break;
                        }
                        off += idx[t] * strides[d];
                        w *= wt[t];
                    }
                    if (w != 0) {
                        offsets[count] = off;
                        weights[count] = w;
                        count++;
                    }
                }
                for (int ch = 0; ch < c; ch++) {
                    int base = (b * c + ch) * spatial;
                    double v = 0;
                    for (int k = 0; k < count; k++) {
                        v += weights[k] * xr.get(base + offsets[k]);
                    }
                    yw.set((b * c + ch) * points + p, integer ? Math.rint(v) : v);
                }
            }
        });
        return outputs(y);
    }

    /** The taps of one axis for normalized coordinate g: indices (-1 = zero sample) and weights. */
    private void axisTaps(double g, int size, int[] idx, double[] wt, int at) {
        double u = alignCorners ? (g + 1) / 2 * (size - 1) : ((g + 1) * size - 1) / 2;
        switch (mode) {
            case NEAREST -> {
                double v = Math.rint(pad(u, size));
                idx[at] = inside(v, size) ? (int) v : -1;
                wt[at] = 1;
            }
            case LINEAR -> {
                double v = pad(u, size);
                double f = Math.floor(v);
                double t = v - f;
                idx[at] = inside(f, size) ? (int) f : -1;
                wt[at] = 1 - t;
                idx[at + 1] = inside(f + 1, size) ? (int) f + 1 : -1;
                wt[at + 1] = t;
            }
            case CUBIC -> {
                double f = Math.floor(u);
                double t = u - f;
                wt[at] = cubicFar(t + 1);
                wt[at + 1] = cubicNear(t);
                wt[at + 2] = cubicNear(1 - t);
                wt[at + 3] = cubicFar(2 - t);
                for (int k = 0; k < 4; k++) {
                    double v = padding == Padding.ZEROS ? f - 1 + k : pad(f - 1 + k, size);
                    idx[at + k] = inside(v, size) ? (int) v : -1;
                }
            }
        }
    }

    private static boolean inside(double v, int size) {
        return v >= 0 && v <= size - 1;
    }

    private static double cubicNear(double x) {
        return ((CUBIC_A + 2) * x - (CUBIC_A + 3)) * x * x + 1;
    }

    private static double cubicFar(double x) {
        return ((CUBIC_A * x - 5 * CUBIC_A) * x + 8 * CUBIC_A) * x - 4 * CUBIC_A;
    }

    /** Applies border or reflection padding to an unnormalized coordinate (zeros leaves it). */
    private double pad(double v, int size) {
        switch (padding) {
            case BORDER:
                return clip(v, size);
            case REFLECTION:
                v = alignCorners ? reflect(v, 0, 2.0 * (size - 1)) : reflect(v, -1, 2.0 * size - 1);
                return clip(v, size);
            default:
                return v;
        }
    }

    private static double clip(double v, int size) {
        return Math.min(size - 1, Math.max(0, v));
    }

    /** Mirrors v into [twiceLow / 2, twiceHigh / 2] (PyTorch's reflect_coordinates). */
    private static double reflect(double v, double twiceLow, double twiceHigh) {
        if (twiceLow == twiceHigh) {
            return 0;
        }
        double min = twiceLow / 2;
        double span = (twiceHigh - twiceLow) / 2;
        double in = Math.abs(v - min);
        double extra = in % span;
        double flips = Math.floor(in / span);
        return flips % 2 == 0 ? extra + min : span - extra + min;
    }
}
