package dev.sonnx.runtime.ops.rnn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.sonnx.runtime.onnx.proto.Onnx.AttributeProto;
import dev.sonnx.runtime.onnx.proto.Onnx.NodeProto;
import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpRegistry;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Value;
import dev.sonnx.runtime.testing.TestContext;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.testing.OpTester;
import java.util.SplittableRandom;
import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.api.Test;

class RecurrentLayerTest {
    private static final DoubleUnaryOperator SIGMOID = v -> 1 / (1 + Math.exp(-v));
    private static final DoubleUnaryOperator TANH = Math::tanh;

    // ------------------------------------------------------------------ a reference, written out

    /** The problem: layout-0 inputs as flat arrays, and the settings of one layer. */
    private static final class Case {
        String kind;
        int seq = 4;
        int batch = 3;
        int input = 2;
        int hidden = 3;
        int dirs = 1;
        boolean reverseOnly;
        double[] x;
        double[] w;
        double[] r;
        double[] b;
        int[] lens;
        double[] h0;
        double[] c0;
        double[] p;
        DoubleUnaryOperator[] act;
        double clip = Double.POSITIVE_INFINITY;
        boolean linearBeforeReset;
        boolean inputForget;

        int gates() {
            return kind.equals("RNN") ? 1 : kind.equals("GRU") ? 3 : 4;
        }

        Case(String kind, long seed) {
            this.kind = kind;
            this.act = kind.equals("RNN") ? new DoubleUnaryOperator[] {TANH}
                    : kind.equals("GRU") ? new DoubleUnaryOperator[] {SIGMOID, TANH}
                    : new DoubleUnaryOperator[] {SIGMOID, TANH, TANH};
            this.seed = seed;
        }

        final long seed;

        void fill() {
            SplittableRandom rnd = new SplittableRandom(seed);
            int gh = gates() * hidden;
            x = values(rnd, seq * batch * input);
            w = values(rnd, dirs * gh * input);
            r = values(rnd, dirs * gh * hidden);
            b = values(rnd, dirs * 2 * gh);
        }

        static double[] values(SplittableRandom rnd, int n) {
            double[] v = new double[n];
            for (int i = 0; i < n; i++) {
                v[i] = rnd.nextDouble(-1, 1);
            }
            return v;
        }

        double clamp(double v) {
            return Math.max(-clip, Math.min(clip, v));
        }

        /** Y [seq, dirs, batch, hidden], Y_h and Y_c [dirs, batch, hidden]. */
        double[][] run() {
            int hs = hidden;
            int gh = gates() * hs;
            double[] y = new double[seq * dirs * batch * hs];
            double[] yh = new double[dirs * batch * hs];
            double[] yc = new double[dirs * batch * hs];
            for (int d = 0; d < dirs; d++) {
                boolean reverse = reverseOnly || d == 1;
                // one set of functions serves both directions unless two are given
                int per = gates() == 1 ? 1 : gates() == 3 ? 2 : 3;
                int first = act.length == per ? 0 : per * d;
                DoubleUnaryOperator f = act[first];
                DoubleUnaryOperator g = per > 1 ? act[first + 1] : null;
                DoubleUnaryOperator h = per > 2 ? act[first + 2] : null;
                for (int bi = 0; bi < batch; bi++) {
                    double[] hv = new double[hs];
                    double[] cv = new double[hs];
                    for (int j = 0; j < hs; j++) {
                        hv[j] = h0 == null ? 0 : h0[(d * batch + bi) * hs + j];
                        cv[j] = c0 == null ? 0 : c0[(d * batch + bi) * hs + j];
                    }
                    int len = lens == null ? seq : lens[bi];
                    for (int s = 0; s < len; s++) {
                        int t = reverse ? len - 1 - s : s;
                        double[] hn = new double[hs];
                        double[] cn = new double[hs];
                        for (int j = 0; j < hs; j++) {
                            switch (kind) {
                                case "RNN" -> hn[j] = f.applyAsDouble(clamp(pre(d, 0, j, t, bi, hv) + bias(d, 0, j)));
                                case "GRU" -> {
                                    double z = f.applyAsDouble(clamp(pre(d, 0, j, t, bi, hv) + bias(d, 0, j)));
                                    double rr = f.applyAsDouble(clamp(pre(d, 1, j, t, bi, hv) + bias(d, 1, j)));
                                    double cand;
                                    if (linearBeforeReset) {
                                        double hr = dot(r, (d * gh + 2 * hs + j) * hs, hv) + b[d * 2 * gh + gh + 2 * hs + j];
                                        cand = g.applyAsDouble(clamp(xw(d, 2, j, t, bi) + b[d * 2 * gh + 2 * hs + j] + rr * hr));
                                    } else {
                                        // (r . H) R_h^T needs r of every unit
                                        double[] rh = new double[hs];
                                        for (int k = 0; k < hs; k++) {
                                            double rk = f.applyAsDouble(clamp(pre(d, 1, k, t, bi, hv) + bias(d, 1, k)));
                                            rh[k] = rk * hv[k];
                                        }
                                        cand = g.applyAsDouble(clamp(xw(d, 2, j, t, bi) + dot(r, (d * gh + 2 * hs + j) * hs, rh)
                                                + bias(d, 2, j)));
                                    }
                                    hn[j] = (1 - z) * cand + z * hv[j];
                                }
                                default -> {
                                    double pi = p == null ? 0 : p[d * 3 * hs + j];
                                    double po = p == null ? 0 : p[d * 3 * hs + hs + j];
                                    double pf = p == null ? 0 : p[d * 3 * hs + 2 * hs + j];
                                    double in = f.applyAsDouble(clamp(pre(d, 0, j, t, bi, hv) + bias(d, 0, j) + pi * cv[j]));
                                    double fg = inputForget ? 1 - in
                                            : f.applyAsDouble(clamp(pre(d, 2, j, t, bi, hv) + bias(d, 2, j) + pf * cv[j]));
                                    double cc = g.applyAsDouble(clamp(pre(d, 3, j, t, bi, hv) + bias(d, 3, j)));
                                    cn[j] = fg * cv[j] + in * cc;
                                    double o = f.applyAsDouble(clamp(pre(d, 1, j, t, bi, hv) + bias(d, 1, j) + po * cn[j]));
                                    hn[j] = o * h.applyAsDouble(cn[j]);
                                }
                            }
                        }
                        hv = hn;
                        if (kind.equals("LSTM")) {
                            cv = cn;
                        }
                        System.arraycopy(hv, 0, y, ((t * dirs + d) * batch + bi) * hs, hs);
                    }
                    System.arraycopy(hv, 0, yh, (d * batch + bi) * hs, hs);
                    System.arraycopy(cv, 0, yc, (d * batch + bi) * hs, hs);
                }
            }
            return new double[][] {y, yh, yc};
        }

        double xw(int d, int gate, int j, int t, int bi) {
            int row = d * gates() * hidden + gate * hidden + j;
            double s = 0;
            for (int i = 0; i < input; i++) {
                s += x[(t * batch + bi) * input + i] * w[row * input + i];
            }
            return s;
        }

        double pre(int d, int gate, int j, int t, int bi, double[] hv) {
            return xw(d, gate, j, t, bi) + dot(r, (d * gates() * hidden + gate * hidden + j) * hidden, hv);
        }

        double bias(int d, int gate, int j) {
            int gh = gates() * hidden;
            return b[d * 2 * gh + gate * hidden + j] + b[d * 2 * gh + gh + gate * hidden + j];
        }

        static double dot(double[] m, int off, double[] v) {
            double s = 0;
            for (int k = 0; k < v.length; k++) {
                s += m[off + k] * v[k];
            }
            return s;
        }

        Tensor[] inputs(DataType type) {
            int gh = gates() * hidden;
            Tensor[] t = new Tensor[kind.equals("LSTM") ? 8 : 6];
            t[0] = Tensor.fromDoubles(type, x, seq, batch, input);
            t[1] = Tensor.fromDoubles(type, w, dirs, gh, input);
            t[2] = Tensor.fromDoubles(type, r, dirs, gh, hidden);
            t[3] = Tensor.fromDoubles(type, b, dirs, 2 * gh);
            t[4] = lens == null ? null : Tensor.of(lens, batch);
            t[5] = h0 == null ? null : Tensor.fromDoubles(type, h0, dirs, batch, hidden);
            if (t.length > 6) {
                t[6] = c0 == null ? null : Tensor.fromDoubles(type, c0, dirs, batch, hidden);
                t[7] = p == null ? null : Tensor.fromDoubles(type, p, dirs, 3 * hidden);
            }
            return t;
        }

        String[] inputNames() {
            Tensor[] t = inputs(DataType.DOUBLE);
            String[] names = new String[t.length];
            for (int i = 0; i < t.length; i++) {
                names[i] = t[i] == null ? "" : "x" + i;
            }
            return names;
        }
    }

    private static OpTester layer(Case c, int opset) {
        String dir = c.dirs == 2 ? "bidirectional" : c.reverseOnly ? "reverse" : "forward";
        return OpTester.of(c.kind, opset).attr("hidden_size", (long) c.hidden).attr("direction", dir)
                .inputs(c.inputNames()).outputs(c.kind.equals("LSTM") ? 3 : 2);
    }

    private static void assertMatches(Case c, Tensor[] out, double tol) {
        double[][] e = c.run();
        for (int o = 0; o < out.length; o++) {
            assertEquals(e[o].length, out[o].size(), "output " + o + " size");
            for (int i = 0; i < e[o].length; i++) {
                assertEquals(e[o][i], out[o].getDouble(i), tol, c.kind + " output " + o + "[" + i + "]");
            }
        }
    }

    // ------------------------------------------------------------------ tests

    @Test
    void simpleRnnByHand() {
        // hidden 1, input 1: h1 = tanh(0.5 * 1 + 0.1), h2 = tanh(0.5 * 2 + 2 h1 + 0.1)
        Tensor x = Tensor.of(new float[] {1, 2}, 2, 1, 1);
        Tensor w = Tensor.of(new float[] {0.5f}, 1, 1, 1);
        Tensor r = Tensor.of(new float[] {2}, 1, 1, 1);
        Tensor b = Tensor.of(new float[] {0.1f, 0}, 1, 2);
        Tensor[] out = OpTester.of("RNN", 14).attr("hidden_size", 1L).inputs(4).outputs(2).run(x, w, r, b);
        double h1 = Math.tanh(0.6);
        double h2 = Math.tanh(1.1 + 2 * h1);
        assertArrayEquals(new int[] {2, 1, 1, 1}, out[0].shape());
        assertEquals(h1, out[0].getDouble(0), 1e-6);
        assertEquals(h2, out[0].getDouble(1), 1e-6);
        assertEquals(h2, out[1].getDouble(0), 1e-6);
    }

    @Test
    void rnnBidirectionalWithLengthsAndActivations() {
        Case c = new Case("RNN", 1);
        c.dirs = 2;
        c.fill();
        c.lens = new int[] {4, 2, 0};
        c.h0 = Case.values(new SplittableRandom(9), 2 * c.batch * c.hidden);
        // attribute values are float32
        c.act = new DoubleUnaryOperator[] {v -> v >= 0 ? v : 0.2f * v, v -> 1.5f * Math.tanh(0.5f * v)};
        // one set of activations for both directions; alphas go to LeakyRelu then ScaledTanh
        Operator op = withActivations(layer(c, 14).attrFloats("activation_alpha", 0.2f, 1.5f)
                .attrFloats("activation_beta", 0.5f), "LeakyRelu", "ScaledTanh");
        assertMatches(c, run(op, c.inputs(DataType.DOUBLE)), 1e-12);
    }

    /**
     * Builds the operator with an {@code activations} attribute added (a STRINGS attribute, which
     * OpTester cannot set): the node OpTester would build, plus the attribute.
     */
    private static Operator withActivations(OpTester tester, String... names) {
        NodeProto base = tester.build().node().proto();
        AttributeProto.Builder a = AttributeProto.newBuilder().setName("activations")
                .setType(AttributeProto.AttributeType.STRINGS);
        for (String n : names) {
            a.addStrings(ByteString.copyFromUtf8(n));
        }
        NodeProto np = base.toBuilder().addAttribute(a).build();
        Node node = new Node(np, 14);
        return OpRegistry.standard().resolve("", np.getOpType(), 14).create(node, null);
    }

    private static Tensor[] run(Operator op, Tensor... inputs) {
        return tensors(op.forward(inputs, new TestContext(false)));
    }

    private static Tensor[] tensors(Value[] out) {
        Tensor[] r = new Tensor[out.length];
        for (int i = 0; i < out.length; i++) {
            r[i] = out[i] == null ? null : out[i].asTensor();
        }
        return r;
    }

    @Test
    void gruBothResetOrdersReverseAndClip() {
        for (boolean lbr : new boolean[] {false, true}) {
            Case c = new Case("GRU", lbr ? 2 : 3);
            c.reverseOnly = true;
            c.fill();
            c.linearBeforeReset = lbr;
            c.lens = new int[] {3, 4, 1};
            c.clip = 0.7f;
            c.h0 = Case.values(new SplittableRandom(4), c.batch * c.hidden);
            Tensor[] out = layer(c, 7).attr("linear_before_reset", lbr ? 1L : 0L).attr("clip", 0.7f)
                    .run(c.inputs(DataType.DOUBLE));
            assertMatches(c, out, 1e-12);
        }
    }

    @Test
    void gruBidirectionalFloat() {
        Case c = new Case("GRU", 5);
        c.dirs = 2;
        c.fill();
        assertMatches(c, layer(c, 14).run(c.inputs(DataType.FLOAT)), 1e-5);
    }

    @Test
    void lstmPeepholesInputForgetAndStates() {
        for (boolean coupled : new boolean[] {false, true}) {
            Case c = new Case("LSTM", coupled ? 6 : 7);
            c.dirs = 2;
            c.fill();
            c.inputForget = coupled;
            c.lens = new int[] {2, 4, 3};
            c.h0 = Case.values(new SplittableRandom(11), 2 * c.batch * c.hidden);
            c.c0 = Case.values(new SplittableRandom(12), 2 * c.batch * c.hidden);
            c.p = Case.values(new SplittableRandom(13), 2 * 3 * c.hidden);
            Tensor[] out = layer(c, 14).attr("input_forget", coupled ? 1L : 0L).run(c.inputs(DataType.DOUBLE));
            assertMatches(c, out, 1e-12);
        }
    }

    /**
     * float32 inference takes the lanes of {@link VectorCells}: 37 hidden units are whole vectors and
     * a scalar tail, with ended sequences and clipping, both directions; LSTM with and without the
     * coupled forget gate, GRU with both reset orders.
     */
    @Test
    void float32LanesWithTailsLengthsAndClip() {
        for (boolean variant : new boolean[] {false, true}) {
            Case lstm = lanesCase("LSTM", variant ? 14 : 15, new int[] {2, 4, 3}, 0.9f);
            lstm.inputForget = variant;
            lstm.c0 = Case.values(new SplittableRandom(17), 2 * lstm.batch * lstm.hidden);
            assertLanesMatch(lstm, layer(lstm, 14).attr("input_forget", variant ? 1L : 0L).attr("clip", 0.9f));
            Case gru = lanesCase("GRU", variant ? 18 : 19, new int[] {4, 1, 3}, 0.8f);
            gru.linearBeforeReset = variant;
            assertLanesMatch(gru, layer(gru, 14).attr("linear_before_reset", variant ? 1L : 0L).attr("clip", 0.8f));
        }
    }

    private static Case lanesCase(String kind, long seed, int[] lens, float clip) {
        Case c = new Case(kind, seed);
        c.dirs = 2;
        c.hidden = 37;
        c.input = 5;
        c.fill();
        c.lens = lens;
        c.clip = clip;
        c.h0 = Case.values(new SplittableRandom(seed + 100), 2 * c.batch * c.hidden);
        return c;
    }

    /** An inference run (nothing recorded for backward) takes the lanes, a recorded one the scalar loop: both match. */
    private static void assertLanesMatch(Case c, OpTester layer) {
        Operator op = layer.build();
        assertMatches(c, tensors(op.forward(c.inputs(DataType.FLOAT), TestContext.inference())), 2e-6);
        assertMatches(c, run(op, c.inputs(DataType.FLOAT)), 2e-6);
    }

    @Test
    void lstmCustomActivationsAndHalfPrecision() {
        Case c = new Case("LSTM", 8);
        c.fill();
        c.act = new DoubleUnaryOperator[] {v -> Math.max(0, Math.min(1, 0.2f * v + 0.5f)), v -> v / (1 + Math.abs(v)),
            v -> Math.log1p(Math.exp(v))};
        Operator op = withActivations(layer(c, 14), "HardSigmoid", "Softsign", "Softplus");
        assertMatches(c, run(op, c.inputs(DataType.DOUBLE)), 1e-12);
        Tensor[] half = layer(c, 14).run(c.inputs(DataType.FLOAT16));
        assertEquals(DataType.FLOAT16, half[0].dtype());
        Case d = new Case("LSTM", 8);
        d.fill();
        assertMatches(d, half, 1e-2);
    }

    @Test
    void batchMajorLayoutTransposesInputsAndOutputs() {
        Case c = new Case("GRU", 21);
        c.dirs = 2;
        c.fill();
        c.h0 = Case.values(new SplittableRandom(22), 2 * c.batch * c.hidden);
        Tensor[] seqMajor = layer(c, 14).run(c.inputs(DataType.DOUBLE));
        Tensor[] in = c.inputs(DataType.DOUBLE);
        in[0] = permute(in[0], new int[] {1, 0, 2});
        in[5] = permute(in[5], new int[] {1, 0, 2});
        Tensor[] batchMajor = layer(c, 14).attr("layout", 1L).run(in);
        assertArrayEquals(permute(seqMajor[0], new int[] {2, 0, 1, 3}).toDoubleArray(), batchMajor[0].toDoubleArray());
        assertArrayEquals(permute(seqMajor[1], new int[] {1, 0, 2}).toDoubleArray(), batchMajor[1].toDoubleArray());
        assertArrayEquals(new int[] {c.batch, c.seq, 2, c.hidden}, batchMajor[0].shape());
    }

    /** out[idx permuted] : out's dimension k is in's dimension perm[k]. */
    private static Tensor permute(Tensor t, int[] perm) {
        int[] s = t.shape();
        int[] os = new int[s.length];
        for (int k = 0; k < s.length; k++) {
            os[k] = s[perm[k]];
        }
        int[] is = dev.sonnx.runtime.tensor.Shapes.strides(s);
        Tensor out = Tensor.zeros(t.dtype(), os);
        int[] idx = new int[s.length];
        for (int i = 0; i < out.size(); i++) {
            int rem = i;
            int src = 0;
            for (int k = s.length - 1; k >= 0; k--) {
                idx[k] = rem % os[k];
                rem /= os[k];
                src += idx[k] * is[perm[k]];
            }
            out.setDouble(i, t.getDouble(src));
        }
        return out;
    }

    @Test
    void optionalOutputsAndEmptySequence() {
        Case c = new Case("RNN", 30);
        c.seq = 0;
        c.fill();
        c.h0 = Case.values(new SplittableRandom(31), c.batch * c.hidden);
        Tensor[] out = OpTester.of("RNN", 14).attr("hidden_size", (long) c.hidden).inputs(c.inputNames())
                .inputs("x0", "x1", "x2", "x3", "", "x5").outputs(2).run(c.inputs(DataType.FLOAT));
        assertArrayEquals(new int[] {0, 1, c.batch, c.hidden}, out[0].shape());
        // no step: Y_h is the initial state
        assertArrayEquals(Tensor.fromDoubles(DataType.FLOAT, c.h0, c.h0.length).toFloatArray(), out[1].toFloatArray());
        // Y requested only
        Tensor[] yOnly = OpTester.of("RNN", 14).inputs("x0", "x1", "x2").outputs(1)
                .run(Tensor.zeros(DataType.FLOAT, 2, 1, 3), Tensor.zeros(DataType.FLOAT, 1, 4, 3),
                        Tensor.zeros(DataType.FLOAT, 1, 4, 4));
        assertEquals(1, yOnly.length);
        assertArrayEquals(new int[] {2, 1, 1, 4}, yOnly[0].shape());
    }

    @Test
    void errorsNameInputsAndAttributes() {
        Tensor x = Tensor.zeros(DataType.FLOAT, 2, 1, 3);
        Tensor w = Tensor.zeros(DataType.FLOAT, 1, 4, 3);
        Tensor r = Tensor.zeros(DataType.FLOAT, 1, 4, 4);
        Exception e = assertThrows(IllegalArgumentException.class, () -> OpTester.of("GRU", 14).inputs(3)
                .run(x, w, Tensor.zeros(DataType.FLOAT, 1, 12, 4)));
        assertTrue(e.getMessage().contains("input W"), e.getMessage());
        Exception lens = assertThrows(IllegalArgumentException.class, () -> OpTester.of("RNN", 14)
                .inputs("x", "w", "r", "", "l").run(x, w, r, null, Tensor.of(new int[] {3}, 1)));
        assertTrue(lens.getMessage().contains("sequence_lens"), lens.getMessage());
        Exception act = assertThrows(IllegalArgumentException.class,
                () -> withActivations(OpTester.of("RNN", 14).inputs(3), "Swish"));
        assertTrue(act.getMessage().contains("Swish"), act.getMessage());
        assertThrows(IllegalArgumentException.class, () -> OpTester.of("LSTM", 14).attr("direction", "both").build());
        Exception type = assertThrows(IllegalArgumentException.class, () -> OpTester.of("RNN", 14).inputs(3)
                .run(Tensor.zeros(DataType.INT32, 2, 1, 3), w, r));
        assertTrue(type.getMessage().contains("int32"), type.getMessage());
    }
}
