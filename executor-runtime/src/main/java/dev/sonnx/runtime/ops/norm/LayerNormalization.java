package dev.sonnx.runtime.ops.norm;

import dev.sonnx.runtime.ops.BackwardContext;
import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.ops.conv.ShapeCache;
import dev.sonnx.runtime.ops.conv.dnnl.DnnlLayerNorm;
import dev.sonnx.runtime.ops.kernel.SumTo;
import dev.sonnx.runtime.ops.kernel.TypeCheck;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Shapes;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import java.util.Arrays;
import java.util.Optional;

/**
 * LayerNormalization (17): each row X[i0..i(axis-1), :] standardized over the dimensions from
 * {@code axis} on, then Y = xhat * Scale + B with Scale and B broadcast to those dimensions. The
 * optional outputs Mean and InvStdDev have X's leading dimensions (then 1s) and the
 * {@code stash_type} type (float32 or bfloat16); statistics are computed in double. float32 inference
 * without the optional outputs takes oneDNN's kernel on the host ({@link DnnlLayerNorm}; float
 * statistics, as stash_type 1 asks), else {@link LayerNormFloat}. Also registered as
 * {@code dev.sonnx.LayerNormalization} (version 1), which the inference passes write for models
 * before opset 17 in place of the exported ReduceMean/Sub/Pow/Sqrt/Div chain.
 */
final class LayerNormalization extends Operator {
    private final int axis;
    private final double epsilon;
    private final DataType stashType;
    /** oneDNN's inference kernels by X's shape and B's (null: no shift); empty where oneDNN declines. */
    private final ShapeCache<Optional<DnnlLayerNorm>> primitives = new ShapeCache<>();

    LayerNormalization(Node node) {
        super(node);
        var at = node.attributes();
        this.axis = at.getInt("axis", -1);
        this.epsilon = at.getFloat("epsilon", 1e-5f);
        long stash = at.getLong("stash_type", 1);
        if (stash != DataType.FLOAT.code() && stash != DataType.BFLOAT16.code()) {
            throw new IllegalArgumentException("attribute 'stash_type' is " + stash
                    + "; expected 1 (float) or 16 (bfloat16)");
        }
        this.stashType = DataType.fromCode((int) stash);
    }

    /** Saved for backward. */
    private record Saved(RowNorm kernel, RowNorm.Stats stats, double[] scale) {
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor x = required(inputs, 0);
        Tensor scale = required(inputs, 1);
        Tensor bias = tensor(inputs, 2);
        TypeCheck.require(x, TypeCheck.FLOATS, "input X");
        int a = normalizedAxis(x);
        int rows = Shapes.product(x.shape(), 0, a);
        int length = Shapes.product(x.shape(), a, x.rank());
        int[] inner = Arrays.copyOfRange(x.shape(), a, x.rank());
        boolean plain = x.dtype() == DataType.FLOAT && !ctx.recording() && !node.hasOutput(1) && !node.hasOutput(2);
        DnnlLayerNorm dnnl = plain && ctx.device().isHost() && x.size() > 0
                ? primitives.get(s -> Optional.ofNullable(DnnlLayerNorm.create(rows, length, (float) epsilon,
                        bias != null)), x.shape(), bias == null ? null : bias.shape()).orElse(null)
                : null;
        if (dnnl != null) {
            Tensor y = Tensor.uninitialized(DataType.FLOAT, x.shape());
            dnnl.forward(x, dense(scale, inner, length, "input Scale"),
                    bias == null ? null : dense(bias, inner, length, "input B"), y);
            return outputs(y);
        }
        double[] s = expand(scale, inner, "input Scale");
        double[] b = bias == null ? null : expand(bias, inner, "input B");
        if (plain) {
            return outputs(LayerNormFloat.forward(x, rows, length, toFloats(s), b == null ? null : toFloats(b),
                    epsilon, ctx.device()));
        }
        RowNorm kernel = new RowNorm(rows, length, epsilon, 1, 0, 1);
        Tensor y = Tensor.uninitialized(x.dtype(), x.shape());
        RowNorm.Stats st = kernel.forward(x, y, s, b, ctx.device());
        if (ctx.recording()) {
            ctx.saveForBackward(new Saved(kernel, st, s));
        }
        Value[] out = new Value[Math.max(1, node.outputCount())];
        out[0] = y;
        int[] statShape = x.shape().clone();
        Arrays.fill(statShape, a, statShape.length, 1);
        if (node.hasOutput(1)) {
            Tensor mean = Tensor.uninitialized(stashType, statShape);
            Rows.write(mean, 0, st.mean(), 0, rows);
            out[1] = mean;
        }
        if (node.hasOutput(2)) {
            Tensor invStd = Tensor.uninitialized(stashType, statShape);
            Rows.write(invStd, 0, st.invStd(), 0, rows);
            out[2] = invStd;
        }
        return out;
    }

    /**
     * {@code p} as a dense float32 vector over the normalized shape: {@code p} itself where it is one
     * already (a float32 parameter of as many elements that broadcasts to {@code inner} holds them in
     * the same order: only its 1s differ), else an expanded copy.
     */
    private static Tensor dense(Tensor p, int[] inner, int length, String name) {
        if (p.dtype() == DataType.FLOAT && p.size() == length) {
            checkBroadcast(p.shape(), inner, name);
            return p;
        }
        double[] v = expand(p, inner, name);
        Tensor t = Tensor.uninitialized(DataType.FLOAT, v.length);
        for (int i = 0; i < v.length; i++) {
            t.setFloat(i, (float) v[i]);
        }
        return t;
    }

    private int normalizedAxis(Tensor x) {
        int r = x.rank();
        if (axis < -r || axis >= r) {
            throw new IllegalArgumentException("attribute 'axis' = " + axis + " is out of range for input X of rank " + r);
        }
        return axis < 0 ? axis + r : axis;
    }

    private static float[] toFloats(double[] v) {
        float[] r = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            r[i] = (float) v[i];
        }
        return r;
    }

    /** {@code p} broadcast (unidirectionally) to {@code inner}, as a dense array. */
    private static double[] expand(Tensor p, int[] inner, String name) {
        int[] ps = p.shape();
        int[] trimmed = checkBroadcast(ps, inner, name);
        int[] st = Shapes.broadcastStrides(trimmed, inner);
        double[] src = Rows.all(p);
        if (Shapes.equal(trimmed, inner)) {
            return src;
        }
        int[] at = Shapes.offsets(inner, st);
        double[] r = new double[at.length];
        for (int i = 0; i < r.length; i++) {
            r[i] = src[at[i]];
        }
        return r;
    }

    /** {@code ps} without its leading dimensions beyond {@code inner}'s rank, after checking that it broadcasts. */
    private static int[] checkBroadcast(int[] ps, int[] inner, String name) {
        int lead = Math.max(0, ps.length - inner.length);
        int off = inner.length - (ps.length - lead);
        boolean fits = true;
        for (int i = 0; i < ps.length; i++) {
            fits &= i < lead ? ps[i] == 1 : ps[i] == 1 || ps[i] == inner[off + i - lead];
        }
        if (!fits) {
            throw new IllegalArgumentException(name + " has shape " + Shapes.toString(ps)
                    + ", which does not broadcast to the normalized shape " + Shapes.toString(inner));
        }
        return Arrays.copyOfRange(ps, lead, ps.length);
    }

    @Override
    public boolean differentiable() {
        return true;
    }

    @Override
    public Tensor[] backward(BackwardContext g) {
        Tensor[] r = new Tensor[3];
        Tensor x = g.input(0);
        Tensor scale = g.input(1);
        Tensor bias = g.input(2);
        Tensor gy = g.gradOutput(0);
        Tensor gMean = g.gradOutput(1);
        Tensor gInv = g.gradOutput(2);
        if (gy == null && gMean == null && gInv == null) {
            return r;
        }
        Saved saved = (Saved) g.saved();
        int a = normalizedAxis(x);
        int[] inner = Arrays.copyOfRange(x.shape(), a, x.rank());
        RowNorm kernel;
        RowNorm.Stats st;
        double[] s;
        if (saved != null) {
            kernel = saved.kernel;
            st = saved.stats;
            s = saved.scale;
        } else {
            s = expand(scale, inner, "input Scale");
            kernel = new RowNorm(Shapes.product(x.shape(), 0, a), Shapes.size(inner), epsilon, 1, 0, 1);
            st = kernel.forward(x, Tensor.uninitialized(x.dtype(), x.shape()), s, null, g.device());
        }
        boolean wantParams = g.needsGrad(1) || (bias != null && g.needsGrad(2));
        RowNorm.Grads gr = kernel.backward(x, gy, st, s, s.length, gMean == null ? null : Rows.all(gMean),
                gInv == null ? null : Rows.all(gInv), g.needsGrad(0), wantParams, g.device());
        r[0] = gr.dx();
        if (wantParams) {
            if (g.needsGrad(1)) {
                r[1] = reduceTo(gr.dScale(), inner, scale, g);
            }
            if (bias != null && g.needsGrad(2)) {
                r[2] = reduceTo(gr.dBias(), inner, bias, g);
            }
        }
        return r;
    }

    /** A gradient over the normalized shape summed down to a (broadcast) parameter's shape. */
    private static Tensor reduceTo(double[] grad, int[] inner, Tensor param, BackwardContext g) {
        Tensor full = Tensor.uninitialized(DataType.DOUBLE, inner);
        full.doubles().put(0, grad);
        int[] ps = param.shape();
        int lead = Math.max(0, ps.length - inner.length);
        Tensor summed = SumTo.sumTo(full, Arrays.copyOfRange(ps, lead, ps.length), g.device());
        return Rows.tensor(param, Rows.all(summed), ps);
    }
}
