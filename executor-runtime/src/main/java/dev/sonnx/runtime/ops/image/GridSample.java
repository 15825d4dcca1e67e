package dev.sonnx.runtime.ops.image;

import dev.sonnx.runtime.ops.kernel.ElementAccess;
import dev.sonnx.runtime.ops.BackwardContext;
import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.ops.kernel.TypeCheck;
import dev.sonnx.runtime.tensor.DataType;
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
        ElementAccess.Reader xr = ElementAccess.reader(x);
        ElementAccess.Reader gr = ElementAccess.reader(grid);
        ElementAccess.Writer yw = ElementAccess.writer(y);
        boolean integer = !x.dtype().isFloat();
        ctx.device().parallelFor(n * points, (long) tapsPerPoint(r) * (c + 4), (s, e) -> {
            Taps taps = new Taps(r, size, false);
            for (int task = s; task < e; task++) {
                int b = task / points;
                int p = task % points;
                taps.at(gr, task * r);
                for (int ch = 0; ch < c; ch++) {
                    int base = (b * c + ch) * spatial;
                    double v = 0;
                    for (int k = 0; k < taps.count; k++) {
                        v += taps.weight[k] * xr.get(base + taps.offset[k]);
                    }
                    yw.set((b * c + ch) * points + p, integer ? Math.rint(v) : v);
                }
            }
        });
        return outputs(y);
    }

    @Override
    public boolean differentiable() {
        return true;
    }

    /**
     * Gradients of X (each sample's weights, transposed) and of the grid (the weights' derivatives
     * along each axis, through the unnormalization and the padding). Nearest sampling is piecewise
     * constant in the grid: its grid gradient is 0. Work is split by batch entry, which owns its
     * slices of both gradients.
     */
    @Override
    public Tensor[] backward(BackwardContext g) {
        Tensor[] res = new Tensor[2];
        Tensor gy = g.gradOutput(0);
        if (gy == null || (!g.needsGrad(0) && !g.needsGrad(1))) {
            return res;
        }
        Tensor x = g.input(0);
        Tensor grid = g.input(1);
        int r = x.rank() - 2;
        int n = x.dim(0);
        int c = x.dim(1);
        int[] size = new int[r];
        for (int d = 0; d < r; d++) {
            size[d] = x.dim(2 + d);
        }
        int spatial = Shapes.product(size, 0, r);
        int points = Shapes.product(grid.shape(), 1, r + 1);
        boolean wantX = g.needsGrad(0) && x.dtype().isFloat();
        boolean wantGrid = g.needsGrad(1);
        Tensor gx = wantX ? Tensor.zeros(x.dtype() == DataType.DOUBLE ? DataType.DOUBLE : DataType.FLOAT, x.shape())
                : null;
        Tensor gg = wantGrid ? Tensor.zeros(grid.dtype() == DataType.DOUBLE ? DataType.DOUBLE : DataType.FLOAT,
                grid.shape()) : null;
        ElementAccess.Reader xr = ElementAccess.reader(x);
        ElementAccess.Reader gr = ElementAccess.reader(grid);
        ElementAccess.Reader gyr = ElementAccess.reader(gy);
        ElementAccess.Reader gxr = wantX ? ElementAccess.reader(gx) : null;
        ElementAccess.Writer gxw = wantX ? ElementAccess.writer(gx) : null;
        ElementAccess.Writer ggw = wantGrid ? ElementAccess.writer(gg) : null;
        g.device().parallelFor(n, (long) points * tapsPerPoint(r) * (c + 4) * 2, (s, e) -> {
            Taps taps = new Taps(r, size, wantGrid);
            double[] dg = new double[r];
            for (int b = s; b < e; b++) {
                for (int p = 0; p < points; p++) {
                    int task = b * points + p;
                    taps.at(gr, task * r);
                    java.util.Arrays.fill(dg, 0);
                    for (int ch = 0; ch < c; ch++) {
                        double gv = gyr.get((b * c + ch) * points + p);
                        if (gv == 0) {
                            continue;
                        }
                        int base = (b * c + ch) * spatial;
                        for (int k = 0; k < taps.count; k++) {
                            int at = base + taps.offset[k];
                            if (wantX) {
                                gxw.set(at, gxr.get(at) + gv * taps.weight[k]);
                            }
                            if (wantGrid) {
                                double xv = xr.get(at);
                                for (int d = 0; d < r; d++) {
                                    dg[d] += gv * xv * taps.slope[d][k];
                                }
                            }
                        }
                    }
                    if (wantGrid) {
                        for (int d = 0; d < r; d++) {
                            // grid lists the innermost axis first
                            ggw.set(task * r + (r - 1 - d), dg[d]);
                        }
                    }
                }
            }
        });
        if (wantX) {
            res[0] = Access.toType(gx, x.dtype());
        }
        if (wantGrid) {
            res[1] = Access.toType(gg, grid.dtype());
        }
        return res;
    }

    private int tapsPerPoint(int r) {
        int per = mode == Mode.LINEAR ? 2 : mode == Mode.CUBIC ? 4 : 1;
        return (int) Math.pow(per, r);
    }

    /**
     * The samples behind one output point: the flat offsets and weights of the taps that read the
     * input (taps outside it, zero-padded, are left out), and optionally each weight's derivative
     * with respect to each grid coordinate. One per thread; {@link #at} refills it.
     */
    private final class Taps {
        final int r;
        final int[] size;
        final int[] strides;
        final int per;
        final int total;
        final int[] idx;
        final double[] wt;
        final double[] dwt;
        final int[] offset;
        final double[] weight;
        /** slope[d][k]: d weight[k] / d grid coordinate of axis d; null when not asked for. */
        final double[][] slope;
        int count;

        Taps(int r, int[] size, boolean withSlopes) {
            this.r = r;
            this.size = size;
            this.strides = Shapes.strides(size);
            this.per = mode == Mode.LINEAR ? 2 : mode == Mode.CUBIC ? 4 : 1;
            this.total = (int) Math.pow(per, r);
            this.idx = new int[r * per];
            this.wt = new double[r * per];
            this.dwt = new double[r * per];
            this.offset = new int[total];
            this.weight = new double[total];
            this.slope = withSlopes ? new double[r][total] : null;
        }

        /** Fills the taps for the grid point whose r coordinates start at {@code gridOffset}. */
        void at(ElementAccess.Reader grid, int gridOffset) {
            for (int d = 0; d < r; d++) {
                // grid lists the innermost axis first
                axisTaps(grid.get(gridOffset + (r - 1 - d)), size[d], idx, wt, dwt, d * per);
            }
            count = 0;
            for (int k = 0; k < total; k++) {
                int off = 0;
                double w = 1;
                boolean in = true;
                int rem = k;
                for (int d = r - 1; d >= 0; d--) {
                    int t = d * per + rem % per;
                    rem /= per;
                    if (idx[t] < 0) {
                        in = false;
                        break;
                    }
                    off += idx[t] * strides[d];
                    w *= wt[t];
                }
                if (!in) {
                    continue;
                }
                offset[count] = off;
                weight[count] = w;
                if (slope != null) {
                    for (int d = 0; d < r; d++) {
                        double sl = 1;
                        int rm = k;
                        for (int e = r - 1; e >= 0; e--) {
                            int t = e * per + rm % per;
                            rm /= per;
                            sl *= e == d ? dwt[t] : wt[t];
                        }
                        slope[d][count] = sl;
                    }
                }
                count++;
            }
        }
    }

    /**
     * The taps of one axis for normalized coordinate g: indices (-1 = zero sample), weights and
     * the weights' derivatives with respect to g.
     */
    private void axisTaps(double g, int size, int[] idx, double[] wt, double[] dwt, int at) {
        double scale = alignCorners ? (size - 1) / 2.0 : size / 2.0;
        double u = alignCorners ? (g + 1) / 2 * (size - 1) : ((g + 1) * size - 1) / 2;
        switch (mode) {
            case NEAREST -> {
                double v = Math.rint(pad(u, size));
                idx[at] = inside(v, size) ? (int) v : -1;
                wt[at] = 1;
                dwt[at] = 0;
            }
            case LINEAR -> {
                double v = pad(u, size);
                double dv = padSlope(u, size) * scale;
                double f = Math.floor(v);
                double t = v - f;
                idx[at] = inside(f, size) ? (int) f : -1;
                wt[at] = 1 - t;
                dwt[at] = -dv;
                idx[at + 1] = inside(f + 1, size) ? (int) f + 1 : -1;
                wt[at + 1] = t;
                dwt[at + 1] = dv;
            }
            case CUBIC -> {
                double f = Math.floor(u);
                double t = u - f;
                wt[at] = cubicFar(t + 1);
                wt[at + 1] = cubicNear(t);
                wt[at + 2] = cubicNear(1 - t);
                wt[at + 3] = cubicFar(2 - t);
                dwt[at] = cubicFarSlope(t + 1) * scale;
                dwt[at + 1] = cubicNearSlope(t) * scale;
                dwt[at + 2] = -cubicNearSlope(1 - t) * scale;
                dwt[at + 3] = -cubicFarSlope(2 - t) * scale;
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

    private static double cubicNearSlope(double x) {
        return (3 * (CUBIC_A + 2) * x - 2 * (CUBIC_A + 3)) * x;
    }

    private static double cubicFarSlope(double x) {
        return (3 * CUBIC_A * x - 10 * CUBIC_A) * x + 8 * CUBIC_A;
    }

    /**
     * d pad(v) / dv: 1 for zeros; for border 1 strictly inside the clamp range, else 0; for
     * reflection +-1 by the parity of the number of reflections, 0 where clamped.
     */
    private double padSlope(double v, int size) {
        switch (padding) {
            case BORDER:
                return v > 0 && v < size - 1 ? 1 : 0;
            case REFLECTION: {
                double low = alignCorners ? 0 : -0.5;
                double high = alignCorners ? size - 1 : size - 0.5;
                if (high == low) {
                    return 0;
                }
                double span = high - low;
                double in = v - low;
                double sign = in < 0 ? -1 : 1;
                double flips = Math.floor(Math.abs(in) / span);
                double reflected = pad(v, size);
                if (reflected <= 0 || reflected >= size - 1) {
                    return 0;
                }
                return flips % 2 == 0 ? sign : -sign;
            }
            default:
                return 1;
        }
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
