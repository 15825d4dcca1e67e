package dev.sonnx.runtime.ops.linalg;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sonnx.runtime.ops.conv.FusedConv;
import dev.sonnx.runtime.ops.kernel.SpecialFunctions;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Shapes;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.testing.OpTester;
import java.util.SplittableRandom;
import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * dev.sonnx.FusedMatMul against act((A @ B + bias) + Z) computed here in double with numpy
 * broadcasting: the oneDNN path (folded and batched products, bias row, residual of Y's shape, Gelu
 * post-ops) and the plain path (a bias or residual that broadcasts otherwise, vector operands).
 */
class FusedMatMulTest {

    private static Tensor random(long seed, int... shape) {
        SplittableRandom r = new SplittableRandom(seed);
        Tensor t = Tensor.zeros(DataType.FLOAT, shape);
        for (int i = 0; i < t.size(); i++) {
            t.setFloat(i, (float) r.nextDouble(-2, 2));
        }
        return t;
    }

    /** t read at output index {@code idx} of shape {@code out} under numpy broadcasting. */
    private static double at(Tensor t, int[] out, int[] idx) {
        int[] s = t.shape();
        int off = 0;
        for (int d = 0; d < s.length; d++) {
            int i = idx[out.length - s.length + d];
            off = off * s[d] + (s[d] == 1 ? 0 : i);
        }
        return t.getDouble(off);
    }

    /** numpy.matmul in double. */
    private static Tensor matmul(Tensor a, Tensor b) {
        boolean av = a.rank() == 1;
        boolean bv = b.rank() == 1;
        int[] as = av ? new int[] {1, a.dim(0)} : a.shape();
        int[] bs = bv ? new int[] {b.dim(0), 1} : b.shape();
        int m = as[as.length - 2];
        int k = as[as.length - 1];
        int n = bs[bs.length - 1];
        int[] batch = Shapes.broadcast(java.util.Arrays.copyOf(as, as.length - 2),
                java.util.Arrays.copyOf(bs, bs.length - 2));
        int[] full = java.util.Arrays.copyOf(batch, batch.length + 2);
        full[batch.length] = m;
        full[batch.length + 1] = n;
        Tensor a2 = Tensor.of(a.toFloatArray(), as);
        Tensor b2 = Tensor.of(b.toFloatArray(), bs);
        double[] y = new double[Shapes.size(full)];
        int[] idx = new int[full.length];
        for (int i = 0; i < y.length; i++) {
            int rem = i;
            for (int d = full.length - 1; d >= 0; d--) {
                idx[d] = rem % full[d];
                rem /= full[d];
            }
            int row = idx[full.length - 2];
            int col = idx[full.length - 1];
            double s = 0;
            for (int kk = 0; kk < k; kk++) {
                idx[full.length - 2] = row;
                idx[full.length - 1] = kk;
                double av2 = at(a2, full, idx);
                idx[full.length - 2] = kk;
                idx[full.length - 1] = col;
                s += av2 * at(b2, full, idx);
            }
            y[i] = s;
        }
        MatMulShape s = MatMulShape.of(a.shape(), b.shape());
        return Tensor.of(y, s.outShape);
    }

    /** act(y + bias + z) with numpy broadcasting, in double. */
    private static double[] reference(Tensor a, Tensor b, Tensor bias, Tensor z, DoubleUnaryOperator act, int[] outShape) {
        Tensor y = matmul(a, b);
        double[] r = new double[Shapes.size(outShape)];
        int[] idx = new int[outShape.length];
        for (int i = 0; i < r.length; i++) {
            int rem = i;
            for (int d = outShape.length - 1; d >= 0; d--) {
                idx[d] = rem % outShape[d];
                rem /= outShape[d];
            }
            double v = at(y, outShape, idx);
            v += bias == null ? 0 : at(bias, outShape, idx);
            v += z == null ? 0 : at(z, outShape, idx);
            r[i] = act.applyAsDouble(v);
        }
        return r;
    }

    private static double gelu(double x) {
        return 0.5 * x * (1 + SpecialFunctions.erf(x / Math.sqrt(2)));
    }

    private static double geluTanh(double x) {
        return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
    }

    private static void check(int[] aShape, int[] bShape, int[] biasShape, int[] zShape, String approximate,
                              int[] outShape, long seed) {
        Tensor a = random(seed, aShape);
        Tensor b = random(seed + 1, bShape);
        Tensor bias = biasShape == null ? null : random(seed + 2, biasShape);
        Tensor z = zShape == null ? null : random(seed + 3, zShape);
        OpTester t = OpTester.of(FusedConv.DOMAIN, FusedMatMul.OP_TYPE, 1).inputs(z != null
                ? new String[] {"a", "b", bias == null ? "" : "bias", "z"}
                : new String[] {"a", "b", bias == null ? "" : "bias"});
        DoubleUnaryOperator act = v -> v;
        if (approximate != null) {
            t.attr(FusedMatMul.ACTIVATION, "Gelu").attr("approximate", approximate);
            act = approximate.equals("tanh") ? FusedMatMulTest::geluTanh : FusedMatMulTest::gelu;
        }
        Tensor y = z != null ? t.run(a, b, bias, z)[0] : t.run(a, b, bias)[0];
        String what = Shapes.toString(aShape) + " @ " + Shapes.toString(bShape) + " + " + (biasShape == null ? "-"
                : Shapes.toString(biasShape)) + " + " + (zShape == null ? "-" : Shapes.toString(zShape)) + ", "
                + approximate;
        assertArrayEquals(outShape, y.shape(), what);
        double[] e = reference(a, b, bias, z, act, outShape);
        for (int i = 0; i < e.length; i++) {
            assertTrue(Math.abs(y.getDouble(i) - e[i]) <= 1e-5 * (1 + Math.abs(e[i])),
                    what + ": element " + i + " is " + y.getDouble(i) + ", expected " + e[i]);
        }
    }

    @Test
    void oneDnnPathsWithBiasResidualAndGelu() {
        for (String act : new String[] {null, "none", "tanh"}) {
            // a batch folded into one product, with bias and residual
            check(new int[] {2, 5, 16}, new int[] {16, 24}, new int[] {24}, new int[] {2, 5, 24}, act,
                    new int[] {2, 5, 24}, 1);
            // bias only, residual only
            check(new int[] {7, 16}, new int[] {16, 9}, new int[] {9}, null, act, new int[] {7, 9}, 2);
            check(new int[] {7, 16}, new int[] {16, 9}, null, new int[] {7, 9}, act, new int[] {7, 9}, 3);
            // batched B (attention-shaped), with bias
            check(new int[] {2, 3, 4, 8}, new int[] {2, 3, 8, 5}, new int[] {5}, new int[] {2, 3, 4, 5}, act,
                    new int[] {2, 3, 4, 5}, 4);
        }
    }

    @Test
    void shapesOneDnnDoesNotTakeGoThePlainWay() {
        for (String act : new String[] {null, "none", "tanh"}) {
            // a residual that widens the result
            check(new int[] {3, 4}, new int[] {4, 5}, new int[] {5}, new int[] {2, 3, 5}, act, new int[] {2, 3, 5}, 5);
            // a residual that broadcasts along rows
            check(new int[] {3, 4}, new int[] {4, 5}, null, new int[] {3, 1}, act, new int[] {3, 5}, 6);
            // a bias of one element, and a bias that is not a row
            check(new int[] {3, 4}, new int[] {4, 5}, new int[] {1}, null, act, new int[] {3, 5}, 7);
            check(new int[] {3, 4}, new int[] {4, 5}, new int[] {3, 1}, new int[] {3, 5}, act, new int[] {3, 5}, 8);
            // vector operands
            check(new int[] {4}, new int[] {4, 5}, new int[] {5}, null, act, new int[] {5}, 9);
            check(new int[] {3, 4}, new int[] {4}, new int[] {3}, null, act, new int[] {3}, 10);
        }
    }

    @Test
    void refusesOtherTypesAndActivations() {
        Tensor a = Tensor.of(new double[] {1, 2}, 1, 2);
        Tensor b = Tensor.of(new double[] {1, 2}, 2, 1);
        assertThrows(IllegalArgumentException.class,
                () -> OpTester.of(FusedConv.DOMAIN, FusedMatMul.OP_TYPE, 1).inputs(2).run(a, b));
        assertThrows(IllegalArgumentException.class, () -> OpTester.of(FusedConv.DOMAIN, FusedMatMul.OP_TYPE, 1)
                .inputs(2).attr(FusedMatMul.ACTIVATION, "Relu").build());
        assertThrows(IllegalArgumentException.class, () -> OpTester.of(FusedConv.DOMAIN, FusedMatMul.OP_TYPE, 1)
                .inputs(2).attr(FusedMatMul.ACTIVATION, "Gelu").attr("approximate", "fast").build());
    }

    @Test
    void privateGeluIsOnnxGelu() {
        Tensor x = random(11, 3, 7);
        for (String approximate : new String[] {"none", "tanh"}) {
            Tensor y = OpTester.of(FusedConv.DOMAIN, "Gelu", 1).inputs(1).attr("approximate", approximate).run(x)[0];
            for (int i = 0; i < x.size(); i++) {
                double v = x.getDouble(i);
                double e = approximate.equals("tanh") ? geluTanh(v) : gelu(v);
                assertTrue(Math.abs(y.getDouble(i) - e) <= 1e-6 * (1 + Math.abs(e)), approximate + " at " + v);
            }
        }
    }
}
