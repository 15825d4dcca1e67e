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

    /** x transposed by perm, in double. */
    private static Tensor transposed(Tensor x, int[] perm) {
        int[] in = x.shape();
        int[] out = new int[perm.length];
        for (int d = 0; d < perm.length; d++) {
            out[d] = in[perm[d]];
        }
        int[] st = Shapes.strides(in);
        double[] y = new double[x.size()];
        int[] idx = new int[out.length];
        for (int i = 0; i < y.length; i++) {
            int rem = i;
            int off = 0;
            for (int d = out.length - 1; d >= 0; d--) {
                idx[d] = rem % out[d];
                rem /= out[d];
                off += idx[d] * st[perm[d]];
            }
            y[i] = x.getDouble(off);
        }
        return Tensor.of(y, out);
    }

    private static long[] longs(int[] v) {
        return java.util.Arrays.stream(v).asLongStream().toArray();
    }

    /**
     * Transposed operands and result, and a scale: Y = Transpose(alpha * (A' @ B') [+ bias], perm_y)
     * on float32 (oneDNN's strided descriptors; the plain path where a bias comes too) and on other
     * types (MatMul's kernels, transposes only).
     */
    @Test
    void transposedOperandsAndResultWithAScale() {
        int[] permA = {0, 2, 1, 3};
        int[] permB = {0, 2, 3, 1};
        int[] permY = {0, 2, 1, 3};
        for (DataType type : new DataType[] {DataType.FLOAT, DataType.DOUBLE, DataType.INT64}) {
            for (boolean withBias : new boolean[] {false, true}) {
                if (type != DataType.FLOAT && withBias) {
                    continue;
                }
                Tensor a = random(21, 2, 5, 3, 4);
                Tensor b = random(22, 2, 5, 3, 4);
                Tensor bias = random(23, 5);
                if (type != DataType.FLOAT) {
                    a = Tensor.fromDoubles(type, roundedDoubles(a), a.shape());
                    b = Tensor.fromDoubles(type, roundedDoubles(b), b.shape());
                }
                float alpha = type == DataType.FLOAT ? 0.25f : 1f;
                OpTester t = OpTester.of(FusedConv.DOMAIN, FusedMatMul.OP_TYPE, 1)
                        .inputs(withBias ? new String[] {"a", "b", "bias"} : new String[] {"a", "b"})
                        .attrInts(FusedMatMul.PERM_A, longs(permA)).attrInts(FusedMatMul.PERM_B, longs(permB))
                        .attrInts(FusedMatMul.PERM_Y, longs(permY));
                if (alpha != 1) {
                    t.attr(FusedMatMul.ALPHA, alpha);
                }
                Tensor y = withBias ? t.run(a, b, bias)[0] : t.run(a, b)[0];
                Tensor product = matmul(transposed(a, permA), transposed(b, permB));
                double[] scaled = new double[product.size()];
                for (int i = 0; i < scaled.length; i++) {
                    scaled[i] = alpha * product.getDouble(i) + (withBias ? bias.getDouble(i % 5) : 0);
                }
                Tensor want = transposed(Tensor.of(scaled, product.shape()), permY);
                assertArrayEquals(new int[] {2, 5, 3, 5}, want.shape());
                assertArrayEquals(want.shape(), y.shape(), type + ", bias " + withBias);
                assertTrue(y.dtype() == type, type.toString());
                for (int i = 0; i < want.size(); i++) {
                    double e = want.getDouble(i);
                    assertTrue(Math.abs(y.getDouble(i) - e) <= 1e-5 * (1 + Math.abs(e)),
                            type + ", bias " + withBias + ": element " + i + " is " + y.getDouble(i) + ", expected " + e);
                }
            }
        }
    }

    /** The values of a float32 tensor rounded to integers (exact in every type). */
    private static double[] roundedDoubles(Tensor t) {
        double[] v = new double[t.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = Math.round(t.getDouble(i) * 2);
        }
        return v;
    }

    @Test
    void otherTypesTakeNoFloat32Extras() {
        Tensor a = Tensor.of(new double[] {1, 2}, 1, 2);
        Tensor b = Tensor.of(new double[] {3, 4}, 2, 1);
        // a plain product of float64: MatMul's
        Tensor y = OpTester.of(FusedConv.DOMAIN, FusedMatMul.OP_TYPE, 1).inputs(2).run(a, b)[0];
        assertTrue(y.dtype() == DataType.DOUBLE && y.getDouble(0) == 11);
        assertThrows(IllegalArgumentException.class, () -> OpTester.of(FusedConv.DOMAIN, FusedMatMul.OP_TYPE, 1)
                .inputs(2).attr(FusedMatMul.ACTIVATION, "Gelu").run(a, b));
        assertThrows(IllegalArgumentException.class, () -> OpTester.of(FusedConv.DOMAIN, FusedMatMul.OP_TYPE, 1)
                .inputs(2).attr(FusedMatMul.ALPHA, 2f).run(a, b));
        assertThrows(IllegalArgumentException.class, () -> OpTester.of(FusedConv.DOMAIN, FusedMatMul.OP_TYPE, 1)
                .inputs(3).run(a, b, Tensor.of(new double[] {1}, 1)));
        assertThrows(IllegalArgumentException.class, () -> OpTester.of(FusedConv.DOMAIN, FusedMatMul.OP_TYPE, 1)
                .inputs(2).attr(FusedMatMul.ACTIVATION, "Relu").build());
        assertThrows(IllegalArgumentException.class, () -> OpTester.of(FusedConv.DOMAIN, FusedMatMul.OP_TYPE, 1)
                .inputs(2).attr(FusedMatMul.ACTIVATION, "Gelu").attr("approximate", "fast").build());
        assertThrows(IllegalArgumentException.class, () -> OpTester.of(FusedConv.DOMAIN, FusedMatMul.OP_TYPE, 1)
                .inputs(2).attrInts(FusedMatMul.PERM_A, 0, 0).build());
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
