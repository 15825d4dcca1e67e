package dev.sonnx.runtime.ops.conv;

import dev.sonnx.runtime.ops.BackwardContext;
import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.conv.dnnl.DnnlPooling;
import dev.sonnx.runtime.ops.kernel.TypeCheck;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import java.util.Arrays;

/**
 * LpPool (1, 2, 18): the p-norm (sum |x|^p)^(1/p) over each window; padding contributes zeros.
 * Version 1 takes {@code p} as a float, later ones as an int; 18 adds {@code ceil_mode} and
 * {@code dilations}.
 */
final class LpPool extends WindowPool {
    private final double p;

    LpPool(Node node, int version) {
        super(node, TypeCheck.FLOATS, version >= 18, version >= 18);
        this.p = LpNorm.parseP(node, version);
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor x = required(inputs, 0);
        Window w = window(x);
        Tensor y = Tensor.zeros(x.dtype(), outShape(x, w));
        int imageSize = w.imageSize;
        int positions = w.positionCount;
        int[] table = w.table();
        int taps = w.kernelSize;
        ctx.device().parallelFor(planes(x), (long) taps * positions, (s, e) -> {
            double[] in = new double[imageSize];
            double[] acc = new double[positions];
            for (int plane = s; plane < e; plane++) {
                Planes.load(x, plane * imageSize, imageSize, in);
                LpNorm.powAbs(in, imageSize, p);
                Arrays.fill(acc, 0);
                for (int k = 0; k < taps; k++) {
                    int base = k * positions;
                    for (int q = 0; q < positions; q++) {
                        int i = table[base + q];
                        if (i >= 0) {
                            acc[q] += in[i];
                        }
                    }
                }
                LpNorm.root(acc, positions, p);
                Planes.store(acc, positions, y, plane * positions);
            }
        });
        return outputs(y);
    }

    @Override
    public boolean differentiable() {
        return true;
    }

    /** dy/dx = sign(x) |x|^(p-1) / y^(p-1) for every tap of every window x falls in. */
    @Override
    public Tensor[] backward(BackwardContext g) {
        Tensor gy = g.gradOutput(0);
        if (gy == null || !g.needsGrad(0)) {
            return new Tensor[1];
        }
        Tensor x = g.input(0);
        Tensor y = g.output(0);
        Window w = window(x);
        Tensor gx = Tensor.zeros(x.dtype(), x.shape());
        int imageSize = w.imageSize;
        int positions = w.positionCount;
        int[] table = w.table();
        int taps = w.kernelSize;
        g.device().parallelFor(planes(x), (long) taps * positions, (s, e) -> {
            double[] in = new double[imageSize];
            double[] out = new double[positions];
            double[] dy = new double[positions];
            double[] dx = new double[imageSize];
            for (int plane = s; plane < e; plane++) {
                Planes.load(x, plane * imageSize, imageSize, in);
                Planes.load(y, plane * positions, positions, out);
                Planes.load(gy, plane * positions, positions, dy);
                LpNorm.scaleByNorm(dy, out, positions, p);
                Arrays.fill(dx, 0);
                for (int k = 0; k < taps; k++) {
                    int base = k * positions;
                    for (int q = 0; q < positions; q++) {
                        int i = table[base + q];
                        if (i >= 0) {
                            dx[i] += dy[q];
                        }
                    }
                }
                LpNorm.multiplyByDerivative(dx, in, imageSize, p);
                Planes.store(dx, imageSize, gx, plane * imageSize);
            }
        });
        return new Tensor[] {gx};
    }

    /** oneDNN has no Lp pooling. */
    @Override
    DnnlPooling.Kind dnnlKind(Window w) {
        return null;
    }
}
