package dev.sonnx.runtime.ops.rnn;

import dev.sonnx.runtime.ops.BackwardContext;
import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Shapes;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Set;

/**
 * What RNN, GRU and LSTM share: the attributes (direction, hidden_size, activations, clip, layout),
 * the inputs X, W, R, B, sequence_lens, initial_h and the outputs Y, Y_h, and the time loop.
 *
 * <p>Per direction the input projection X W^T + biases is one matrix product over every time step;
 * each step then multiplies the hidden state by R^T (one product over the batch) and lets the cell
 * ({@link #step}) combine the gates. A batch entry whose {@code sequence_lens} is shorter stops early:
 * its rows of Y past its length stay zero and Y_h holds its last computed state. The reverse
 * direction of entry b starts at its own last step {@code len_b - 1}.
 */
abstract class RecurrentLayer extends Operator {
    static final Set<DataType> TYPES = EnumSet.of(DataType.FLOAT, DataType.DOUBLE, DataType.FLOAT16);

    /** Gates per direction (rows of W and R per hidden unit): 1 for RNN, 3 for GRU, 4 for LSTM. */
    final int gates;
    final int hiddenSizeAttr;
    final boolean bidirectional;
    final boolean reverseOnly;
    final int numDirections;
    /** Activation functions per direction. */
    final Activation[][] activations;
    /** Gate pre-activations are clamped to [-clip, clip]; infinite when there is no clip. */
    final double clip;
    /** layout = 1: X, Y, initial and final states are batch-major. */
    final boolean batchMajor;

    RecurrentLayer(Node node, int gates, String[] defaultActivations, boolean hasLayout) {
        super(node);
        this.gates = gates;
        var a = node.attributes();
        this.hiddenSizeAttr = a.getInt("hidden_size", -1);
        if (a.has("hidden_size") && hiddenSizeAttr <= 0) {
            throw new IllegalArgumentException("attribute 'hidden_size' must be positive, got " + hiddenSizeAttr);
        }
        String direction = a.getString("direction", "forward");
        switch (direction) {
            case "forward" -> {
                bidirectional = false;
                reverseOnly = false;
            }
            case "reverse" -> {
                bidirectional = false;
                reverseOnly = true;
            }
            case "bidirectional" -> {
                bidirectional = true;
                reverseOnly = false;
            }
            default -> throw new IllegalArgumentException("attribute 'direction' is '" + direction
                    + "'; expected forward, reverse or bidirectional");
        }
        this.numDirections = bidirectional ? 2 : 1;
        int per = defaultActivations.length;
        String[] names = a.getStrings("activations", null);
        if (names == null) {
            names = new String[per * numDirections];
            for (int i = 0; i < names.length; i++) {
                names[i] = defaultActivations[i % per];
            }
        } else if (names.length == per && bidirectional) {
            // onnxruntime accepts one set for both directions; so do we
            String[] both = Arrays.copyOf(names, 2 * per);
            System.arraycopy(names, 0, both, per, per);
            names = both;
        } else if (names.length != per * numDirections) {
            throw new IllegalArgumentException("attribute 'activations' has " + names.length + " functions; "
                    + node.opType() + " with direction " + direction + " takes " + per * numDirections);
        }
        Activation[] parsed = Activation.parse(names, a.getFloats("activation_alpha", null),
                a.getFloats("activation_beta", null));
        this.activations = new Activation[numDirections][];
        for (int d = 0; d < numDirections; d++) {
            activations[d] = Arrays.copyOfRange(parsed, d * per, (d + 1) * per);
        }
        float c = a.getFloat("clip", Float.POSITIVE_INFINITY);
        if (a.has("clip") && !(c > 0)) {
            throw new IllegalArgumentException("attribute 'clip' must be positive, got " + c);
        }
        this.clip = c;
        int layout = hasLayout ? a.getInt("layout", 0) : 0;
        if (layout != 0 && layout != 1) {
            throw new IllegalArgumentException("attribute 'layout' must be 0 or 1, got " + layout);
        }
        this.batchMajor = layout == 1;
    }

    /** Index of the initial_h input; LSTM's initial_c and P follow it. */
    static final int INITIAL_H = 5;

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor x = required(inputs, 0);
        Tensor w = required(inputs, 1);
        Tensor r = required(inputs, 2);
        Tensor b = tensor(inputs, 3);
        Tensor lensT = tensor(inputs, 4);
        Tensor initH = tensor(inputs, INITIAL_H);
        DataType type = x.dtype();
        if (!TYPES.contains(type)) {
            throw new IllegalArgumentException("input X has type " + type.onnxName()
                    + "; expected float16, float or double");
        }
        for (int i = 1; i < inputs.length; i++) {
            Tensor t = tensor(inputs, i);
            if (t != null && i != 4 && t.dtype() != type) {
                throw new IllegalArgumentException("input " + i + " has type " + t.dtype().onnxName()
                        + ", expected " + type.onnxName() + " like X");
            }
        }
        if (x.rank() != 3) {
            throw new IllegalArgumentException("input X has shape " + Shapes.toString(x.shape())
                    + "; expected rank 3 " + (batchMajor ? "[batch, seq_length, input_size]"
                    : "[seq_length, batch, input_size]"));
        }
        int seq = batchMajor ? x.dim(1) : x.dim(0);
        int batch = batchMajor ? x.dim(0) : x.dim(1);
        int in = x.dim(2);
        if (r.rank() != 3) {
            throw new IllegalArgumentException("input R has shape " + Shapes.toString(r.shape())
                    + "; expected [num_directions, " + gates + "*hidden_size, hidden_size]");
        }
        int hidden = hiddenSizeAttr >= 0 ? hiddenSizeAttr : r.dim(2);
        int gh = gates * hidden;
        expectShape(w, "W", numDirections, gh, in);
        expectShape(r, "R", numDirections, gh, hidden);
        if (b != null) {
            expectShape(b, "B", numDirections, 2 * gh);
        }
        Dims dims = new Dims(seq, batch, in, hidden, numDirections, batchMajor);
        if (initH != null) {
            expectShape(initH, "initial_h", dims.stateShape());
        }
        checkExtraInputs(inputs, dims);
        int[] lens = sequenceLengths(lensT, dims);

        boolean dbl = type == DataType.DOUBLE;
        Buf xb = Buf.of(x, dbl);
        Buf wb = Buf.of(w, dbl);
        Buf rbuf = Buf.of(r, dbl);
        Buf y = node.hasOutput(0) ? Buf.zeros(dbl, dims.yShape()) : null;
        Buf yh = Buf.zeros(dbl, dims.stateShape());
        Buf yc = hasCellState() ? Buf.zeros(dbl, dims.stateShape()) : null;
        Buf initHb = initH == null ? null : Buf.of(initH, dbl);
        Buf initCb = initialCell(inputs, dbl);
        double[] bias = b == null ? new double[numDirections * 2 * gh] : b.toDoubleArray();
        int rows = seq * batch;
        int steps = 0;
        for (int len : lens) {
            steps = Math.max(steps, len);
        }
        boolean record = ctx.recording();
        Pass[] passes = new Pass[numDirections];
        for (int d = 0; d < numDirections; d++) {
            boolean reverse = reverseOnly || d == 1;
            // Input projection of every step at once: xw = X W_d^T + Wb (+ Rb where the cell allows).
            Buf xw = Buf.zeros(dbl, rows, gh);
            Buf.gemm(false, true, rows, gh, in, 1, xb, 0, in, wb, d * gh * in, in, 0, xw, 0, gh);
            double[] early = new double[gh];
            double[] late = null;
            int bOff = d * 2 * gh;
            for (int j = 0; j < gh; j++) {
                early[j] = bias[bOff + j];
                if (recurrentBiasUpFront(j / hidden)) {
                    early[j] += bias[bOff + gh + j];
                } else {
                    if (late == null) {
                        late = new double[gh];
                    }
                    late[j] = bias[bOff + gh + j];
                }
            }
            addRowBias(xw, rows, early, ctx);
            Buf h = Buf.zeros(dbl, batch, hidden);
            Pass p = new Pass(dims, d, reverse, activations[d], xw, rbuf, d * gh * hidden, late, h,
                    Buf.zeros(dbl, batch, gh));
            for (int bi = 0; bi < batch; bi++) {
                int so = dims.stateOffset(d, bi);
                for (int j = 0; j < hidden; j++) {
                    h.set(bi * hidden + j, initHb == null ? 0 : initHb.get(so + j));
                }
            }
            preparePass(p, inputs, initCb, dbl);
            passes[d] = p;
            if (record) {
                p.pre = Buf.zeros(dbl, steps * batch, gh);
                p.hPrev = Buf.zeros(dbl, steps * batch, hidden);
                p.cPrev = hasCellState() ? Buf.zeros(dbl, steps * batch, hidden) : null;
                p.q = recurrentBiasUpFront(2) ? null : Buf.zeros(dbl, steps * batch, hidden);
            }
            for (int s = 0; s < steps; s++) {
                setTimes(p, lens, s);
                if (record) {
                    copyRow(h, 0, p.hPrev, s * batch * hidden, batch * hidden);
                    if (p.cPrev != null) {
                        copyRow(p.c, 0, p.cPrev, s * batch * hidden, batch * hidden);
                    }
                }
                step(p, ctx);
                if (y != null) {
                    for (int bi = 0; bi < batch; bi++) {
                        if (p.t[bi] >= 0) {
                            copyRow(h, bi * hidden, y, dims.yOffset(p.t[bi], d, bi), hidden);
                        }
                    }
                }
            }
            for (int bi = 0; bi < batch; bi++) {
                copyRow(h, bi * hidden, yh, dims.stateOffset(d, bi), hidden);
                if (yc != null) {
                    copyRow(p.c, bi * hidden, yc, dims.stateOffset(d, bi), hidden);
                }
            }
        }
        if (record) {
            ctx.saveForBackward(new Recording(dims, lens, steps, dbl, passes));
        }
        Value[] out = new Value[node.outputCount()];
        if (y != null) {
            out[0] = y.as(type);
        }
        if (out.length > 1 && node.hasOutput(1)) {
            out[1] = yh.as(type);
        }
        if (out.length > 2 && node.hasOutput(2) && yc != null) {
            out[2] = yc.as(type);
        }
        return out;
    }

    // ------------------------------------------------------------------ backward

    @Override
    public boolean differentiable() {
        return true;
    }

    /**
     * Backpropagation through time. Walking the steps backwards, the cell turns the gradient of
     * the new state into gradients of its gate pre-activations (dA, and dAR where the recurrent
     * product sees something else, as GRU's reset gate makes it) and of the previous state; the
     * weight gradients are then a few large products over all steps: dW = dA^T X, dX = dA W,
     * dR = dAR^T H_prev, and the biases' gradients are column sums.
     */
    @Override
    public Tensor[] backward(BackwardContext g) {
        Recording sv = (Recording) g.saved();
        if (sv == null) {
            throw new IllegalStateException(node.label() + ": backward needs a forward run that recorded");
        }
        Dims dims = sv.dims;
        int hs = dims.hidden;
        int gh = gates * hs;
        int batch = dims.batch;
        int in = dims.input;
        int rows = dims.seq * batch;
        boolean dbl = sv.dbl;
        Tensor x = g.input(0);
        DataType type = x.dtype();
        Buf xb = Buf.of(x, dbl);
        Buf wb = Buf.of(g.input(1), dbl);
        Buf rb = Buf.of(g.input(2), dbl);
        Buf gy = g.gradOutput(0) == null ? null : Buf.of(g.gradOutput(0), dbl);
        Buf gyh = g.gradOutput(1) == null ? null : Buf.of(g.gradOutput(1), dbl);
        Buf gyc = hasCellState() && g.gradOutput(2) != null ? Buf.of(g.gradOutput(2), dbl) : null;
        Buf gx = Buf.zeros(dbl, x.shape());
        Buf gw = Buf.zeros(dbl, numDirections, gh, in);
        Buf gr = Buf.zeros(dbl, numDirections, gh, hs);
        double[] gb = new double[numDirections * 2 * gh];
        Buf gh0 = Buf.zeros(dbl, dims.stateShape());
        Buf gc0 = hasCellState() ? Buf.zeros(dbl, dims.stateShape()) : null;
        double[] gp = hasCellState() ? new double[numDirections * 3 * hs] : null;
        OpContext ctx = g.context();
        for (int d = 0; d < numDirections; d++) {
            Pass p = sv.passes[d];
            Buf dh = Buf.zeros(dbl, batch, hs);
            Buf dhNew = Buf.zeros(dbl, batch, hs);
            Buf dc = hasCellState() ? Buf.zeros(dbl, batch, hs) : null;
            Buf dcNew = hasCellState() ? Buf.zeros(dbl, batch, hs) : null;
            for (int b = 0; b < batch; b++) {
                if (gyh != null) {
                    copyRow(gyh, dims.stateOffset(d, b), dh, b * hs, hs);
                }
                if (gyc != null) {
                    copyRow(gyc, dims.stateOffset(d, b), dc, b * hs, hs);
                }
            }
            Buf dA = Buf.zeros(dbl, sv.steps * batch, gh);
            Buf dAR = Buf.zeros(dbl, sv.steps * batch, gh);
            prepareBackward(p, sv.steps, dbl);
            for (int s = sv.steps - 1; s >= 0; s--) {
                setTimes(p, sv.lens, s);
                if (gy != null) {
                    for (int b = 0; b < batch; b++) {
                        if (p.t[b] >= 0) {
                            int yo = dims.yOffset(p.t[b], d, b);
                            for (int j = 0; j < hs; j++) {
                                dh.set(b * hs + j, dh.get(b * hs + j) + gy.get(yo + j));
                            }
                        }
                    }
                }
                backStep(p, dh, dhNew, dc, dcNew, dA, dAR, ctx);
                // dH_prev += dAR_s R over the gates whose product reads H itself (finished rows are zero)
                Buf.gemm(false, false, batch, hs, stateGates() * hs, 1, dAR, s * batch * gh, gh, rb, p.rOff, hs, 1,
                        dhNew, 0, hs);
                Buf t = dh;
                dh = dhNew;
                dhNew = t;
                if (dc != null) {
                    t = dc;
                    dc = dcNew;
                    dcNew = t;
                }
            }
            for (int b = 0; b < batch; b++) {
                copyRow(dh, b * hs, gh0, dims.stateOffset(d, b), hs);
                if (gc0 != null) {
                    copyRow(dc, b * hs, gc0, dims.stateOffset(d, b), hs);
                }
            }
            // the input side reads X rows in X's own order
            Buf dxw = Buf.zeros(dbl, rows, gh);
            for (int s = 0; s < sv.steps; s++) {
                setTimes(p, sv.lens, s);
                for (int b = 0; b < batch; b++) {
                    if (p.t[b] >= 0) {
                        copyRow(dA, (s * batch + b) * gh, dxw, dims.xRow(p.t[b], b) * gh, gh);
                    }
                }
            }
            Buf.gemm(true, false, gh, in, rows, 1, dxw, 0, gh, xb, 0, in, 0, gw, d * gh * in, in);
            Buf.gemm(false, false, rows, in, gh, 1, dxw, 0, gh, wb, d * gh * in, in, 1, gx, 0, in);
            recurrentWeightGradient(p, sv.steps, dAR, gr, d * gh * hs);
            for (int k = 0; k < sv.steps * batch; k++) {
                for (int j = 0; j < gh; j++) {
                    gb[d * 2 * gh + j] += dA.get(k * gh + j);
                    gb[d * 2 * gh + gh + j] += dAR.get(k * gh + j);
                }
            }
            if (gp != null) {
                peepholeGradient(p, sv, dA, gp, d * 3 * hs);
            }
        }
        Tensor[] res = new Tensor[g.inputCount()];
        res[0] = g.needsGrad(0) ? gx.as(type) : null;
        res[1] = g.needsGrad(1) ? gw.as(type) : null;
        res[2] = g.needsGrad(2) ? gr.as(type) : null;
        if (g.needsGrad(3) && g.input(3) != null) {
            res[3] = Tensor.fromDoubles(type, gb, numDirections, 2 * gh);
        }
        if (g.needsGrad(INITIAL_H) && g.input(INITIAL_H) != null) {
            res[INITIAL_H] = gh0.as(type);
        }
        if (gc0 != null && g.needsGrad(INITIAL_H + 1) && g.input(INITIAL_H + 1) != null) {
            res[INITIAL_H + 1] = gc0.as(type);
        }
        if (gp != null && g.needsGrad(INITIAL_H + 2) && g.input(INITIAL_H + 2) != null) {
            res[INITIAL_H + 2] = Tensor.fromDoubles(type, gp, numDirections, 3 * hs);
        }
        return res;
    }

    /**
     * One step backwards, for entries with {@code p.t[b] >= 0}: from dh (and dc), the gradients
     * of the new state, fills rows {@code p.step * batch + b} of dA and dAR, and dhNew (dcNew) with
     * the part of the previous state's gradient that does not go through R (the caller adds
     * dAR R). Finished entries pass dh and dc through unchanged.
     */
    abstract void backStep(Pass p, Buf dh, Buf dhNew, Buf dc, Buf dcNew, Buf dA, Buf dAR, OpContext ctx);

    /**
     * How many leading gates multiply the previous state itself through R (backward adds their
     * dAR R to its gradient); GRU without linear_before_reset multiplies r . H for its last gate.
     */
    int stateGates() {
        return gates;
    }

    /** Scratch that backStep needs for the whole sequence (GRU's r . H). */
    void prepareBackward(Pass p, int steps, boolean dbl) {
    }

    /** dR of one direction: dAR^T times the previous states. */
    void recurrentWeightGradient(Pass p, int steps, Buf dAR, Buf gr, int grOff) {
        int hs = p.dims.hidden;
        int gh = gates * hs;
        Buf.gemm(true, false, gh, hs, steps * p.dims.batch, 1, dAR, 0, gh, p.hPrev, 0, hs, 0, gr, grOff, hs);
    }

    /** LSTM: adds the peepholes' gradients of one direction. */
    void peepholeGradient(Pass p, Recording sv, Buf dA, double[] gp, int off) {
    }

    /** The derivative of {@code f} at pre-activation {@code a} (0 where clip cut it off), given y = f(clip(a)). */
    final double slope(Activation f, double a, double y) {
        return a > clip || a < -clip ? 0 : f.derivative(a, y);
    }

    /** Sets each batch entry's time index for step {@code s} (-1 past its length). */
    static void setTimes(Pass p, int[] lens, int s) {
        p.step = s;
        for (int b = 0; b < lens.length; b++) {
            p.t[b] = s >= lens[b] ? -1 : p.reverse ? lens[b] - 1 - s : s;
        }
    }

    /** Whether the recurrence bias of gate {@code gate} can be added to the input projection. */
    boolean recurrentBiasUpFront(int gate) {
        return true;
    }

    /** LSTM keeps a cell state and outputs it as Y_c. */
    boolean hasCellState() {
        return false;
    }

    /** Checks inputs beyond initial_h (LSTM's initial_c and P). */
    void checkExtraInputs(Value[] inputs, Dims dims) {
    }

    /** LSTM's initial_c in the compute type, else null. */
    Buf initialCell(Value[] inputs, boolean dbl) {
        return null;
    }

    /** Sets up per-pass state beyond h (LSTM's cell state and peepholes). */
    void preparePass(Pass p, Value[] inputs, Buf initialCell, boolean dbl) {
    }

    /**
     * One time step for every batch entry with {@code p.t[b] >= 0}: updates {@code p.h} (and the
     * cell state) in place from {@code p.xw} rows {@code dims.xRow(p.t[b], b)}.
     */
    abstract void step(Pass p, OpContext ctx);

    /** Clamps a gate pre-activation to [-clip, clip] (NaN passes through). */
    final double clip(double v) {
        return v > clip ? clip : v < -clip ? -clip : v;
    }

    static void copyRow(Buf from, int fromOff, Buf to, int toOff, int n) {
        for (int j = 0; j < n; j++) {
            to.set(toOff + j, from.get(fromOff + j));
        }
    }

    private static void addRowBias(Buf m, int rows, double[] bias, OpContext ctx) {
        int n = bias.length;
        ctx.device().parallelFor(rows, n, (s, e) -> {
            for (int i = s; i < e; i++) {
                int o = i * n;
                for (int j = 0; j < n; j++) {
                    m.set(o + j, m.get(o + j) + bias[j]);
                }
            }
        });
    }

    private int[] sequenceLengths(Tensor lensT, Dims dims) {
        int[] lens = new int[dims.batch];
        if (lensT == null) {
            Arrays.fill(lens, dims.seq);
            return lens;
        }
        if (lensT.dtype() != DataType.INT32) {
            throw new IllegalArgumentException("input sequence_lens has type " + lensT.dtype().onnxName()
                    + ", expected int32");
        }
        expectShape(lensT, "sequence_lens", dims.batch);
        for (int i = 0; i < dims.batch; i++) {
            int v = lensT.ints().get(i);
            if (v < 0 || v > dims.seq) {
                throw new IllegalArgumentException("sequence_lens[" + i + "] = " + v + " is outside [0, "
                        + dims.seq + "] (seq_length)");
            }
            lens[i] = v;
        }
        return lens;
    }

    static void expectShape(Tensor t, String name, int... shape) {
        if (!Arrays.equals(t.shape(), shape)) {
            throw new IllegalArgumentException("input " + name + " has shape " + Shapes.toString(t.shape())
                    + ", expected " + Shapes.toString(shape));
        }
    }
}
