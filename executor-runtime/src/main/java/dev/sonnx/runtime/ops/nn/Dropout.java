package dev.sonnx.runtime.ops.nn;

import dev.sonnx.runtime.ops.BackwardContext;
import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.ops.kernel.TypeCheck;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Device;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.Set;

/**
 * Dropout. Outside training it is the identity (mask all true). Training means: a training run of
 * sonnx ({@link OpContext#training()}), or from opset 12 the {@code training_mode} input set true;
 * through opset 6 an {@code is_test} attribute set to 1 keeps it the identity even then. Training
 * keeps each element where u >= ratio, u uniform in [0, 1), and scales the kept ones by
 * 1 / (1 - ratio). With a {@code seed} attribute (opset 12) u comes from numpy's legacy generator
 * seeded afresh at every run, so masks equal {@code np.random.seed(seed); np.random.uniform(0, 1,
 * shape) >= ratio}; without one, from the run's generator. The ratio is an attribute through opset
 * 10 and an optional input from 12 (default 0.5); the mask is of the data's type before opset 10
 * and bool from 10.
 */
final class Dropout extends Operator {
    private final Set<DataType> allowed;
    private final boolean ratioInput;
    private final double ratioAttribute;
    private final boolean isTest;
    private final boolean boolMask;
    /** The seed attribute; null when absent. */
    private final Long seed;

    Dropout(Node node, int since, Set<DataType> allowed) {
        super(node);
        this.allowed = allowed;
        var a = node.attributes();
        this.ratioInput = since >= 12;
        this.ratioAttribute = ratioInput ? 0.5 : a.getFloat("ratio", 0.5f);
        if (!ratioInput) {
            checkRatio(ratioAttribute, "attribute 'ratio'");
        }
        this.isTest = since < 7 && a.getInt("is_test", 0) != 0;
        this.boolMask = since >= 10;
        this.seed = since >= 12 && a.has("seed") ? a.getLong("seed", 0) : null;
    }

    private static void checkRatio(double ratio, String what) {
        if (!(ratio >= 0 && ratio <= 1)) {
            throw new IllegalArgumentException(what + " = " + ratio + " must be in [0, 1]");
        }
    }

    @Override
    public boolean deterministic() {
        return false;
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor x = required(inputs, 0);
        TypeCheck.require(x, allowed, "input 'data'");
        double ratio = ratioAttribute;
        boolean training = ctx.training() && !isTest;
        if (ratioInput) {
            Tensor r = tensor(inputs, 1);
            if (r != null) {
                TypeCheck.require(r, TypeCheck.FLOATS, "input 'ratio'");
                requireScalar(r, "input 'ratio'");
                ratio = r.getDouble(0);
                checkRatio(ratio, "input 'ratio'");
            }
            Tensor t = tensor(inputs, 2);
            if (t != null) {
                TypeCheck.require(t, TypeCheck.BOOL, "input 'training_mode'");
                requireScalar(t, "input 'training_mode'");
                training |= t.getBool(0);
            }
        }
        boolean wantMask = node.hasOutput(1);
        if (!training || ratio == 0) {
            if (ctx.recording()) {
                ctx.saveForBackward(null);
            }
            return outputs(x, wantMask ? ones(x) : null);
        }
        boolean[] keep = draw(x.size(), ratio, ctx);
        // ratio 1 drops everything; multiplying by 1 / 0 would turn the zeros into NaN.
        double scale = ratio >= 1 ? 0 : 1 / (1 - ratio);
        Tensor y = Tensor.uninitialized(x.dtype(), x.shape());
        apply(x, keep, scale, y, ctx.device());
        if (ctx.recording()) {
            ctx.saveForBackward(new Saved(keep, scale));
        }
        return outputs(y, wantMask ? mask(keep, x) : null);
    }

    private static void requireScalar(Tensor t, String what) {
        if (t.size() != 1) {
            throw new IllegalArgumentException(what + " must be a scalar, got shape " + Arrays.toString(t.shape()));
        }
    }

    /** keep[i] = u_i >= ratio, u drawn in row-major order. */
    private boolean[] draw(int n, double ratio, OpContext ctx) {
        boolean[] keep = new boolean[n];
        if (seed != null) {
            NumpyLegacyRandom rng = new NumpyLegacyRandom(seed);
            for (int i = 0; i < n; i++) {
                keep[i] = rng.nextDouble() >= ratio;
            }
        } else {
            var rng = ctx.random();
            for (int i = 0; i < n; i++) {
                keep[i] = rng.nextDouble() >= ratio;
            }
        }
        return keep;
    }

    /** out = keep ? in * scale : 0, in the tensors' type. */
    private static void apply(Tensor in, boolean[] keep, double scale, Tensor out, Device device) {
        if (in.dtype() == DataType.FLOAT) {
            FloatBuffer a = in.floats();
            FloatBuffer b = out.floats();
            float s = (float) scale;
            device.parallelFor(keep.length, 2, (from, to) -> {
                for (int i = from; i < to; i++) {
                    b.put(i, keep[i] ? a.get(i) * s : 0f);
                }
            });
        } else {
            device.parallelFor(keep.length, 4, (from, to) -> {
                for (int i = from; i < to; i++) {
                    out.setDouble(i, keep[i] ? in.getDouble(i) * scale : 0);
                }
            });
        }
    }

    private Tensor mask(boolean[] keep, Tensor x) {
        Tensor m = Tensor.uninitialized(boolMask ? DataType.BOOL : x.dtype(), x.shape());
        if (boolMask) {
            ByteBuffer b = m.bytes();
            for (int i = 0; i < keep.length; i++) {
                b.put(i, (byte) (keep[i] ? 1 : 0));
            }
        } else {
            for (int i = 0; i < keep.length; i++) {
                m.setDouble(i, keep[i] ? 1 : 0);
            }
        }
        return m;
    }

    private Tensor ones(Tensor x) {
        boolean[] all = new boolean[x.size()];
        Arrays.fill(all, true);
        return mask(all, x);
    }

    /** The kept elements and their scale, for backward; null saved means the identity ran. */
    private record Saved(boolean[] keep, double scale) {
    }

    @Override
    public boolean differentiable() {
        return true;
    }

    /** The ratio and training_mode inputs are settings. */
    @Override
    public boolean differentiableInput(int index) {
        return index == 0;
    }

    @Override
    public Tensor[] backward(BackwardContext g) {
        Tensor[] grads = new Tensor[node.inputCount()];
        Tensor gy = g.gradOutput(0);
        if (gy == null || !g.needsGrad(0)) {
            return grads;
        }
        if (!(g.saved() instanceof Saved s)) {
            grads[0] = gy;
            return grads;
        }
        Tensor gx = Tensor.uninitialized(gy.dtype(), gy.shape());
        apply(gy, s.keep(), s.scale(), gx, g.device());
        grads[0] = gx;
        return grads;
    }
}
