package dev.sonnx.runtime.ops.norm;

import dev.sonnx.runtime.ops.BackwardContext;
import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.ops.kernel.TypeCheck;
import dev.sonnx.runtime.tensor.Shapes;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;

/**
 * LpNormalization (1): x divided by its L1 or L2 norm along {@code axis}. A zero vector stays zero
 * (as ONNX Runtime does) rather than becoming NaN.
 */
final class LpNormalization extends Operator {
    private final int axis;
    private final int p;

    LpNormalization(Node node) {
        super(node);
        var at = node.attributes();
        this.axis = at.getInt("axis", -1);
        long pv = at.getLong("p", 2);
        if (pv != 1 && pv != 2) {
            throw new IllegalArgumentException("attribute 'p' must be 1 or 2, got " + pv);
        }
        this.p = (int) pv;
    }

    /** x viewed as outer x length x inner, normalized along the middle. */
    private record View(int outer, int length, int inner) {
    }

    private View view(Tensor x) {
        if (x.rank() == 0) {
            throw new IllegalArgumentException("input must have rank >= 1, got a scalar");
        }
        int a = Shapes.axis(axis, x.rank());
        return new View(Shapes.product(x.shape(), 0, a), x.dim(a), Shapes.product(x.shape(), a + 1, x.rank()));
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor x = required(inputs, 0);
        TypeCheck.require(x, TypeCheck.FLOATS, "input");
        View v = view(x);
        double[] xs = Rows.all(x);
        double[] ys = new double[xs.length];
        ctx.device().parallelFor(v.outer * v.inner, 3L * v.length + 1, (s, e) -> {
            for (int q = s; q < e; q++) {
                int base = (q / v.inner) * v.length * v.inner + q % v.inner;
                double norm = norm(xs, base, v);
                for (int j = 0; j < v.length; j++) {
                    int i = base + j * v.inner;
                    ys[i] = norm == 0 ? 0 : xs[i] / norm;
                }
            }
        });
        return outputs(Rows.tensor(x, ys, x.shape()));
    }

    private double norm(double[] xs, int base, View v) {
        double acc = 0;
        for (int j = 0; j < v.length; j++) {
            double xv = xs[base + j * v.inner];
            acc += p == 1 ? Math.abs(xv) : xv * xv;
        }
        return p == 1 ? acc : Math.sqrt(acc);
    }

    @Override
    public boolean differentiable() {
        return true;
    }

    /**
     * With y = x / |x|_p and d|x|_p / dx = y (p = 2) or sign(x) (p = 1):
     * dx = (dy - d|x|/dx * sum(dy * y)) / |x|_p; zero where the norm is zero.
     */
    @Override
    public Tensor[] backward(BackwardContext g) {
        Tensor gy = g.gradOutput(0);
        if (gy == null || !g.needsGrad(0)) {
            return new Tensor[1];
        }
        Tensor x = g.input(0);
        View v = view(x);
        double[] xs = Rows.all(x);
        double[] gs = Rows.all(gy);
        double[] dx = new double[xs.length];
        g.device().parallelFor(v.outer * v.inner, 6L * v.length + 1, (s, e) -> {
            for (int q = s; q < e; q++) {
                int base = (q / v.inner) * v.length * v.inner + q % v.inner;
                double norm = norm(xs, base, v);
                if (norm == 0) {
                    continue;
                }
                double dot = 0;
                for (int j = 0; j < v.length; j++) {
                    int i = base + j * v.inner;
                    dot += gs[i] * xs[i] / norm;
                }
                for (int j = 0; j < v.length; j++) {
                    int i = base + j * v.inner;
                    double dNorm = p == 2 ? xs[i] / norm : Math.signum(xs[i]);
                    dx[i] = (gs[i] - dNorm * dot) / norm;
                }
            }
        });
        return new Tensor[] {Rows.tensor(x, dx, x.shape())};
    }
}
