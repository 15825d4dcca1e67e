package dev.sonnx.runtime.ops.rnn;

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

    /** The dimensions of one call. */
    static final class Dims {
        final int seq;
        final int batch;
        final int input;
        final int hidden;
        final int dirs;
        final boolean batchMajor;

        Dims(int seq, int batch, int input, int hidden, int dirs, boolean batchMajor) {
            this.seq = seq;
            this.batch = batch;
            this.input = input;
            this.hidden = hidden;
            this.dirs = dirs;
            this.batchMajor = batchMajor;
        }

        /** Row of X (and of the input projection) at time t, batch entry b. */
        int xRow(int t, int b) {
            return batchMajor ? b * seq + t : t * batch + b;
        }

        /** Offset of Y[t, d, b, :] (layout 0) or Y[b, t, d, :] (layout 1). */
        int yOffset(int t, int d, int b) {
            return (batchMajor ? (b * seq + t) * dirs + d : (t * dirs + d) * batch + b) * hidden;
        }

        /** Offset of a state's [d, b, :] (layout 0) or [b, d, :] (layout 1). */
        int stateOffset(int d, int b) {
            return (batchMajor ? b * dirs + d : d * batch + b) * hidden;
        }

        int[] stateShape() {
            return batchMajor ? new int[] {batch, dirs, hidden} : new int[] {dirs, batch, hidden};
        }

        int[] yShape() {
            return batchMajor ? new int[] {batch, seq, dirs, hidden} : new int[] {seq, dirs, batch, hidden};
        }
    }

    /** One direction's run: its weights, state and scratch space. */
    static final class Pass {
        final Dims dims;
        final int dir;
        final boolean reverse;
        final Activation[] act;
        /** X W^T plus the biases that can be added up front: [rows of X, gates * hidden]. */
        final Buf xw;
        final Buf r;
        /** Offset of this direction's R ([gates * hidden, hidden]). */
        final int rOff;
        /** Recurrence biases that the cell adds itself (GRU linear_before_reset), else null. */
        final double[] rb;
        /** Hidden state [batch, hidden]; LSTM also keeps the cell state {@link #c}. */
        final Buf h;
        /** LSTM: the cell state [batch, hidden] and the peepholes of this direction (3 * hidden) or null. */
        Buf c;
        double[] peepholes;
        /** GRU: r * h before its product with R_h [batch, hidden]. */
        Buf scratch;
        /** h R^T, then the gate values: [batch, gates * hidden]. */
        final Buf hr;
        /** Per batch entry, the time index of the current step, or -1 when its sequence has ended. */
        final int[] t;

        Pass(Dims dims, int dir, boolean reverse, Activation[] act, Buf xw, Buf r, int rOff, double[] rb,
             Buf h, Buf hr) {
            this.dims = dims;
            this.dir = dir;
            this.reverse = reverse;
            this.act = act;
            this.xw = xw;
            this.r = r;
            this.rOff = rOff;
            this.rb = rb;
            this.h = h;
            this.hr = hr;
            this.t = new int[dims.batch];
        }
    }

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
            int steps = 0;
            for (int len : lens) {
                steps = Math.max(steps, len);
            }
            for (int s = 0; s < steps; s++) {
                for (int bi = 0; bi < batch; bi++) {
                    p.t[bi] = s >= lens[bi] ? -1 : reverse ? lens[bi] - 1 - s : s;
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
