package dev.sonnx.runtime.ops.reduce;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.testing.OpTester;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.ToDoubleFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ReduceOpsTest {

    // ------------------------------------------------------------------ reference

    /** Each reduction written directly on the list of reduced values. */
    private static double fold(ReduceKind kind, List<Double> v) {
        ToDoubleFunction<List<Double>> sum = l -> l.stream().mapToDouble(Double::doubleValue).sum();
        return switch (kind) {
            case SUM -> sum.applyAsDouble(v);
            case MEAN -> sum.applyAsDouble(v) / v.size();
            case MAX -> v.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NEGATIVE_INFINITY);
            case MIN -> v.stream().mapToDouble(Double::doubleValue).min().orElse(Double.POSITIVE_INFINITY);
            case PROD -> v.stream().mapToDouble(Double::doubleValue).reduce(1, (a, b) -> a * b);
            case L1 -> v.stream().mapToDouble(Math::abs).sum();
            case L2 -> Math.sqrt(v.stream().mapToDouble(a -> a * a).sum());
            case LOG_SUM -> Math.log(sum.applyAsDouble(v));
            case LOG_SUM_EXP -> Math.log(v.stream().mapToDouble(Math::exp).sum());
            case SUM_SQUARE -> v.stream().mapToDouble(a -> a * a).sum();
        };
    }

    /** The reduction by brute force: every element's output is its index with reduced axes zeroed. */
    static double[] reference(ReduceKind kind, double[] x, int[] shape, int... axes) {
        int rank = shape.length;
        boolean[] red = new boolean[rank];
        for (int a : axes) {
            red[a < 0 ? a + rank : a] = true;
        }
        int[] keep = shape.clone();
        for (int d = 0; d < rank; d++) {
            if (red[d]) {
                keep[d] = 1;
            }
        }
        int outSize = 1;
        for (int k : keep) {
            outSize *= k;
        }
        List<List<Double>> groups = new ArrayList<>();
        for (int i = 0; i < outSize; i++) {
            groups.add(new ArrayList<>());
        }
        for (int i = 0; i < x.length; i++) {
            int rem = i;
            int out = 0;
            int stride = 1;
            for (int d = rank - 1; d >= 0; d--) {
                int c = rem % shape[d];
                rem /= shape[d];
                out += (red[d] ? 0 : c) * stride;
                stride *= keep[d];
            }
            groups.get(out).add(x[i]);
        }
        double[] r = new double[outSize];
        for (int i = 0; i < outSize; i++) {
            r[i] = fold(kind, groups.get(i));
        }
        return r;
    }

    static double[] random(long seed, int n, double lo, double hi) {
        SplittableRandom r = new SplittableRandom(seed);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = r.nextDouble(lo, hi);
        }
        return v;
    }

    /** Inputs each reduction is defined on (LogSum needs a positive sum; Prod stays moderate). */
    static double[] inputFor(ReduceKind kind, int n) {
        return kind == ReduceKind.LOG_SUM || kind == ReduceKind.PROD ? random(n, n, 0.5, 1.5)
                : random(n, n, -2, 2);
    }

    private static void assertClose(double[] expected, Tensor actual, double relTol) {
        assertEquals(expected.length, actual.size());
        for (int i = 0; i < expected.length; i++) {
            double e = expected[i];
            assertEquals(e, actual.getDouble(i), 1e-9 + relTol * Math.abs(e), "element " + i);
        }
    }

    private static Tensor runAttr(ReduceKind kind, Tensor x, boolean keepdims, long... axes) {
        // ReduceSum took axes as an input from 13, the others from 18
        OpTester t = OpTester.of(kind.opType(), kind == ReduceKind.SUM ? 11 : 13).inputs(1).attr("keepdims", keepdims ? 1 : 0);
        if (axes.length > 0) {
            t.attrInts("axes", axes);
        }
        return t.run(x)[0];
    }

    private static Tensor runInput(ReduceKind kind, Tensor x, boolean keepdims, long... axes) {
        return OpTester.of(kind.opType(), 18).inputs(2).attr("keepdims", keepdims ? 1 : 0)
                .run(x, Tensor.of(axes, axes.length))[0];
    }

    // ------------------------------------------------------------------ values

    /** Every layout path: contiguous rows, column blocks, regrouped axes, all axes, one axis of a wide tensor. */
    @ParameterizedTest
    @EnumSource(ReduceKind.class)
    void matchesBruteForceOnEveryLayout(ReduceKind kind) {
        int[] shape = {3, 4, 5, 6};
        double[] x = inputFor(kind, 360);
        Tensor xd = Tensor.of(x, shape);
        long[][] axesCases = {{3}, {1}, {0, 2}, {1, 3}, {-1, -3}, {0, 1, 2, 3}, {2, 3}};
        for (long[] axes : axesCases) {
            int[] ax = new int[axes.length];
            for (int i = 0; i < ax.length; i++) {
                ax[i] = (int) axes[i];
            }
            double[] expected = reference(kind, x, shape, ax);
            assertClose(expected, runAttr(kind, xd, true, axes), 1e-12);
            assertClose(expected, runInput(kind, xd, false, axes), 1e-12);
        }
    }

    @ParameterizedTest
    @EnumSource(ReduceKind.class)
    void float32MatchesBruteForce(ReduceKind kind) {
        // inner = 1100 > one column block, so several blocks per outer index
        int[] shape = {2, 3, 1100};
        double[] x = inputFor(kind, 6600);
        Tensor xf = Tensor.zeros(DataType.FLOAT, shape);
        for (int i = 0; i < x.length; i++) {
            xf.setDouble(i, x[i]);
            x[i] = xf.getDouble(i);
        }
        assertClose(reference(kind, x, shape, 1), runAttr(kind, xf, false, 1), 1e-5);
        assertClose(reference(kind, x, shape, 2), runAttr(kind, xf, false, 2), 1e-5);
        assertClose(reference(kind, x, shape, 0, 2), runAttr(kind, xf, false, 0, 2), 1e-5);
    }

    /** Rows longer than the engine's chunk fold chunk by chunk (in parallel when rows are few). */
    @ParameterizedTest
    @EnumSource(ReduceKind.class)
    void longRowsMatchBruteForce(ReduceKind kind) {
        int[] shape = {2, 40_000};
        double[] x = kind == ReduceKind.PROD ? random(7, 80_000, 0.999, 1.001) : inputFor(kind, 80_000);
        Tensor xd = Tensor.of(x, shape);
        assertClose(reference(kind, x, shape, 1), runInput(kind, xd, false, 1), 1e-9);
        assertClose(reference(kind, x, shape, 0, 1), runInput(kind, xd, false, 0, 1), 1e-9);
    }

    @Test
    void longIntegerRows() {
        long[] v = new long[50_000];
        for (int i = 0; i < v.length; i++) {
            v[i] = (i * 7919L) % 1000 - 500;
        }
        long sum = 0;
        long max = Long.MIN_VALUE;
        for (long a : v) {
            sum += a;
            max = Math.max(max, a);
        }
        Tensor x = Tensor.of(v, v.length);
        assertEquals(sum, runInput(ReduceKind.SUM, x, false, 0).getLong(0));
        assertEquals(max, runInput(ReduceKind.MAX, x, false, 0).getLong(0));
    }

    @Test
    void keepdimsShapes() {
        Tensor x = Tensor.of(random(1, 24, -1, 1), 2, 3, 4);
        assertArrayEquals(new int[] {2, 1, 4}, runAttr(ReduceKind.SUM, x, true, 1).shape());
        assertArrayEquals(new int[] {2, 4}, runAttr(ReduceKind.SUM, x, false, -2).shape());
        assertArrayEquals(new int[] {1, 1, 1}, runAttr(ReduceKind.SUM, x, true).shape());
        assertArrayEquals(new int[0], runAttr(ReduceKind.SUM, x, false).shape());
    }

    @Test
    void handWorkedExample() {
        // [[1, 2], [3, 4]]: sums over axis 1 are 3 and 7; products 2 and 12; L2 over all sqrt(30)
        Tensor x = Tensor.of(new float[] {1, 2, 3, 4}, 2, 2);
        assertArrayEquals(new float[] {3, 7}, runAttr(ReduceKind.SUM, x, false, 1).toFloatArray());
        assertArrayEquals(new float[] {2, 12}, runAttr(ReduceKind.PROD, x, false, 1).toFloatArray());
        assertArrayEquals(new float[] {2, 3}, runAttr(ReduceKind.MEAN, x, false, 0).toFloatArray());
        assertEquals((float) Math.sqrt(30), runAttr(ReduceKind.L2, x, false).getFloat(0), 1e-6);
        assertArrayEquals(new float[] {3, 4}, runAttr(ReduceKind.MAX, x, false, 0).toFloatArray());
    }

    @Test
    void logSumExpDoesNotOverflow() {
        Tensor x = Tensor.of(new float[] {1000, 1000, -1000}, 3);
        assertEquals(1000 + Math.log(2), runAttr(ReduceKind.LOG_SUM_EXP, x, false).getDouble(0), 1e-3);
        Tensor inf = Tensor.of(new float[] {Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY}, 2);
        assertEquals(Double.NEGATIVE_INFINITY, runAttr(ReduceKind.LOG_SUM_EXP, inf, false).getDouble(0));
    }

    @Test
    void maxPropagatesNaN() {
        Tensor x = Tensor.of(new float[] {1, Float.NaN, 3}, 3);
        assertTrue(Float.isNaN(runAttr(ReduceKind.MAX, x, false).getFloat(0)));
        assertTrue(Float.isNaN(runAttr(ReduceKind.MIN, x, false).getFloat(0)));
    }

    // ------------------------------------------------------------------ axes semantics by version

    @Test
    void emptyAxesInputReducesAllUnlessNoop() {
        Tensor x = Tensor.of(new float[] {-1, 2, -3, 4}, 2, 2);
        Tensor none = Tensor.of(new long[0], 0);
        Tensor all = OpTester.of("ReduceSum", 13).inputs(2).run(x, none)[0];
        assertArrayEquals(new int[] {1, 1}, all.shape());
        assertEquals(2f, all.getFloat(0));
        Tensor omitted = OpTester.of("ReduceSum", 13).inputs(1).attr("keepdims", 0L).run(x)[0];
        assertArrayEquals(new int[0], omitted.shape());
        assertEquals(2f, omitted.getFloat(0));
        Tensor noop = OpTester.of("ReduceSum", 13).inputs(2).attr("noop_with_empty_axes", 1L).run(x, none)[0];
        assertArrayEquals(new int[] {2, 2}, noop.shape());
        assertArrayEquals(new float[] {-1, 2, -3, 4}, noop.toFloatArray());
    }

    @Test
    void noopStillAppliesTheElementwiseParts() {
        // ONNX (2025 clarification): with no axes to reduce, each element is reduced alone
        Tensor x = Tensor.of(new float[] {-1, 2, -3, 4}, 2, 2);
        assertArrayEquals(new float[] {1, 2, 3, 4},
                OpTester.of("ReduceL1", 18).inputs(1).attr("noop_with_empty_axes", 1L).run(x)[0].toFloatArray());
        assertArrayEquals(new float[] {1, 4, 9, 16},
                OpTester.of("ReduceSumSquare", 18).inputs(1).attr("noop_with_empty_axes", 1L).run(x)[0]
                        .toFloatArray());
        assertArrayEquals(new float[] {-1, 2, -3, 4},
                OpTester.of("ReduceMax", 18).inputs(1).attr("noop_with_empty_axes", 1L).run(x)[0].toFloatArray());
    }

    @Test
    void attributeVersionsIgnoreAnAxesInputAndRefuseTheAttributeLater() {
        Tensor x = Tensor.of(new float[] {1, 2, 3, 4}, 2, 2);
        assertArrayEquals(new float[] {2, 3},
                OpTester.of("ReduceMean", 17).inputs(1).attrInts("axes", 0).attr("keepdims", 0L).run(x)[0]
                        .toFloatArray());
        assertArrayEquals(new float[] {3, 7},
                OpTester.of("ReduceSum", 11).inputs(1).attrInts("axes", -1).attr("keepdims", 0L).run(x)[0]
                        .toFloatArray());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> OpTester.of("ReduceMean", 18).inputs(1).attrInts("axes", 0).build());
        assertTrue(e.getMessage().contains("axes"), e.getMessage());
    }

    @Test
    void badAxesAreClearErrors() {
        Tensor x = Tensor.of(new float[] {1, 2, 3, 4}, 2, 2);
        IllegalArgumentException range = assertThrows(IllegalArgumentException.class,
                () -> runInput(ReduceKind.SUM, x, true, 2));
        assertTrue(range.getMessage().contains("axis 2 is out of range"), range.getMessage());
        IllegalArgumentException twice = assertThrows(IllegalArgumentException.class,
                () -> runInput(ReduceKind.SUM, x, true, 1, -1));
        assertTrue(twice.getMessage().contains("twice"), twice.getMessage());
        IllegalArgumentException type = assertThrows(IllegalArgumentException.class,
                () -> OpTester.of("ReduceSum", 13).inputs(2).run(x, Tensor.of(new int[] {0}, 1)));
        assertTrue(type.getMessage().contains("int64"), type.getMessage());
        IllegalArgumentException dtype = assertThrows(IllegalArgumentException.class,
                () -> runAttr(ReduceKind.SUM, Tensor.fromLongs(DataType.INT8, new long[] {1}, 1), true));
        assertTrue(dtype.getMessage().contains("int8"), dtype.getMessage());
    }

    // ------------------------------------------------------------------ empty inputs and scalars

    @Test
    void emptyReductionsGiveTheIdentity() {
        Tensor x = Tensor.zeros(DataType.FLOAT, 2, 0, 3);
        double[][] expected = {
            {0}, {Double.NaN}, {Double.NEGATIVE_INFINITY}, {Double.POSITIVE_INFINITY}, {1}, {0}, {0},
            {Double.NEGATIVE_INFINITY}, {Double.NEGATIVE_INFINITY}, {0}};
        ReduceKind[] kinds = ReduceKind.values();
        for (int k = 0; k < kinds.length; k++) {
            Tensor y = runInput(kinds[k], x, true, 1);
            assertArrayEquals(new int[] {2, 1, 3}, y.shape());
            for (int i = 0; i < 6; i++) {
                assertEquals(expected[k][0], y.getDouble(i), kinds[k] + " element " + i);
            }
        }
    }

    @Test
    void emptyIntegerMaxAndMinGiveTheTypeLimits() {
        Tensor x = Tensor.zeros(DataType.INT32, 0, 2);
        assertArrayEquals(new long[] {Integer.MIN_VALUE, Integer.MIN_VALUE},
                runInput(ReduceKind.MAX, x, false, 0).toLongArray());
        assertArrayEquals(new long[] {Integer.MAX_VALUE, Integer.MAX_VALUE},
                runInput(ReduceKind.MIN, x, false, 0).toLongArray());
        Tensor u8 = Tensor.zeros(DataType.UINT8, 0);
        assertEquals(255, runInput(ReduceKind.MIN, u8, false, 0).getLong(0));
        assertEquals(0, runInput(ReduceKind.MAX, u8, false, 0).getLong(0));
    }

    @Test
    void emptyOutputStaysEmpty() {
        Tensor x = Tensor.zeros(DataType.FLOAT, 0, 3);
        Tensor y = runInput(ReduceKind.SUM, x, false, 1);
        assertArrayEquals(new int[] {0}, y.shape());
    }

    @Test
    void scalarInput() {
        Tensor x = Tensor.scalar(-3f);
        assertEquals(3f, runAttr(ReduceKind.L1, x, true).getFloat(0));
        assertArrayEquals(new int[0], runAttr(ReduceKind.L1, x, true).shape());
        assertEquals(9f, runInput(ReduceKind.SUM_SQUARE, x, false, 0).getFloat(0));
    }

    // ------------------------------------------------------------------ other types

    @Test
    void int32SumsWrapAndMeanTruncates() {
        Tensor x = Tensor.of(new int[] {Integer.MAX_VALUE, 1, -7, 2}, 2, 2);
        assertArrayEquals(new long[] {Integer.MIN_VALUE, -5}, runAttr(ReduceKind.SUM, x, false, 1).toLongArray());
        Tensor m = runAttr(ReduceKind.MEAN, Tensor.of(new int[] {-7, 2, 5, 2}, 2, 2), false, 1);
        assertEquals(DataType.INT32, m.dtype());
        assertArrayEquals(new long[] {-2, 3}, m.toLongArray());
    }

    @Test
    void uint64ComparesAndDividesUnsigned() {
        long big = 0xF000_0000_0000_0000L; // 2^64 - 2^60 as uint64
        Tensor x = Tensor.fromLongs(DataType.UINT64, new long[] {big, 5, 2, 4}, 4);
        assertEquals(big, runAttr(ReduceKind.MAX, x, false).getLong(0));
        assertEquals(2, runAttr(ReduceKind.MIN, x, false).getLong(0));
        // (2^64 - 2^60) / 2 as an unsigned division; a signed one would be negative
        Tensor pair = Tensor.fromLongs(DataType.UINT64, new long[] {big, 0}, 2);
        assertEquals(0x7800_0000_0000_0000L, runAttr(ReduceKind.MEAN, pair, false).getLong(0));
    }

    @Test
    void int64KeepsFullPrecision() {
        long a = (1L << 60) + 1;
        Tensor x = Tensor.of(new long[] {a, a, 3}, 3);
        assertEquals(2 * a + 3, runAttr(ReduceKind.SUM, x, false).getLong(0));
        assertEquals(a, runAttr(ReduceKind.MAX, x, false).getLong(0));
    }

    @Test
    void integerL2AndLogSumExpTruncate() {
        Tensor x = Tensor.of(new long[] {3, 4, 1, 1}, 2, 2);
        assertArrayEquals(new long[] {5, 1}, runAttr(ReduceKind.L2, x, false, 1).toLongArray());
        // log(e^3 + e^4) = 4.31..., log(2 e) = 1.69...
        assertArrayEquals(new long[] {4, 1}, runAttr(ReduceKind.LOG_SUM_EXP, x, false, 1).toLongArray());
    }

    @Test
    void halfPrecisionTypes() {
        for (DataType t : new DataType[] {DataType.FLOAT16, DataType.BFLOAT16}) {
            Tensor x = Tensor.fromDoubles(t, new double[] {1, 2, 3, 4, 5, 6}, 2, 3);
            Tensor y = runInput(ReduceKind.SUM, x, false, 1);
            assertEquals(t, y.dtype());
            assertArrayEquals(new double[] {6, 15}, y.toDoubleArray());
        }
    }

    @Test
    void boolMaxAndMinFromOpset20() {
        Tensor x = Tensor.of(new boolean[] {true, false, false, false}, 2, 2);
        Tensor any = OpTester.of("ReduceMax", 20).inputs(2).attr("keepdims", 0L).run(x, Tensor.of(new long[] {1}, 1))[0];
        assertEquals(DataType.BOOL, any.dtype());
        assertArrayEquals(new long[] {1, 0}, any.toLongArray());
        Tensor all = OpTester.of("ReduceMin", 20).inputs(2).attr("keepdims", 0L).run(x, Tensor.of(new long[] {0}, 1))[0];
        assertArrayEquals(new long[] {0, 0}, all.toLongArray());
        assertThrows(IllegalArgumentException.class, () -> OpTester.of("ReduceMax", 18).inputs(1).run(x));
    }

    @Test
    void int8MaxFromOpset12() {
        Tensor x = Tensor.fromLongs(DataType.INT8, new long[] {-5, 7, -128}, 3);
        assertEquals(7, OpTester.of("ReduceMax", 12).inputs(1).run(x)[0].getLong(0));
        assertEquals(-128, OpTester.of("ReduceMin", 13).inputs(1).run(x)[0].getLong(0));
        assertThrows(IllegalArgumentException.class, () -> OpTester.of("ReduceMax", 11).inputs(1).run(x));
    }
}
