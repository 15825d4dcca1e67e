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
 * AffineGrid (20): the sampling grid of an affine transform, for GridSample. For theta
 * {@code [N, 2, 3]} and size {@code [N, C, H, W]} the output is {@code [N, H, W, 2]} with
 * {@code grid[n, h, w] = theta[n] . (x_w, y_h, 1)}; in 3-D theta is {@code [N, 3, 4]}, size
 * {@code [N, C, D, H, W]}, output {@code [N, D, H, W, 3]} from {@code (x_w, y_h, z_d, 1)}. Base
 * coordinates span [-1, 1]: pixel centers {@code (2i + 1) / S - 1}, or the corner pixels themselves
 * with align_corners ({@code -1 + 2i / (S - 1)}, 0 when S = 1). The grid is linear in theta, which
 * is what backward differentiates (spatial transformer networks train theta).
 */
final class AffineGrid extends Operator {
    private final boolean alignCorners;

    AffineGrid(Node node) {
        super(node);
        int ac = node.attributes().getInt("align_corners", 0);
        if (ac != 0 && ac != 1) {
            throw new IllegalArgumentException("attribute 'align_corners' must be 0 or 1, got " + ac);
        }
        this.alignCorners = ac == 1;
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor theta = required(inputs, 0);
        int[] spatial = spatialSize(theta, required(inputs, 1));
        int r = spatial.length;
        int n = theta.dim(0);
        int points = Shapes.product(spatial, 0, r);
        int[] outShape = new int[r + 2];
        outShape[0] = n;
        System.arraycopy(spatial, 0, outShape, 1, r);
        outShape[r + 1] = r;
        Tensor y = Tensor.zeros(theta.dtype(), outShape);
        double[][] base = baseCoordinates(spatial);
        ElementAccess.Reader tr = ElementAccess.reader(theta);
        ElementAccess.Writer yw = ElementAccess.writer(y);
        ctx.device().parallelFor(n * points, 4L * r * (r + 1), (s, e) -> {
            double[] p = new double[r + 1];
            for (int task = s; task < e; task++) {
                int b = task / points;
                point(task % points, spatial, base, p);
                for (int i = 0; i < r; i++) {
                    double v = 0;
                    for (int j = 0; j <= r; j++) {
                        v += tr.get((b * r + i) * (r + 1) + j) * p[j];
                    }
                    yw.set(task * r + i, v);
                }
            }
        });
        return outputs(y);
    }

    @Override
    public boolean differentiable() {
        return true;
    }

    /** dtheta[n, i, j] = sum over points of dgrid[n, point, i] * base(point)[j]. */
    @Override
    public Tensor[] backward(BackwardContext g) {
        Tensor[] res = new Tensor[2];
        Tensor gy = g.gradOutput(0);
        if (gy == null || !g.needsGrad(0)) {
            return res;
        }
        Tensor theta = g.input(0);
        int[] spatial = spatialSize(theta, g.input(1));
        int r = spatial.length;
        int n = theta.dim(0);
        int points = Shapes.product(spatial, 0, r);
        double[][] base = baseCoordinates(spatial);
        Tensor gt = Tensor.zeros(theta.dtype(), theta.shape());
        ElementAccess.Reader gr = ElementAccess.reader(gy);
        ElementAccess.Writer gw = ElementAccess.writer(gt);
        g.device().parallelFor(n, (long) points * r * (r + 1), (s, e) -> {
            double[] p = new double[r + 1];
            double[] acc = new double[r * (r + 1)];
            for (int b = s; b < e; b++) {
                java.util.Arrays.fill(acc, 0);
                for (int q = 0; q < points; q++) {
                    point(q, spatial, base, p);
                    for (int i = 0; i < r; i++) {
                        double gv = gr.get((b * points + q) * r + i);
                        for (int j = 0; j <= r; j++) {
                            acc[i * (r + 1) + j] += gv * p[j];
                        }
                    }
                }
                for (int k = 0; k < acc.length; k++) {
                    gw.set(b * acc.length + k, acc[k]);
                }
            }
        });
        res[0] = gt;
        return res;
    }

    /** Validates theta against size and returns the spatial sizes (H, W) or (D, H, W). */
    private static int[] spatialSize(Tensor theta, Tensor size) {
        TypeCheck.require(theta, TypeCheck.FLOATS, "input theta");
        if (size.dtype() != DataType.INT64 || size.rank() != 1 || (size.size() != 4 && size.size() != 5)) {
            throw new IllegalArgumentException("input size is " + size.describe()
                    + "; expected int64[4] (N, C, H, W) or int64[5] (N, C, D, H, W)");
        }
        long[] s = size.toLongArray();
        int r = s.length - 2;
        if (theta.rank() != 3 || theta.dim(1) != r || theta.dim(2) != r + 1 || theta.dim(0) != s[0]) {
            throw new IllegalArgumentException("input theta has shape " + Shapes.toString(theta.shape())
                    + "; expected [" + s[0] + ", " + r + ", " + (r + 1) + "] for size " + java.util.Arrays.toString(s));
        }
        int[] spatial = new int[r];
        for (int i = 0; i < r; i++) {
            if (s[2 + i] < 0 || s[2 + i] > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("input size[" + (2 + i) + "] = " + s[2 + i] + " is out of range");
            }
            spatial[i] = (int) s[2 + i];
        }
        return spatial;
    }

    /** Per spatial axis, the normalized coordinate of each index. */
    private double[][] baseCoordinates(int[] spatial) {
        double[][] c = new double[spatial.length][];
        for (int d = 0; d < spatial.length; d++) {
            int len = spatial[d];
            c[d] = new double[len];
            for (int i = 0; i < len; i++) {
                c[d][i] = alignCorners ? (len > 1 ? -1 + 2.0 * i / (len - 1) : 0) : (2.0 * i + 1) / len - 1;
            }
        }
        return c;
    }

    /** The homogeneous base point (x, y[, z], 1) of flat spatial index q; x runs along the last axis. */
    private static void point(int q, int[] spatial, double[][] base, double[] p) {
        int r = spatial.length;
        for (int d = r - 1; d >= 0; d--) {
            int i = q % spatial[d];
            q /= spatial[d];
            p[r - 1 - d] = base[d][i];
        }
        p[r] = 1;
    }
}
