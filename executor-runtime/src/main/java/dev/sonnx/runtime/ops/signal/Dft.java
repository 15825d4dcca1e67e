package dev.sonnx.runtime.ops.signal;

import dev.sonnx.runtime.ops.kernel.ElementAccess;
import dev.sonnx.runtime.ops.BackwardContext;
import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.ops.kernel.TypeCheck;
import dev.sonnx.runtime.tensor.Shapes;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;

/**
 * DFT (17: axis attribute, default 1; 20: axis input, default -2). The input holds real signals
 * ({@code [..., 1]}) or complex ones ({@code [..., 2]}: real, imaginary); the output is complex. The
 * signal along {@code axis} is zero-padded or truncated to {@code dft_length}; {@code inverse} gives
 * the normalized inverse transform; {@code onesided} keeps the first {@code floor(n/2) + 1} bins,
 * which determine the rest for real signals.
 */
final class Dft extends Operator {
    private final boolean inverse;
    private final boolean onesided;
    /** Version 17's axis attribute; version 20 reads the axis input instead. */
    private final int axisAttribute;
    private final boolean axisIsInput;

    Dft(Node node, boolean axisIsInput) {
        super(node);
        var a = node.attributes();
        this.inverse = flag(a.getInt("inverse", 0), "inverse");
        this.onesided = flag(a.getInt("onesided", 0), "onesided");
        this.axisIsInput = axisIsInput;
        this.axisAttribute = axisIsInput ? -2 : a.getInt("axis", 1);
    }

    static boolean flag(int v, String name) {
        if (v != 0 && v != 1) {
            throw new IllegalArgumentException("attribute '" + name + "' must be 0 or 1, got " + v);
        }
        return v == 1;
    }

    /** Where the transform runs: lines of the input along the axis, their lengths and layout. */
    private record Plan(int axis, int nIn, int n, int outLen, int outer, int inner, int comps) {
        int[] outShape(int[] in) {
            int[] s = in.clone();
            s[axis] = outLen;
            s[s.length - 1] = 2;
            return s;
        }
    }

    private Plan plan(Tensor x, Value[] inputs) {
        TypeCheck.require(x, TypeCheck.FLOATS, "input");
        int r = x.rank();
        if (r < 2 || (x.dim(-1) != 1 && x.dim(-1) != 2)) {
            throw new IllegalArgumentException("input has shape " + Shapes.toString(x.shape())
                    + "; expected [..., signal, 1] (real) or [..., signal, 2] (complex)");
        }
        int axis = axisAttribute;
        Tensor axisT = axisIsInput ? tensor(inputs, 2) : null;
        if (axisT != null) {
            axis = (int) Samples.scalarLong(axisT, "axis");
        }
        int ax = axis < 0 ? axis + r : axis;
        if (ax < 0 || ax > r - 2) {
            throw new IllegalArgumentException("axis " + axis + " is out of range for input of rank " + r
                    + "; expected [-" + r + ", -2] or [0, " + (r - 2) + "]");
        }
        int nIn = x.dim(ax);
        int n = nIn;
        Tensor lenT = tensor(inputs, 1);
        if (lenT != null) {
            long v = Samples.scalarLong(lenT, "dft_length");
            if (v <= 0 || v > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("input dft_length = " + v + " must be positive");
            }
            n = (int) v;
        }
        int outLen = onesided && n > 0 ? n / 2 + 1 : n;
        return new Plan(ax, nIn, n, outLen, Shapes.product(x.shape(), 0, ax), Shapes.product(x.shape(), ax + 1, r - 1),
                x.dim(-1));
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor x = required(inputs, 0);
        Plan p = plan(x, inputs);
        Tensor y = Tensor.zeros(x.dtype(), p.outShape(x.shape()));
        if (y.size() == 0) {
            return outputs(y);
        }
        Fft fft = Fft.of(p.n);
        ElementAccess.Reader in = ElementAccess.reader(x);
        ElementAccess.Writer out = ElementAccess.writer(y);
        int copy = Math.min(p.n, p.nIn);
        int inner = p.inner;
        ctx.device().parallelFor(p.outer * inner, cost(p.n), (s, e) -> {
            double[] re = new double[p.n];
            double[] im = new double[p.n];
            for (int line = s; line < e; line++) {
                int o = line / inner;
                int i = line % inner;
                java.util.Arrays.fill(re, 0);
                java.util.Arrays.fill(im, 0);
                for (int j = 0; j < copy; j++) {
                    int at = ((o * p.nIn + j) * inner + i) * p.comps;
                    re[j] = in.get(at);
                    if (p.comps == 2) {
                        im[j] = in.get(at + 1);
                    }
                }
                fft.transform(re, im, inverse);
                for (int k = 0; k < p.outLen; k++) {
                    int at = ((o * p.outLen + k) * inner + i) * 2;
                    out.set(at, re[k]);
                    out.set(at + 1, im[k]);
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
     * The DFT is linear, so the input's gradient is its adjoint applied to the output's: the
     * conjugate transform (n times the inverse for a forward DFT, 1/n times the forward for an
     * inverse one), with dropped (onesided) bins read as 0, then cut or zero-extended back to the
     * input length; a real input keeps the real part.
     */
    @Override
    public Tensor[] backward(BackwardContext g) {
        Tensor[] res = new Tensor[g.inputCount()];
        Tensor gy = g.gradOutput(0);
        if (gy == null || !g.needsGrad(0)) {
            return res;
        }
        Tensor x = g.input(0);
        Value[] inputs = new Value[g.inputCount()];
        for (int i = 0; i < inputs.length; i++) {
            inputs[i] = g.input(i);
        }
        Plan p = plan(x, inputs);
        Tensor gx = Tensor.zeros(x.dtype(), x.shape());
        if (gx.size() == 0) {
            res[0] = gx;
            return res;
        }
        Fft fft = Fft.of(p.n);
        ElementAccess.Reader in = ElementAccess.reader(gy);
        ElementAccess.Writer out = ElementAccess.writer(gx);
        int copy = Math.min(p.n, p.nIn);
        int inner = p.inner;
        double scale = inverse ? 1.0 / p.n : p.n;
        g.device().parallelFor(p.outer * inner, cost(p.n), (s, e) -> {
            double[] re = new double[p.n];
            double[] im = new double[p.n];
            for (int line = s; line < e; line++) {
                int o = line / inner;
                int i = line % inner;
                java.util.Arrays.fill(re, 0);
                java.util.Arrays.fill(im, 0);
                for (int k = 0; k < p.outLen; k++) {
                    int at = ((o * p.outLen + k) * inner + i) * 2;
                    re[k] = in.get(at);
                    im[k] = in.get(at + 1);
                }
                fft.transform(re, im, !inverse);
                for (int j = 0; j < copy; j++) {
                    int at = ((o * p.nIn + j) * inner + i) * p.comps;
                    out.set(at, re[j] * scale);
                    if (p.comps == 2) {
                        out.set(at + 1, im[j] * scale);
                    }
                }
            }
        });
        res[0] = gx;
        return res;
    }

    private static long cost(int n) {
        return 16L * n * (33 - Integer.numberOfLeadingZeros(Math.max(n, 1)));
    }
}
