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
 * STFT (17): the DFT of frames of {@code frame_length} samples taken every {@code frame_step} samples
 * from signals {@code [batch, length, 1 | 2]}, each multiplied by {@code window} when given. Output
 * {@code [batch, frames, bins, 2]} with {@code frames = 1 + (length - frame_length) / frame_step} and
 * {@code bins = frame_length / 2 + 1} when {@code onesided} (the default), else {@code frame_length}.
 */
final class Stft extends Operator {
    private final boolean onesided;

    Stft(Node node) {
        super(node);
        this.onesided = Dft.flag(node.attributes().getInt("onesided", 1), "onesided");
    }

    /** The framing of one call. */
    private record Plan(int batch, int signal, int comps, int frameLength, int hop, int frames, int bins,
                        double[] window) {
    }

    private Plan plan(Value[] inputs) {
        Tensor x = required(inputs, 0);
        TypeCheck.require(x, TypeCheck.FLOATS, "input signal");
        if (x.rank() != 3 || (x.dim(2) != 1 && x.dim(2) != 2)) {
            throw new IllegalArgumentException("input signal has shape " + Shapes.toString(x.shape())
                    + "; expected [batch, signal_length, 1] (real) or [batch, signal_length, 2] (complex)");
        }
        long step = Samples.scalarLong(required(inputs, 1), "frame_step");
        if (step <= 0) {
            throw new IllegalArgumentException("input frame_step = " + step + " must be positive");
        }
        Tensor window = tensor(inputs, 2);
        Tensor lenT = tensor(inputs, 3);
        long frameLength;
        if (window != null) {
            if (window.dtype() != x.dtype() || window.rank() != 1) {
                throw new IllegalArgumentException("input window is " + window.describe()
                        + "; expected a 1-D " + x.dtype().onnxName() + " tensor");
            }
            frameLength = window.dim(0);
            if (lenT != null && Samples.scalarLong(lenT, "frame_length") != frameLength) {
                throw new IllegalArgumentException("input frame_length = " + Samples.scalarLong(lenT, "frame_length")
                        + " differs from the window's length " + frameLength);
            }
        } else if (lenT != null) {
            frameLength = Samples.scalarLong(lenT, "frame_length");
        } else {
            throw new IllegalArgumentException("STFT needs input window or frame_length to know the frame length");
        }
        int signal = x.dim(1);
        if (frameLength <= 0 || frameLength > signal) {
            throw new IllegalArgumentException("frame length " + frameLength + " must be in [1, " + signal
                    + "] (the signal length)");
        }
        boolean complex = x.dim(2) == 2;
        if (onesided && complex) {
            throw new IllegalArgumentException("onesided = 1 needs a real signal ([..., 1]); this one is complex");
        }
        int fl = (int) frameLength;
        int hop = (int) Math.min(step, Integer.MAX_VALUE);
        return new Plan(x.dim(0), signal, x.dim(2), fl, hop, 1 + (signal - fl) / hop, onesided ? fl / 2 + 1 : fl,
                window == null ? null : window.toDoubleArray());
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor x = required(inputs, 0);
        Plan p = plan(inputs);
        int fl = p.frameLength;
        Tensor y = Tensor.zeros(x.dtype(), p.batch, p.frames, p.bins, 2);
        Fft fft = Fft.of(fl);
        ElementAccess.Reader in = ElementAccess.reader(x);
        ElementAccess.Writer out = ElementAccess.writer(y);
        double[] w = p.window;
        ctx.device().parallelFor(p.batch * p.frames, cost(fl), (s, e) -> {
            double[] re = new double[fl];
            double[] im = new double[fl];
            for (int task = s; task < e; task++) {
                int b = task / p.frames;
                int f = task % p.frames;
                for (int j = 0; j < fl; j++) {
                    int at = (b * p.signal + f * p.hop + j) * p.comps;
                    double scale = w == null ? 1 : w[j];
                    re[j] = in.get(at) * scale;
                    im[j] = p.comps == 2 ? in.get(at + 1) * scale : 0;
                }
                fft.transform(re, im, false);
                int o = task * p.bins * 2;
                for (int k = 0; k < p.bins; k++) {
                    out.set(o + 2 * k, re[k]);
                    out.set(o + 2 * k + 1, im[k]);
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
     * Each frame's spectrum is the DFT of window . frame, so the gradient of window . frame is the
     * adjoint transform of the frame's output gradient (dropped onesided bins read as 0). Frames
     * overlap: their shares are added into the signal's gradient (times the window), and into the
     * window's (times the samples), one batch entry after another.
     */
    @Override
    public Tensor[] backward(BackwardContext g) {
        Tensor[] res = new Tensor[g.inputCount()];
        Tensor gy = g.gradOutput(0);
        boolean wantX = g.needsGrad(0);
        boolean wantW = g.needsGrad(2) && g.input(2) != null;
        if (gy == null || (!wantX && !wantW)) {
            return res;
        }
        Value[] inputs = new Value[g.inputCount()];
        for (int i = 0; i < inputs.length; i++) {
            inputs[i] = g.input(i);
        }
        Tensor x = g.input(0);
        Plan p = plan(inputs);
        int fl = p.frameLength;
        int tasks = p.batch * p.frames;
        double[] frameGrad = new double[tasks * fl * 2];
        Fft fft = Fft.of(fl);
        ElementAccess.Reader gin = ElementAccess.reader(gy);
        g.device().parallelFor(tasks, cost(fl), (s, e) -> {
            double[] re = new double[fl];
            double[] im = new double[fl];
            for (int task = s; task < e; task++) {
                java.util.Arrays.fill(re, 0);
                java.util.Arrays.fill(im, 0);
                for (int k = 0; k < p.bins; k++) {
                    re[k] = gin.get((task * p.bins + k) * 2);
                    im[k] = gin.get((task * p.bins + k) * 2 + 1);
                }
                // the adjoint of the unnormalized DFT: fl times the inverse
                fft.transform(re, im, true);
                for (int j = 0; j < fl; j++) {
                    frameGrad[(task * fl + j) * 2] = re[j] * fl;
                    frameGrad[(task * fl + j) * 2 + 1] = im[j] * fl;
                }
            }
        });
        double[] gx = new double[x.size()];
        double[] gw = new double[fl];
        ElementAccess.Reader xin = ElementAccess.reader(x);
        for (int task = 0; task < tasks; task++) {
            int b = task / p.frames;
            int f = task % p.frames;
            for (int j = 0; j < fl; j++) {
                int at = (b * p.signal + f * p.hop + j) * p.comps;
                double gre = frameGrad[(task * fl + j) * 2];
                double gim = frameGrad[(task * fl + j) * 2 + 1];
                double wj = p.window == null ? 1 : p.window[j];
                gx[at] += gre * wj;
                gw[j] += gre * xin.get(at);
                if (p.comps == 2) {
                    gx[at + 1] += gim * wj;
                    gw[j] += gim * xin.get(at + 1);
                }
            }
        }
        if (wantX) {
            res[0] = Tensor.fromDoubles(x.dtype(), gx, x.shape());
        }
        if (wantW) {
            res[2] = Tensor.fromDoubles(x.dtype(), gw, fl);
        }
        return res;
    }

    private static long cost(int n) {
        return 16L * n * (33 - Integer.numberOfLeadingZeros(Math.max(n, 1)));
    }
}
