package dev.sonnx.runtime.ops.conv;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.testing.OpTester;
import dev.sonnx.runtime.testing.TestContext;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ConvTest {

    /** A convolution configuration with the output shape and pads computed here, from the spec's formulas. */
    record Case(int n, int c, int m, int group, int[] image, int[] kernel, int[] strides, int[] dilations,
                int[] padBegin, int[] padEnd, String autoPad, boolean bias) {

        int rank() {
            return image.length;
        }

        int[] xShape() {
            return concat(n, c, image);
        }

        int[] wShape() {
            return concat(m, c / group, kernel);
        }

        /** Pads actually applied: explicit, or SAME's split of the total (extra at the end for SAME_UPPER). */
        int[][] effectivePads() {
            int r = rank();
            int[] b = new int[r];
            int[] e = new int[r];
            for (int d = 0; d < r; d++) {
                int extent = (kernel[d] - 1) * dilations[d] + 1;
                if (autoPad.startsWith("SAME")) {
                    int out = (image[d] + strides[d] - 1) / strides[d];
                    int total = Math.max(0, (out - 1) * strides[d] + extent - image[d]);
                    b[d] = autoPad.equals("SAME_UPPER") ? total / 2 : (total + 1) / 2;
                    e[d] = total - b[d];
                } else if (autoPad.equals("NOTSET")) {
                    b[d] = padBegin[d];
                    e[d] = padEnd[d];
                }
            }
            return new int[][] {b, e};
        }

        int[] outSpatial() {
            int[][] p = effectivePads();
            int[] out = new int[rank()];
            for (int d = 0; d < rank(); d++) {
                int extent = (kernel[d] - 1) * dilations[d] + 1;
                out[d] = (image[d] + p[0][d] + p[1][d] - extent) / strides[d] + 1;
            }
            return out;
        }

        OpTester tester(String op, int opset) {
            OpTester t = OpTester.of(op, opset).inputs(bias ? 3 : 2).attr("group", group)
                    .attrInts("strides", longs(strides)).attrInts("dilations", longs(dilations));
            if (autoPad.equals("NOTSET")) {
                int[] pads = new int[2 * rank()];
                System.arraycopy(padBegin, 0, pads, 0, rank());
                System.arraycopy(padEnd, 0, pads, rank(), rank());
                t.attrInts("pads", longs(pads));
            } else {
                t.attr("auto_pad", autoPad);
            }
            return t;
        }
    }

    static int[] concat(int a, int b, int[] rest) {
        int[] r = new int[rest.length + 2];
        r[0] = a;
        r[1] = b;
        System.arraycopy(rest, 0, r, 2, rest.length);
        return r;
    }

    static long[] longs(int[] v) {
        return Arrays.stream(v).asLongStream().toArray();
    }

    /** A random small case of spatial rank 1 to 3: groups (incl. depthwise), strides, dilations, asymmetric pads. */
    static Case randomCase(SplittableRandom r) {
        int rank = 1 + r.nextInt(3);
        int group = new int[] {1, 1, 2, 3}[r.nextInt(4)];
        int cg = 1 + r.nextInt(3);
        boolean depthwise = r.nextInt(4) == 0;
        if (depthwise) {
            cg = 1;
            group = 2 + r.nextInt(4);
        }
        int c = cg * group;
        int m = group * (1 + r.nextInt(3));
        int[] image = new int[rank];
        int[] kernel = new int[rank];
        int[] strides = new int[rank];
        int[] dilations = new int[rank];
        int[] pb = new int[rank];
        int[] pe = new int[rank];
        String autoPad = new String[] {"NOTSET", "NOTSET", "NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"}[r.nextInt(6)];
        int maxImage = rank == 3 ? 6 : 9;
        for (int d = 0; d < rank; d++) {
            kernel[d] = 1 + r.nextInt(3);
            strides[d] = 1 + r.nextInt(3);
            dilations[d] = 1 + r.nextInt(2);
            pb[d] = r.nextInt(3);
            pe[d] = r.nextInt(3);
            int extent = (kernel[d] - 1) * dilations[d] + 1;
            image[d] = extent + r.nextInt(maxImage - 1);
        }
        return new Case(1 + r.nextInt(2), c, m, group, image, kernel, strides, dilations, pb, pe, autoPad,
                r.nextBoolean());
    }

    static double[] rounded(DataType type, double[] v) {
        return Tensor.fromDoubles(type, v, v.length).toDoubleArray();
    }

    static void assertClose(double[] expected, Tensor actual, double atol, double rtol, String what) {
        assertEquals(expected.length, actual.size(), what + ": size");
        for (int i = 0; i < expected.length; i++) {
            double e = expected[i];
            double a = actual.getDouble(i);
            assertTrue(Math.abs(a - e) <= atol + rtol * Math.abs(e),
                    what + ": element " + i + " is " + a + ", expected " + e);
        }
    }

    private static void checkAgainstReference(Case k, DataType type, long seed, double atol, double rtol) {
        double[] x = rounded(type, ConvReference.random(seed, ConvReference.size(k.xShape())));
        double[] w = rounded(type, ConvReference.random(seed + 1, ConvReference.size(k.wShape())));
        double[] b = k.bias() ? rounded(type, ConvReference.random(seed + 2, k.m())) : null;
        int[] out = k.outSpatial();
        double[] expected = ConvReference.conv(x, k.xShape(), w, k.wShape(), b, k.group(), k.strides(),
                k.dilations(), k.effectivePads()[0], out);
        Tensor[] inputs = k.bias()
                ? new Tensor[] {Tensor.fromDoubles(type, x, k.xShape()), Tensor.fromDoubles(type, w, k.wShape()),
                    Tensor.fromDoubles(type, b, k.m())}
                : new Tensor[] {Tensor.fromDoubles(type, x, k.xShape()), Tensor.fromDoubles(type, w, k.wShape())};
        Tensor y = k.tester("Conv", 11).run(inputs)[0];
        assertEquals(type, y.dtype());
        assertArrayEquals(concat(k.n(), k.m(), out), y.shape(), k.toString());
        assertClose(expected, y, atol, rtol, type + " " + k);
    }

    @Test
    void sumsOfThreeByThreeWindows() {
        // 5x5 image holding 0..24, all-ones 3x3 kernel: each output is 9 times its window's centre value
        double[] x = new double[25];
        for (int i = 0; i < 25; i++) {
            x[i] = i;
        }
        double[] w = new double[9];
        Arrays.fill(w, 1);
        Tensor y = OpTester.of("Conv", 11).inputs(2).attrInts("kernel_shape", 3, 3)
                .run(Tensor.fromDoubles(DataType.FLOAT, x, 1, 1, 5, 5),
                        Tensor.fromDoubles(DataType.FLOAT, w, 1, 1, 3, 3))[0];
        assertArrayEquals(new int[] {1, 1, 3, 3}, y.shape());
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 3; j++) {
                assertEquals(9.0 * (5 * (i + 1) + (j + 1)), y.getDouble(i * 3 + j), 1e-4);
            }
        }
    }

    @Test
    void biasAndStridesByHand() {
        // x = [1, 2, 3, 4, 5], w = [1, -1], stride 2, bias 10: y[i] = 10 + x[2i] - x[2i+1]
        Tensor y = OpTester.of("Conv", 11).inputs(3).attrInts("strides", 2)
                .run(Tensor.of(new float[] {1, 2, 3, 4, 5}, 1, 1, 5), Tensor.of(new float[] {1, -1}, 1, 1, 2),
                        Tensor.of(new float[] {10}, 1))[0];
        assertArrayEquals(new int[] {1, 1, 2}, y.shape());
        assertArrayEquals(new float[] {9, 9}, y.toFloatArray(), 1e-6f);
    }

    @Test
    void randomCasesFloat64() {
        SplittableRandom r = new SplittableRandom(11);
        for (int i = 0; i < 150; i++) {
            checkAgainstReference(randomCase(r), DataType.DOUBLE, 100 + i, 1e-12, 1e-12);
        }
    }

    @Test
    void randomCasesFloat32() {
        SplittableRandom r = new SplittableRandom(12);
        for (int i = 0; i < 60; i++) {
            checkAgainstReference(randomCase(r), DataType.FLOAT, 300 + i, 1e-5, 1e-5);
        }
    }

    @Test
    void randomCasesFloat16() {
        SplittableRandom r = new SplittableRandom(13);
        for (int i = 0; i < 40; i++) {
            // inputs are rounded to float16 before the reference runs; the output's rounding is 2^-11 relative
            checkAgainstReference(randomCase(r), DataType.FLOAT16, 500 + i, 2e-3, 2e-3);
        }
    }

    @Test
    void largerImagesFloat32() {
        // big enough for the (image, group) pairs to run on several threads
        Case k = new Case(4, 8, 6, 2, new int[] {17, 13}, new int[] {3, 3}, new int[] {1, 2}, new int[] {2, 1},
                new int[] {1, 0}, new int[] {2, 1}, "NOTSET", true);
        checkAgainstReference(k, DataType.FLOAT, 7, 1e-4, 1e-5);
        checkAgainstReference(k, DataType.DOUBLE, 7, 1e-12, 1e-12);
    }

    @Test
    void pointwiseConvolutionSkipsIm2col() {
        Case k = new Case(2, 6, 4, 1, new int[] {5, 7}, new int[] {1, 1}, new int[] {1, 1}, new int[] {1, 1},
                new int[] {0, 0}, new int[] {0, 0}, "NOTSET", true);
        checkAgainstReference(k, DataType.DOUBLE, 9, 1e-12, 1e-12);
        checkAgainstReference(k, DataType.FLOAT, 9, 1e-5, 1e-5);
    }

    @Test
    void emptyBatchGivesEmptyOutput() {
        Tensor y = OpTester.of("Conv", 11).inputs(2).attrInts("pads", 1, 1)
                .run(Tensor.zeros(DataType.FLOAT, 0, 2, 4), Tensor.zeros(DataType.FLOAT, 3, 2, 3))[0];
        assertArrayEquals(new int[] {0, 3, 4}, y.shape());
    }

    @Test
    void kernelShapeAttributeMustMatchWeights() {
        Operator op = OpTester.of("Conv", 11).inputs(2).attrInts("kernel_shape", 2, 2).build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> op.forward(new Tensor[] {
            Tensor.zeros(DataType.FLOAT, 1, 1, 4, 4), Tensor.zeros(DataType.FLOAT, 1, 1, 3, 3)},
                new TestContext(false)));
        assertTrue(e.getMessage().contains("kernel_shape"), e.getMessage());
    }

    @Test
    void channelsMustMatchGroups() {
        Operator op = OpTester.of("Conv", 11).inputs(2).attr("group", 2).build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> op.forward(new Tensor[] {
            Tensor.zeros(DataType.FLOAT, 1, 4, 4), Tensor.zeros(DataType.FLOAT, 2, 3, 3)}, new TestContext(false)));
        assertTrue(e.getMessage().contains("channels"), e.getMessage());
    }

    @Test
    void badAttributesAreRefusedAtPrepare() {
        assertThrows(IllegalArgumentException.class,
                () -> OpTester.of("Conv", 11).inputs(2).attr("auto_pad", "SAME").build());
        assertThrows(IllegalArgumentException.class,
                () -> OpTester.of("Conv", 11).inputs(2).attrInts("strides", 0, 1).build());
        assertThrows(IllegalArgumentException.class,
                () -> OpTester.of("Conv", 11).inputs(2).attrInts("pads", 1, 1, 1).build());
    }

    @Test
    void integerInputsAreRefused() {
        Operator op = OpTester.of("Conv", 11).inputs(2).build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> op.forward(new Tensor[] {
            Tensor.zeros(DataType.INT32, 1, 1, 4), Tensor.zeros(DataType.INT32, 1, 1, 3)}, new TestContext(false)));
        assertTrue(e.getMessage().contains("input X"), e.getMessage());
    }

    @Test
    void inputTooSmallForKernelIsAnError() {
        Operator op = OpTester.of("Conv", 11).inputs(2).build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> op.forward(new Tensor[] {
            Tensor.zeros(DataType.FLOAT, 1, 1, 2), Tensor.zeros(DataType.FLOAT, 1, 1, 3)}, new TestContext(false)));
        assertTrue(e.getMessage().contains("kernel"), e.getMessage());
    }
}
