package dev.sonnx.runtime.ops.rnn;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The LSTM and GRU cells' element loops in float32 lanes, for inference with the default
 * activations (sigmoid gates, tanh candidate and output) and no LSTM peepholes: the sigmoids and tanhs from the
 * Vector API's EXP, which the JIT compiles to vector code, where the scalar loop takes five
 * double-precision exponentials per hidden unit (a 2-layer LSTM of 256 units over 50 steps at
 * batch 8 spent half its time there, 54 ns a unit). tanh(x) = 2 / (1 + e^(-2x)) - 1 is within a few
 * float32 ulps of 1 (absolute) of tanh, as float32 math is.
 */
final class VectorCells {
    private static final VectorSpecies<Float> LANES = FloatVector.SPECIES_PREFERRED;
    /** Tensors hold little-endian floats. */
    private static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;

    private VectorCells() {
    }

    /** Whether {@link #lstmRow} computes what {@link Lstm}'s scalar step would for this pass. */
    static boolean lstmApplies(Pass p) {
        Activation[] a = p.act;
        return p.xw.f != null && p.pre == null && p.peepholes == null
                && a[0].kind == Activation.Kind.SIGMOID && a[1].kind == Activation.Kind.TANH
                && a[2].kind == Activation.Kind.TANH;
    }

    /**
     * One batch entry's step: the gates i, o, f, c~ from X W^T + biases at {@code xo} and H R^T at
     * {@code go} (float offsets), C and H at {@code ho} updated in place; pre-activations clamped to
     * [-clip, clip]; with {@code inputForget}, f = 1 - i.
     */
    static void lstmRow(ByteBuffer xw, int xo, ByteBuffer hr, int go, ByteBuffer c, ByteBuffer h, int ho, int hidden,
                        float clip, boolean inputForget) {
        int j = 0;
        int bound = LANES.loopBound(hidden);
        boolean clips = clip < Float.POSITIVE_INFINITY;
        for (; j < bound; j += LANES.length()) {
            FloatVector pi = gate(xw, xo + j, hr, go + j, clips, clip);
            FloatVector po = gate(xw, xo + hidden + j, hr, go + hidden + j, clips, clip);
            FloatVector pc = gate(xw, xo + 3 * hidden + j, hr, go + 3 * hidden + j, clips, clip);
            FloatVector in = sigmoid(pi);
            FloatVector forget = inputForget ? in.neg().add(1f)
                    : sigmoid(gate(xw, xo + 2 * hidden + j, hr, go + 2 * hidden + j, clips, clip));
            FloatVector cell = forget.mul(load(c, ho + j)).add(in.mul(tanh(pc)));
            cell.intoByteBuffer(c, 4 * (ho + j), ORDER);
            sigmoid(po).mul(tanh(cell)).intoByteBuffer(h, 4 * (ho + j), ORDER);
        }
        for (; j < hidden; j++) {
            float in = sigmoid(scalarGate(xw, xo + j, hr, go + j, clip));
            float forget = inputForget ? 1 - in : sigmoid(scalarGate(xw, xo + 2 * hidden + j, hr, go + 2 * hidden + j,
                    clip));
            float cell = forget * c.getFloat(4 * (ho + j))
                    + in * tanh(scalarGate(xw, xo + 3 * hidden + j, hr, go + 3 * hidden + j, clip));
            c.putFloat(4 * (ho + j), cell);
            h.putFloat(4 * (ho + j), sigmoid(scalarGate(xw, xo + hidden + j, hr, go + hidden + j, clip)) * tanh(cell));
        }
    }

    /** Whether the GRU's {@link #gruGates} and {@link #gruState} compute what its scalar step would. */
    static boolean gruApplies(Pass p) {
        Activation[] a = p.act;
        return p.xw.f != null && p.pre == null && p.q == null && a[0].kind == Activation.Kind.SIGMOID
                && a[1].kind == Activation.Kind.TANH;
    }

    /**
     * GRU's update and reset gates of one batch entry: z and r = sigmoid(X W^T + biases + H R^T),
     * written over H R^T's first 2 * hidden columns at {@code go}; where {@code scratch} is given
     * (without linear_before_reset), r . H into it at {@code ho}.
     */
    static void gruGates(ByteBuffer xw, int xo, ByteBuffer hr, int go, ByteBuffer h, ByteBuffer scratch, int ho,
                         int hidden, float clip) {
        boolean clips = clip < Float.POSITIVE_INFINITY;
        int j = 0;
        for (int bound = LANES.loopBound(2 * hidden); j < bound; j += LANES.length()) {
            sigmoid(gate(xw, xo + j, hr, go + j, clips, clip)).intoByteBuffer(hr, 4 * (go + j), ORDER);
        }
        for (; j < 2 * hidden; j++) {
            hr.putFloat(4 * (go + j), sigmoid(scalarGate(xw, xo + j, hr, go + j, clip)));
        }
        if (scratch == null) {
            return;
        }
        j = 0;
        for (int bound = LANES.loopBound(hidden); j < bound; j += LANES.length()) {
            load(hr, go + hidden + j).mul(load(h, ho + j)).intoByteBuffer(scratch, 4 * (ho + j), ORDER);
        }
        for (; j < hidden; j++) {
            scratch.putFloat(4 * (ho + j), hr.getFloat(4 * (go + hidden + j)) * h.getFloat(4 * (ho + j)));
        }
    }

    /**
     * GRU's candidate and new state of one batch entry, after {@link #gruGates}: h~ = tanh(X W_h^T +
     * biases + the candidate's recurrent term) and H' = (1 - z) h~ + z H, in place at {@code ho}. The
     * recurrent term is H R_h^T at column 2 * hidden, or with linear_before_reset ({@code rb} given,
     * the recurrence biases) r . (H R_h^T + Rb_h).
     */
    static void gruState(ByteBuffer xw, int xo, ByteBuffer hr, int go, ByteBuffer h, int ho, int hidden, float clip,
                         float[] rb) {
        boolean clips = clip < Float.POSITIVE_INFINITY;
        int c = 2 * hidden;
        int j = 0;
        for (int bound = LANES.loopBound(hidden); j < bound; j += LANES.length()) {
            FloatVector recurrent = load(hr, go + c + j);
            if (rb != null) {
                recurrent = recurrent.add(FloatVector.fromArray(LANES, rb, c + j)).mul(load(hr, go + hidden + j));
            }
            FloatVector a = load(xw, xo + c + j).add(recurrent);
            FloatVector candidate = tanh(clips ? a.max(-clip).min(clip) : a);
            FloatVector z = load(hr, go + j);
            candidate.sub(candidate.mul(z)).add(z.mul(load(h, ho + j))).intoByteBuffer(h, 4 * (ho + j), ORDER);
        }
        for (; j < hidden; j++) {
            float recurrent = hr.getFloat(4 * (go + c + j));
            if (rb != null) {
                recurrent = (recurrent + rb[c + j]) * hr.getFloat(4 * (go + hidden + j));
            }
            float a = xw.getFloat(4 * (xo + c + j)) + recurrent;
            float candidate = tanh(a > clip ? clip : a < -clip ? -clip : a);
            float z = hr.getFloat(4 * (go + j));
            h.putFloat(4 * (ho + j), (1 - z) * candidate + z * h.getFloat(4 * (ho + j)));
        }
    }

    private static FloatVector load(ByteBuffer b, int index) {
        return FloatVector.fromByteBuffer(LANES, b, 4 * index, ORDER);
    }

    private static FloatVector gate(ByteBuffer xw, int x, ByteBuffer hr, int r, boolean clips, float clip) {
        FloatVector v = load(xw, x).add(load(hr, r));
        // max and min pass NaN through, as the scalar clamp does
        return clips ? v.max(-clip).min(clip) : v;
    }

    private static FloatVector sigmoid(FloatVector x) {
        // e^(-x) is infinite below x = -88: 1 / inf = 0, as the sigmoid is there
        return FloatVector.broadcast(LANES, 1f).div(x.neg().lanewise(VectorOperators.EXP).add(1f));
    }

    private static FloatVector tanh(FloatVector x) {
        return sigmoid(x.mul(2f)).mul(2f).sub(1f);
    }

    private static float scalarGate(ByteBuffer xw, int x, ByteBuffer hr, int r, float clip) {
        float v = xw.getFloat(4 * x) + hr.getFloat(4 * r);
        return v > clip ? clip : v < -clip ? -clip : v;
    }

    private static float sigmoid(float x) {
        return (float) (1 / (1 + Math.exp(-x)));
    }

    private static float tanh(float x) {
        return 2 * sigmoid(2 * x) - 1;
    }
}
