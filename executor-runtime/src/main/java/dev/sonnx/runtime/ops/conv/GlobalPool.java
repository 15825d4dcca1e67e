package dev.sonnx.runtime.ops.conv;

import dev.sonnx.runtime.ops.BackwardContext;
import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.ops.kernel.TypeCheck;
import dev.sonnx.runtime.tensor.Shapes;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import java.util.Arrays;

/**
 * GlobalAveragePool, GlobalMaxPool (1) and GlobalLpPool (1, 2): one value per (image, channel)
 * plane, over all spatial dimensions; Y is {@code [N, C, 1, ...]} with X's rank. GlobalMaxPool
 * ignores NaN as MaxPool does.
 */
final class GlobalPool extends Operator {
    enum Kind { AVERAGE, MAX, LP }

    private final Kind kind;
    private final double p;

    Kind kind() {
        return kind;
    }

    GlobalPool(Node node, Kind kind, int version) {
        super(node);
        this.kind = kind;
        this.p = kind == Kind.LP ? LpNorm.parseP(node, version) : 0;
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor x = required(inputs, 0);
        TypeCheck.require(x, TypeCheck.FLOATS, "input X");
        if (x.rank() < 2) {
            throw new IllegalArgumentException("input X has shape " + Arrays.toString(x.shape())
                    + ", expected [N, C, D1, ...]");
        }
        int[] outShape = x.shape().clone();
        Arrays.fill(outShape, 2, outShape.length, 1);
        Tensor y = Tensor.uninitialized(x.dtype(), outShape);
        int size = planeSize(x);
        int planes = x.shape()[0] * x.shape()[1];
        double lowest = MaxPool.lowest(x.dtype());
        ctx.device().parallelFor(planes, size, (s, e) -> {
            double[] in = new double[size];
            double[] out = new double[1];
            for (int plane = s; plane < e; plane++) {
                Planes.load(x, plane * size, size, in);
                out[0] = reduce(in, size, lowest);
                Planes.store(out, 1, y, plane);
            }
        });
        return outputs(y);
    }

    private static int planeSize(Tensor x) {
        return Shapes.product(x.shape(), 2, x.rank());
    }

    private double reduce(double[] v, int n, double lowest) {
        switch (kind) {
            case AVERAGE: {
                double s = 0;
                for (int i = 0; i < n; i++) {
                    s += v[i];
                }
                return s / n;
            }
            case MAX: {
                // NaN ignored, as MaxPool does
                double m = lowest;
                for (int i = 0; i < n; i++) {
                    if (v[i] > m) {
                        m = v[i];
                    }
                }
                return m;
            }
            default: {
                LpNorm.powAbs(v, n, p);
                double[] acc = {0};
                for (int i = 0; i < n; i++) {
                    acc[0] += v[i];
                }
                LpNorm.root(acc, 1, p);
                return acc[0];
            }
        }
    }

    @Override
    public boolean differentiable() {
        return true;
    }

    /**
     * Average: dY / size to every element; max: dY to the first maximum; Lp: dY times
     * sign(x) |x|^(p-1) / y^(p-1).
     */
    @Override
    public Tensor[] backward(BackwardContext g) {
        Tensor gy = g.gradOutput(0);
        if (gy == null || !g.needsGrad(0)) {
            return new Tensor[1];
        }
        Tensor x = g.input(0);
        Tensor y = g.output(0);
        Tensor gx = Tensor.uninitialized(x.dtype(), x.shape()); // each plane is stored whole
        int size = planeSize(x);
        int planes = x.shape()[0] * x.shape()[1];
        g.device().parallelFor(planes, size, (s, e) -> {
            double[] in = new double[size];
            double[] dx = new double[size];
            double[] one = new double[1];
            double[] out = new double[1];
            for (int plane = s; plane < e; plane++) {
                Planes.load(gy, plane, 1, one);
                double d = one[0];
                Arrays.fill(dx, 0);
                if (kind == Kind.AVERAGE) {
                    Arrays.fill(dx, d / size);
                } else {
                    Planes.load(x, plane * size, size, in);
                    Planes.load(y, plane, 1, out);
                    if (kind == Kind.MAX) {
                        for (int i = 0; i < size; i++) {
                            if (in[i] == out[0]) {
                                dx[i] = d;
                                break;
                            }
                        }
                    } else {
                        one[0] = d;
                        LpNorm.scaleByNorm(one, out, 1, p);
                        Arrays.fill(dx, one[0]);
                        LpNorm.multiplyByDerivative(dx, in, size, p);
                    }
                }
                Planes.store(dx, size, gx, plane * size);
            }
        });
        return new Tensor[] {gx};
    }
}
