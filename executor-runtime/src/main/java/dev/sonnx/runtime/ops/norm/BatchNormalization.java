package dev.sonnx.runtime.ops.norm;

import dev.sonnx.runtime.ops.BackwardContext;
import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.ops.conv.dnnl.DnnlBatchNorm;
import dev.sonnx.runtime.ops.kernel.TypeCheck;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Shapes;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * BatchNormalization: Y = (X - mean) / sqrt(var + epsilon) * scale + B per channel (axis 1; a 1-D X
 * is one channel). Which statistics:
 * <ul>
 *   <li>inference form (one output Y; {@code training_mode} 0 from opset 14): the inputs' running
 *       statistics; but in a sonnx training run ({@link OpContext#training()}) the batch's (population
 *       variance), and the running statistics are updated in place, as PyTorch does: running =
 *       momentum * running + (1 - momentum) * batch, with the batch's unbiased variance;</li>
 *   <li>training form ({@code training_mode} 1 from opset 14; before 14, a node asking for more than Y):
 *       the batch's, and the updated running statistics are outputs (per the ONNX spec, with the
 *       population variance); before opset 14 also saved_mean and saved_var (the batch mean and
 *       population variance).</li>
 * </ul>
 * Before opset 9, {@code spatial} = 0 gives every (channel, position) its own statistics.
 *
 * <p>The same class runs {@code dev.sonnx.NhwcBatchNormalization} in training runs, over images
 * stored channels-last ([N, spatial..., C]; training plans keep chains of convolutions in that
 * layout, where oneDNN's normalization has vector kernels and on [N, C, H, W] only a generic one),
 * there optionally followed by max(0, y) in the same pass ({@code fusedRelu}).
 */
final class BatchNormalization extends Operator {
    private final double epsilon;
    private final double momentum;
    private final boolean spatial;
    private final boolean trainingForm;
    /** X and Y stored [N, spatial..., C]. */
    private final boolean channelsLast;
    /** Y = max(0, the normalization): oneDNN's fused ReLU, whose workspace masks dY in backward. */
    private final boolean fusedRelu;

    /** {@code since}: the version entry the node bound to (1, 7, 9 or 14). */
    BatchNormalization(Node node, int since) {
        this(node, since, false, false);
    }

    /** The same over channels-last images when {@code channelsLast}, followed by a ReLU when {@code fusedRelu}. */
    BatchNormalization(Node node, int since, boolean channelsLast, boolean fusedRelu) {
        super(node);
        this.channelsLast = channelsLast;
        this.fusedRelu = fusedRelu;
        var at = node.attributes();
        this.epsilon = at.getFloat("epsilon", 1e-5f);
        this.momentum = at.getFloat("momentum", 0.9f);
        this.spatial = since >= 9 || at.getLong("spatial", 1) != 0;
        boolean extraOutputs = false;
        for (int i = 1; i < node.outputCount(); i++) {
            extraOutputs |= node.hasOutput(i);
        }
        if (since >= 14) {
            long mode = at.getLong("training_mode", 0);
            if (mode != 0 && mode != 1) {
                throw new IllegalArgumentException("attribute 'training_mode' must be 0 or 1, got " + mode);
            }
            this.trainingForm = mode == 1;
            if (!trainingForm && extraOutputs) {
                throw new IllegalArgumentException("outputs running_mean and running_var exist only with "
                        + "training_mode = 1");
            }
        } else {
            boolean isTest = since < 7 && at.getLong("is_test", 0) != 0;
            if (isTest && extraOutputs) {
                throw new IllegalArgumentException("is_test = 1 allows only the output Y");
            }
            this.trainingForm = extraOutputs;
        }
    }

    /**
     * X as N x C x S (S the product of the spatial dimensions; per-activation statistics fold them
     * into C), stored N x S x C when {@code channelsLast}.
     */
    private record Layout(int n, int c, int s, boolean channelsLast) {
        int perChannel() {
            return n * s;
        }

        /** The same bytes as N x C x S for the Java kernels: channels-last data is (N S) x C x 1. */
        Layout plain() {
            return channelsLast ? new Layout(n * s, c, 1, false) : this;
        }
    }

    private Layout layout(Tensor x) {
        if (x.rank() == 0) {
            throw new IllegalArgumentException("input X must have rank >= 1 (N x C x D1 ...), got a scalar");
        }
        int n = x.dim(0);
        if (channelsLast) {
            if (x.rank() < 3) {
                throw new IllegalArgumentException("channels-last X " + x.describe()
                        + " must be an image [N, spatial..., C]");
            }
            return new Layout(n, x.dim(x.rank() - 1), Shapes.product(x.shape(), 1, x.rank() - 1), true);
        }
        int c = x.rank() >= 2 ? x.dim(1) : 1;
        int s = Shapes.product(x.shape(), Math.min(2, x.rank()), x.rank());
        return spatial ? new Layout(n, c, s, false) : new Layout(n, c * s, 1, false);
    }

    /**
     * What backward needs: the statistics used, whether they were the batch's, and the fused ReLU's
     * workspace where oneDNN wrote one (else null).
     */
    private record Saved(double[] mean, double[] var, double[] invStd, boolean batchStats, Tensor workspace) {
    }

    /**
     * oneDNN's batch-statistics primitives per X layout (empty where oneDNN declines): they replace
     * the Java statistics, normalisation and backward for float32 training.
     */
    private final Map<Layout, Optional<DnnlBatchNorm>> dnnl = new ConcurrentHashMap<>();

    private DnnlBatchNorm dnnl(Layout l) {
        return dnnl.computeIfAbsent(l, k -> Optional.ofNullable(DnnlBatchNorm.create(k.n, k.c, k.s, (float) epsilon,
                k.channelsLast, fusedRelu)))
                .orElse(null);
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor x = required(inputs, 0);
        TypeCheck.require(x, TypeCheck.FLOATS, "input X");
        Tensor meanT = required(inputs, 3);
        Tensor varT = required(inputs, 4);
        for (int i = 1; i < 5; i++) {
            TypeCheck.require(required(inputs, i), TypeCheck.FLOATS, "input " + i);
        }
        Layout l = layout(x);
        double[] scale = Rows.vector(required(inputs, 1), l.c, "input scale");
        double[] bias = Rows.vector(required(inputs, 2), l.c, "input B");
        double[] runMean = Rows.vector(meanT, l.c, "input mean");
        double[] runVar = Rows.vector(varT, l.c, "input var");
        boolean batchStats = trainingForm || ctx.training();
        double[] mean = runMean;
        double[] var = runVar;
        // apply and oneDNN write every element
        Tensor y = Tensor.uninitialized(x.dtype(), x.shape());
        DnnlBatchNorm fast = batchStats && x.dtype() == DataType.FLOAT ? dnnl(l) : null;
        Tensor workspace = null;
        if (fast != null) {
            Tensor meanF = Tensor.uninitialized(DataType.FLOAT, l.c);
            Tensor varF = Tensor.uninitialized(DataType.FLOAT, l.c);
            workspace = fusedRelu ? Tensor.uninitialized(DataType.UINT8, Math.toIntExact(fast.workspaceBytes())) : null;
            fast.forwardTraining(x, y, floats(scale), floats(bias), meanF, varF, workspace);
            mean = doubles(meanF);
            var = doubles(varF);
        } else if (batchStats) {
            mean = new double[l.c];
            var = new double[l.c];
            statistics(x, l.plain(), mean, var, ctx);
        }
        double[] invStd = new double[l.c];
        for (int c = 0; c < l.c; c++) {
            invStd[c] = 1 / Math.sqrt(var[c] + epsilon);
        }
        if (fast == null) {
            apply(x, y, l.plain(), mean, invStd, scale, bias, ctx);
            if (fusedRelu) {
                for (int i = 0; i < y.size(); i++) {
                    if (y.getDouble(i) < 0) {
                        y.setDouble(i, 0);
                    }
                }
            }
        }
        if (ctx.recording()) {
            ctx.saveForBackward(new Saved(mean, var, invStd, batchStats, workspace));
        }
        Value[] out = new Value[Math.max(1, node.outputCount())];
        out[0] = y;
        if (trainingForm) {
            put(out, 1, meanT, blend(runMean, mean));
            put(out, 2, varT, blend(runVar, var));
            put(out, 3, meanT, mean);
            put(out, 4, varT, var);
        } else if (ctx.training()) {
            double m = l.perChannel();
            if (m < 2) {
                throw new IllegalArgumentException("training needs more than one value per channel, got input X "
                        + Shapes.toString(x.shape()));
            }
            double[] unbiased = new double[l.c];
            for (int c = 0; c < l.c; c++) {
                unbiased[c] = var[c] * m / (m - 1);
            }
            ctx.assignState(meanT, Rows.tensor(meanT, blend(runMean, mean), meanT.shape()));
            ctx.assignState(varT, Rows.tensor(varT, blend(runVar, unbiased), varT.shape()));
        }
        return out;
    }

    private void put(Value[] out, int i, Tensor like, double[] values) {
        if (i < out.length && node.hasOutput(i)) {
            out[i] = Rows.tensor(like, values, like.shape());
        }
    }

    /** momentum * running + (1 - momentum) * batch. */
    private double[] blend(double[] running, double[] batch) {
        double[] r = new double[running.length];
        for (int c = 0; c < r.length; c++) {
            r[c] = momentum * running[c] + (1 - momentum) * batch[c];
        }
        return r;
    }

    /** Batch mean and population variance of every channel (two passes, in double). */
    private static void statistics(Tensor x, Layout l, double[] mean, double[] var, OpContext ctx) {
        if (x.dtype() == DataType.FLOAT) {
            BatchNormFloat.statistics(x, l.n, l.c, l.s, mean, var, ctx.device());
            return;
        }
        ctx.device().parallelFor(l.c, 3L * l.perChannel() + 1, (s, e) -> {
            double[] v = new double[l.s];
            for (int c = s; c < e; c++) {
                double sum = 0;
                for (int n = 0; n < l.n; n++) {
                    Rows.read(x, (n * l.c + c) * l.s, v, 0, l.s);
                    sum += Rows.sum(v, l.s);
                }
                double mu = l.perChannel() == 0 ? 0 : sum / l.perChannel();
                double sq = 0;
                for (int n = 0; n < l.n; n++) {
                    Rows.read(x, (n * l.c + c) * l.s, v, 0, l.s);
                    sq += Rows.squaredDeviations(v, l.s, mu);
                }
                mean[c] = mu;
                var[c] = l.perChannel() == 0 ? 0 : sq / l.perChannel();
            }
        });
    }

    /** y = x * a[c] + b[c] with a = invStd * scale, b = B - mean * a; split by (n, c) planes. */
    private static void apply(Tensor x, Tensor y, Layout l, double[] mean, double[] invStd, double[] scale,
                              double[] bias, OpContext ctx) {
        double[] a = new double[l.c];
        double[] b = new double[l.c];
        for (int c = 0; c < l.c; c++) {
            a[c] = invStd[c] * scale[c];
            b[c] = bias[c] - mean[c] * a[c];
        }
        if (x.dtype() == DataType.FLOAT) {
            BatchNormFloat.apply(x, y, l.n, l.c, l.s, a, b, ctx.device());
            return;
        }
        ctx.device().parallelFor(l.n * l.c, 2L * l.s + 1, (s, e) -> {
            double[] v = new double[l.s];
            for (int p = s; p < e; p++) {
                int c = p % l.c;
                Rows.read(x, p * l.s, v, 0, l.s);
                for (int j = 0; j < l.s; j++) {
                    v[j] = v[j] * a[c] + b[c];
                }
                Rows.write(y, p * l.s, v, 0, l.s);
            }
        });
    }

    @Override
    public boolean differentiable() {
        return true;
    }

    /** The running mean and variance (inputs 3 and 4) are statistics, not trained. */
    @Override
    public boolean differentiableInput(int index) {
        return index < 3;
    }

    /**
     * With xhat = (x - mean) * invStd: d scale = sum dy * xhat, d B = sum dy per channel. Batch
     * statistics: dx = scale * invStd * (dy - mean(dy) - xhat * mean(dy * xhat)). Running statistics
     * (constants of the batch): dx = dy * scale * invStd, and the running mean and variance get
     * -scale * invStd * sum dy and -scale * invStd^3 / 2 * sum dy * (x - mean).
     */
    @Override
    public Tensor[] backward(BackwardContext g) {
        Tensor[] r = new Tensor[5];
        Tensor gy = g.gradOutput(0);
        if (gy == null) {
            return r;
        }
        Tensor x = g.input(0);
        Layout l = layout(x);
        double[] scale = Rows.all(g.input(1));
        Saved saved = (Saved) g.saved();
        if (saved == null) {
            saved = recompute(x, l, g);
        }
        double[] mean = saved.mean;
        double[] invStd = saved.invStd;
        boolean batch = saved.batchStats;
        double[] sumDy = new double[l.c];
        double[] sumDyXhat = new double[l.c];
        // all backward paths write every element of dx
        Tensor dx = g.needsGrad(0) ? Tensor.uninitialized(x.dtype(), x.shape()) : null;
        boolean floats = x.dtype() == DataType.FLOAT && gy.dtype() == DataType.FLOAT;
        Tensor workspace = saved.workspace();
        DnnlBatchNorm fast = batch && floats && dx != null && (!fusedRelu || workspace != null) ? dnnl(l) : null;
        if (fusedRelu && fast == null) {
            gy = reluMasked(gy, g.output(0));
        }
        if (fast != null) {
            Tensor dScale = Tensor.uninitialized(DataType.FLOAT, l.c);
            Tensor dShift = Tensor.uninitialized(DataType.FLOAT, l.c);
            fast.backward(x, floats(mean), floats(saved.var), gy, floats(scale), dx, dScale, dShift, workspace);
            readInto(dScale, sumDyXhat);
            readInto(dShift, sumDy);
        } else if (floats) {
            Layout p = l.plain();
            BatchNormFloat.backward(x, gy, dx, p.n, p.c, p.s, mean, invStd, scale, batch, sumDy, sumDyXhat,
                    g.device());
        } else {
            genericBackward(x, gy, dx, l.plain(), mean, invStd, scale, batch, sumDy, sumDyXhat, g);
        }
        r[0] = dx;
        if (g.needsGrad(1)) {
            r[1] = Rows.tensor(g.input(1), sumDyXhat, g.input(1).shape());
        }
        if (g.needsGrad(2)) {
            r[2] = Rows.tensor(g.input(2), sumDy, g.input(2).shape());
        }
        if (!batch && (g.needsGrad(3) || g.needsGrad(4))) {
            double[] dMean = new double[l.c];
            double[] dVar = new double[l.c];
            for (int c = 0; c < l.c; c++) {
                double k = scale[c] * invStd[c];
                dMean[c] = -k * sumDy[c];
                // sum dy * (x - mean) = sumDyXhat / invStd
                dVar[c] = -0.5 * k * invStd[c] * sumDyXhat[c];
            }
            if (g.needsGrad(3)) {
                r[3] = Rows.tensor(g.input(3), dMean, g.input(3).shape());
            }
            if (g.needsGrad(4)) {
                r[4] = Rows.tensor(g.input(4), dVar, g.input(4).shape());
            }
        }
        return r;
    }

    /** dY where the fused ReLU's result {@code y} is positive (the ReLU passed the value on), else 0. */
    private static Tensor reluMasked(Tensor gy, Tensor y) {
        Tensor masked = Tensor.uninitialized(gy.dtype(), gy.shape());
        for (int i = 0; i < gy.size(); i++) {
            masked.setDouble(i, y.getDouble(i) > 0 ? gy.getDouble(i) : 0);
        }
        return masked;
    }

    /** A float32 tensor of the values (per-channel vectors for oneDNN). */
    private static Tensor floats(double[] values) {
        Tensor t = Tensor.uninitialized(DataType.FLOAT, values.length);
        for (int i = 0; i < values.length; i++) {
            t.setFloat(i, (float) values[i]);
        }
        return t;
    }

    private static double[] doubles(Tensor t) {
        double[] v = new double[t.size()];
        readInto(t, v);
        return v;
    }

    private static void readInto(Tensor t, double[] to) {
        for (int i = 0; i < to.length; i++) {
            to[i] = t.getFloat(i);
        }
    }

    /** The per-channel sums (and dx) for any floating type, in double. */
    private static void genericBackward(Tensor x, Tensor gy, Tensor dx, Layout l, double[] mean, double[] invStd,
                                        double[] scale, boolean batch, double[] sumDy, double[] sumDyXhat,
                                        BackwardContext g) {
        double m = l.perChannel();
        g.device().parallelFor(l.c, 8L * l.perChannel() + 1, (s, e) -> {
            double[] xv = new double[l.s];
            double[] gv = new double[l.s];
            for (int c = s; c < e; c++) {
                double sg = 0;
                double sgx = 0;
                for (int n = 0; n < l.n; n++) {
                    int off = (n * l.c + c) * l.s;
                    Rows.read(x, off, xv, 0, l.s);
                    Rows.read(gy, off, gv, 0, l.s);
                    for (int j = 0; j < l.s; j++) {
                        sg += gv[j];
                        sgx += gv[j] * (xv[j] - mean[c]) * invStd[c];
                    }
                }
                sumDy[c] = sg;
                sumDyXhat[c] = sgx;
                if (dx == null) {
                    continue;
                }
                double k = scale[c] * invStd[c];
                double mg = batch ? sg / m : 0;
                double mgx = batch ? sgx / m : 0;
                for (int n = 0; n < l.n; n++) {
                    int off = (n * l.c + c) * l.s;
                    Rows.read(x, off, xv, 0, l.s);
                    Rows.read(gy, off, gv, 0, l.s);
                    for (int j = 0; j < l.s; j++) {
                        double xh = (xv[j] - mean[c]) * invStd[c];
                        gv[j] = k * (gv[j] - mg - xh * mgx);
                    }
                    Rows.write(dx, off, gv, 0, l.s);
                }
            }
        });
    }

    /** The statistics forward used, when it saved none. */
    private Saved recompute(Tensor x, Layout l, BackwardContext g) {
        boolean batch = trainingForm || g.context().training();
        double[] mean;
        double[] var;
        if (batch) {
            mean = new double[l.c];
            var = new double[l.c];
            statistics(x, l.plain(), mean, var, g.context());
        } else {
            mean = Rows.all(g.input(3));
            var = Rows.all(g.input(4));
        }
        double[] invStd = new double[l.c];
        for (int c = 0; c < l.c; c++) {
            invStd[c] = 1 / Math.sqrt(var[c] + epsilon);
        }
        return new Saved(mean, var, invStd, batch, null);
    }
}
