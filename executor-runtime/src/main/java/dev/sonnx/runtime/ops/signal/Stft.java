package dev.sonnx.runtime.ops.signal;

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

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
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
        int frames = 1 + (signal - fl) / hop;
        int bins = onesided ? fl / 2 + 1 : fl;
        int batch = x.dim(0);
        Tensor y = Tensor.zeros(x.dtype(), batch, frames, bins, 2);
        double[] w = window == null ? null : window.toDoubleArray();
        Fft fft = Fft.of(fl);
        Samples.Reader in = Samples.reader(x);
        Samples.Writer out = Samples.writer(y);
        int comps = x.dim(2);
        ctx.device().parallelFor(batch * frames, 16L * fl * (33 - Integer.numberOfLeadingZeros(fl)), (s, e) -> {
            double[] re = new double[fl];
            double[] im = new double[fl];
            for (int task = s; task < e; task++) {
                int b = task / frames;
                int f = task % frames;
                for (int j = 0; j < fl; j++) {
                    int at = (b * signal + f * hop + j) * comps;
                    double scale = w == null ? 1 : w[j];
                    re[j] = in.get(at) * scale;
                    im[j] = complex ? in.get(at + 1) * scale : 0;
                }
                fft.transform(re, im, false);
                int o = task * bins * 2;
                for (int k = 0; k < bins; k++) {
                    out.set(o + 2 * k, re[k]);
                    out.set(o + 2 * k + 1, im[k]);
                }
            }
        });
        return outputs(y);
    }
}
