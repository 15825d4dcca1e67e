package dev.sonnx.runtime.ops.signal;

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

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor x = required(inputs, 0);
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
        int[] outShape = x.shape().clone();
        outShape[ax] = outLen;
        outShape[r - 1] = 2;
        Tensor y = Tensor.zeros(x.dtype(), outShape);
        int comps = x.dim(-1);
        int outer = Shapes.product(x.shape(), 0, ax);
        int inner = Shapes.product(x.shape(), ax + 1, r - 1);
        if (y.size() == 0) {
            return outputs(y);
        }
        Fft fft = Fft.of(n);
        Samples.Reader in = Samples.reader(x);
        Samples.Writer out = Samples.writer(y);
        int copy = Math.min(n, nIn);
        int lines = outer * inner;
        int len = n;
        ctx.device().parallelFor(lines, 16L * n * (32 - Integer.numberOfLeadingZeros(n)), (s, e) -> {
            double[] re = new double[len];
            double[] im = new double[len];
            for (int line = s; line < e; line++) {
                int o = line / inner;
                int i = line % inner;
                java.util.Arrays.fill(re, 0);
                java.util.Arrays.fill(im, 0);
                for (int j = 0; j < copy; j++) {
                    int at = ((o * nIn + j) * inner + i) * comps;
                    re[j] = in.get(at);
                    if (comps == 2) {
                        im[j] = in.get(at + 1);
                    }
                }
                fft.transform(re, im, inverse);
                for (int k = 0; k < outLen; k++) {
                    int at = ((o * outLen + k) * inner + i) * 2;
                    out.set(at, re[k]);
                    out.set(at + 1, im[k]);
                }
            }
        });
        return outputs(y);
    }
}
