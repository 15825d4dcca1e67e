package dev.sonnx.runtime.ops.conv;

import static dev.sonnx.runtime.ops.conv.ConvTest.assertClose;
import static dev.sonnx.runtime.ops.conv.ConvTest.concat;
import static dev.sonnx.runtime.ops.conv.ConvTest.longs;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.testing.OpTester;
import dev.sonnx.runtime.testing.TestContext;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class PoolTest {

    private static Tensor grid(DataType type, int rows, int cols) {
        double[] v = new double[rows * cols];
        for (int i = 0; i < v.length; i++) {
            v[i] = i + 1;
        }
        return Tensor.fromDoubles(type, v, 1, 1, rows, cols);
    }

    @Test
    void maxPoolWithIndicesInBothStorageOrders() {
        // 1..12 in a 3x4 grid, 2x2 windows, stride 2: maxima 6 (at row 1, col 1) and 8 (row 1, col 3)
        Tensor x = grid(DataType.FLOAT, 3, 4);
        Tensor[] rowMajor = OpTester.of("MaxPool", 12).inputs(1).outputs(2).attrInts("kernel_shape", 2, 2)
                .attrInts("strides", 2, 2).run(x);
        assertArrayEquals(new int[] {1, 1, 1, 2}, rowMajor[0].shape());
        assertArrayEquals(new float[] {6, 8}, rowMajor[0].toFloatArray());
        assertArrayEquals(new long[] {5, 7}, rowMajor[1].toLongArray());
        Tensor[] colMajor = OpTester.of("MaxPool", 12).inputs(1).outputs(2).attrInts("kernel_shape", 2, 2)
                .attrInts("strides", 2, 2).attr("storage_order", 1).run(x);
        // column-major offset of (r, c) in a 3x4 plane: r + 3c
        assertArrayEquals(new long[] {1 + 3, 1 + 3 * 3}, colMajor[1].toLongArray());
    }

    @Test
    void maxPoolCeilModeKeepsPartialWindows() {
        Tensor y = OpTester.of("MaxPool", 12).inputs(1).attrInts("kernel_shape", 2).attrInts("strides", 2)
                .attr("ceil_mode", 1).run(Tensor.of(new float[] {1, 5, 2, 4, 3}, 1, 1, 5))[0];
        assertArrayEquals(new float[] {5, 4, 3}, y.toFloatArray());
    }

    @Test
    void maxPoolRandomCasesWithIndices() {
        SplittableRandom r = new SplittableRandom(31);
        for (int i = 0; i < 80; i++) {
            RandomPool c = RandomPool.of(r, true);
            double[] x = ConvReference.random(60 + i, c.n * c.c * ConvReference.size(c.ref.image));
            int[] expectedIdx = new int[c.n * c.c * ConvReference.size(c.ref.out)];
            double[] expected = c.ref.poolAll(x, c.n * c.c, PoolReference.Kind.MAX, 0, expectedIdx);
            for (DataType type : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
                Tensor[] y = c.tester("MaxPool", 12).outputs(2).run(Tensor.fromDoubles(type, x, c.xShape()));
                assertArrayEquals(concat(c.n, c.c, c.ref.out), y[0].shape(), c.toString());
                assertClose(Tensor.fromDoubles(type, expected, expected.length).toDoubleArray(), y[0], 0, 0,
                        "MaxPool " + c);
                assertArrayEquals(java.util.Arrays.stream(expectedIdx).asLongStream().toArray(), y[1].toLongArray(),
                        "indices " + c);
            }
        }
    }

    @Test
    void maxPoolOnBytesFromVersion12() {
        Tensor x = Tensor.fromLongs(DataType.INT8, new long[] {-5, 7, -128, 3, 127, -1}, 1, 1, 6);
        Tensor y = OpTester.of("MaxPool", 12).inputs(1).attrInts("kernel_shape", 2).attrInts("strides", 2).run(x)[0];
        assertEquals(DataType.INT8, y.dtype());
        assertArrayEquals(new long[] {7, 3, 127}, y.toLongArray());
        Tensor u = Tensor.fromLongs(DataType.UINT8, new long[] {200, 255, 0, 1}, 1, 1, 4);
        assertArrayEquals(new long[] {255, 255, 1}, OpTester.of("MaxPool", 12).inputs(1).attrInts("kernel_shape", 2)
                .run(u)[0].toLongArray());
        Operator v11 = OpTester.of("MaxPool", 11).inputs(1).attrInts("kernel_shape", 2).build();
        assertThrows(IllegalArgumentException.class, () -> v11.forward(new Tensor[] {x}, new TestContext(false)));
    }

    @Test
    void maxPoolIgnoresNaN() {
        // as onnxruntime and oneDNN: NaN never wins, a window of NaN only gives the lowest float
        Tensor y = OpTester.of("MaxPool", 12).inputs(1).attrInts("kernel_shape", 2)
                .run(Tensor.of(new float[] {1, Float.NaN, 3, Float.NaN, Float.NaN}, 1, 1, 5))[0];
        assertArrayEquals(new float[] {1, 3, 3, -Float.MAX_VALUE}, y.toFloatArray());
        Tensor g = OpTester.of("GlobalMaxPool", 1).inputs(1)
                .run(Tensor.of(new float[] {Float.NaN, -2, Float.NaN}, 1, 1, 3))[0];
        assertEquals(-2, g.getFloat(0));
    }

    @Test
    void averagePoolExcludesOrIncludesPadding() {
        // [1, 2, 3] with pads 1 and kernel 2: windows {pad, 1}, {2, 3} (stride 2)
        Tensor x = Tensor.of(new float[] {1, 2, 3}, 1, 1, 3);
        Tensor exclude = OpTester.of("AveragePool", 11).inputs(1).attrInts("kernel_shape", 2).attrInts("strides", 2)
                .attrInts("pads", 1, 0).run(x)[0];
        assertArrayEquals(new float[] {1, 2.5f}, exclude.toFloatArray());
        Tensor include = OpTester.of("AveragePool", 11).inputs(1).attrInts("kernel_shape", 2).attrInts("strides", 2)
                .attrInts("pads", 1, 0).attr("count_include_pad", 1).run(x)[0];
        assertArrayEquals(new float[] {0.5f, 2.5f}, include.toFloatArray());
    }

    @Test
    void averagePoolRandomCases() {
        SplittableRandom r = new SplittableRandom(32);
        for (int i = 0; i < 80; i++) {
            RandomPool c = RandomPool.of(r, true);
            boolean include = r.nextBoolean();
            double[] x = ConvReference.random(160 + i, c.n * c.c * ConvReference.size(c.ref.image));
            double[] expected = c.ref.poolAll(x, c.n * c.c,
                    include ? PoolReference.Kind.AVERAGE_INCLUDE_PAD : PoolReference.Kind.AVERAGE_EXCLUDE_PAD, 0, null);
            for (DataType type : new DataType[] {DataType.FLOAT, DataType.DOUBLE, DataType.FLOAT16}) {
                double[] xr = Tensor.fromDoubles(type, x, x.length).toDoubleArray();
                double[] e = type == DataType.DOUBLE ? expected : c.ref.poolAll(xr, c.n * c.c,
                        include ? PoolReference.Kind.AVERAGE_INCLUDE_PAD : PoolReference.Kind.AVERAGE_EXCLUDE_PAD, 0,
                        null);
                Tensor y = c.tester("AveragePool", 19).attr("count_include_pad", include ? 1 : 0)
                        .run(Tensor.fromDoubles(type, xr, c.xShape()))[0];
                double tol = type == DataType.DOUBLE ? 1e-12 : type == DataType.FLOAT ? 1e-6 : 1e-3;
                assertClose(e, y, tol, tol, type + " AveragePool include=" + include + " " + c);
            }
        }
    }

    @Test
    void dilationsNeedAveragePool19() {
        // before version 19 AveragePool has no dilations: the attribute is not read
        Tensor x = Tensor.of(new float[] {1, 2, 3, 4}, 1, 1, 4);
        Tensor v11 = OpTester.of("AveragePool", 11).inputs(1).attrInts("kernel_shape", 2).attrInts("dilations", 2)
                .run(x)[0];
        assertArrayEquals(new float[] {1.5f, 2.5f, 3.5f}, v11.toFloatArray());
        Tensor v19 = OpTester.of("AveragePool", 19).inputs(1).attrInts("kernel_shape", 2).attrInts("dilations", 2)
                .run(x)[0];
        assertArrayEquals(new float[] {2, 3}, v19.toFloatArray());
    }

    @Test
    void lpPoolRandomCases() {
        SplittableRandom r = new SplittableRandom(33);
        for (int i = 0; i < 40; i++) {
            RandomPool c = RandomPool.of(r, true);
            int p = 1 + r.nextInt(3);
            double[] x = ConvReference.random(260 + i, c.n * c.c * ConvReference.size(c.ref.image));
            double[] expected = c.ref.poolAll(x, c.n * c.c, PoolReference.Kind.LP, p, null);
            Tensor y = c.tester("LpPool", 18).attr("p", p).run(Tensor.fromDoubles(DataType.DOUBLE, x, c.xShape()))[0];
            assertClose(expected, y, 1e-12, 1e-12, "LpPool p=" + p + " " + c);
        }
    }

    @Test
    void lpPoolVersion1TakesAFloatP() {
        Tensor y = OpTester.of("LpPool", 1).inputs(1).attrInts("kernel_shape", 2).attr("p", 3f)
                .run(Tensor.of(new double[] {1, -2}, 1, 1, 2))[0];
        assertEquals(Math.cbrt(9), y.getDouble(0), 1e-12);
    }

    @Test
    void globalPools() {
        // planes [1, 2, 3, 4] and [-1, 0, 5, -6]
        Tensor x = Tensor.of(new double[] {1, 2, 3, 4, -1, 0, 5, -6}, 1, 2, 2, 2);
        Tensor avg = OpTester.of("GlobalAveragePool", 1).inputs(1).run(x)[0];
        assertArrayEquals(new int[] {1, 2, 1, 1}, avg.shape());
        assertArrayEquals(new double[] {2.5, -0.5}, avg.toDoubleArray(), 1e-15);
        assertArrayEquals(new double[] {4, 5}, OpTester.of("GlobalMaxPool", 1).inputs(1).run(x)[0].toDoubleArray());
        Tensor lp = OpTester.of("GlobalLpPool", 2).inputs(1).attr("p", 2).run(x)[0];
        assertArrayEquals(new double[] {Math.sqrt(30), Math.sqrt(62)}, lp.toDoubleArray(), 1e-12);
        Tensor lp1 = OpTester.of("GlobalLpPool", 2).inputs(1).attr("p", 1).run(x)[0];
        assertArrayEquals(new double[] {10, 12}, lp1.toDoubleArray(), 1e-12);
    }

    @Test
    void globalAveragePoolOnFloat16And3d() {
        Tensor x = Tensor.fromDoubles(DataType.FLOAT16, new double[] {1, 2, 3, 4, 5, 6, 7, 8}, 1, 1, 2, 2, 2);
        Tensor y = OpTester.of("GlobalAveragePool", 1).inputs(1).run(x)[0];
        assertEquals(DataType.FLOAT16, y.dtype());
        assertArrayEquals(new int[] {1, 1, 1, 1, 1}, y.shape());
        assertEquals(4.5, y.getDouble(0), 0);
    }

    @Test
    void maxUnpoolInvertsMaxPoolPositions() {
        Tensor x = grid(DataType.FLOAT, 4, 4);
        Tensor[] pooled = OpTester.of("MaxPool", 12).inputs(1).outputs(2).attrInts("kernel_shape", 2, 2)
                .attrInts("strides", 2, 2).run(x);
        Tensor y = OpTester.of("MaxUnpool", 11).inputs(2).attrInts("kernel_shape", 2, 2).attrInts("strides", 2, 2)
                .run(pooled[0], pooled[1])[0];
        assertArrayEquals(new int[] {1, 1, 4, 4}, y.shape());
        float[] expected = new float[16];
        expected[5] = 6;
        expected[7] = 8;
        expected[13] = 14;
        expected[15] = 16;
        assertArrayEquals(expected, y.toFloatArray());
    }

    @Test
    void maxUnpoolWithOutputShapeUsesFlatIndicesOfThatShape() {
        // a 5x5 input pooled by 2x2/2 gives 2x2 maxima whose indices are offsets in the 5x5 plane
        Tensor x = Tensor.of(new float[] {1, 2, 3, 4}, 1, 1, 2, 2);
        Tensor idx = Tensor.of(new long[] {6, 8, 16, 18}, 1, 1, 2, 2);
        Tensor y = OpTester.of("MaxUnpool", 11).inputs(3).attrInts("kernel_shape", 2, 2).attrInts("strides", 2, 2)
                .run(x, idx, Tensor.of(new long[] {1, 1, 5, 5}, 4))[0];
        assertArrayEquals(new int[] {1, 1, 5, 5}, y.shape());
        assertEquals(1, y.getFloat(6));
        assertEquals(2, y.getFloat(8));
        assertEquals(3, y.getFloat(16));
        assertEquals(4, y.getFloat(18));
        assertEquals(10, y.getFloat(6) + y.getFloat(8) + y.getFloat(16) + y.getFloat(18));
    }

    @Test
    void maxUnpoolRefusesIndicesOutsideTheOutput() {
        Operator op = OpTester.of("MaxUnpool", 11).inputs(2).attrInts("kernel_shape", 2).build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> op.forward(new Tensor[] {
            Tensor.of(new float[] {1}, 1, 1, 1), Tensor.of(new long[] {2}, 1, 1, 1)}, new TestContext(false)));
        assertTrue(e.getMessage().contains("index 2"), e.getMessage());
    }

    @Test
    void col2imFoldsOverlappingBlocks() {
        // image [1, 4], blocks [1, 2] at stride 1: 3 positions; column rows are the two taps
        // taps: position p covers (p, p + 1); sums: y0 = a0, y1 = b0 + a1, y2 = b1 + a2, y3 = b2
        Tensor col = Tensor.of(new double[] {1, 2, 3, 10, 20, 30}, 1, 2, 3);
        Tensor y = OpTester.of("Col2Im", 18).inputs(3)
                .run(col, Tensor.of(new long[] {1, 4}, 2), Tensor.of(new long[] {1, 2}, 2))[0];
        assertArrayEquals(new int[] {1, 1, 1, 4}, y.shape());
        assertArrayEquals(new double[] {1, 12, 23, 30}, y.toDoubleArray(), 0);
    }

    @Test
    void col2imIsTheAdjointOfIm2colOnRandomGeometry() {
        // <fold(c), x> = <c, unfold(x)> for every c and x, with unfold written here from the definition
        SplittableRandom r = new SplittableRandom(34);
        for (int i = 0; i < 20; i++) {
            int[] image = {3 + r.nextInt(4), 3 + r.nextInt(4)};
            int[] block = {1 + r.nextInt(2), 1 + r.nextInt(2)};
            int[] s = {1 + r.nextInt(2), 1 + r.nextInt(2)};
            int[] d = {1 + r.nextInt(2), 1 + r.nextInt(2)};
            int[] pads = {r.nextInt(2), r.nextInt(2), r.nextInt(2), r.nextInt(2)};
            PoolReference g = new PoolReference(image, block, s, d, new int[] {pads[0], pads[1]},
                    new int[] {pads[2], pads[3]}, false);
            int taps = block[0] * block[1];
            int positions = g.out[0] * g.out[1];
            int channels = 2;
            double[] c = ConvReference.random(400 + i, channels * taps * positions);
            double[] x = ConvReference.random(500 + i, channels * image[0] * image[1]);
            Tensor y = OpTester.of("Col2Im", 18).inputs(3).attrInts("strides", longs(s)).attrInts("dilations", longs(d))
                    .attrInts("pads", longs(pads)).run(Tensor.of(c, 1, channels * taps, positions),
                            Tensor.of(new long[] {image[0], image[1]}, 2),
                            Tensor.of(new long[] {block[0], block[1]}, 2))[0];
            double lhs = 0;
            for (int j = 0; j < x.length; j++) {
                lhs += y.getDouble(j) * x[j];
            }
            double rhs = 0;
            for (int ch = 0; ch < channels; ch++) {
                for (int k = 0; k < taps; k++) {
                    int ki = k / block[1];
                    int kj = k % block[1];
                    for (int p = 0; p < positions; p++) {
                        int oi = p / g.out[1];
                        int oj = p % g.out[1];
                        int yi = oi * s[0] - pads[0] + ki * d[0];
                        int yj = oj * s[1] - pads[1] + kj * d[1];
                        if (yi >= 0 && yi < image[0] && yj >= 0 && yj < image[1]) {
                            rhs += c[(ch * taps + k) * positions + p] * x[(ch * image[0] + yi) * image[1] + yj];
                        }
                    }
                }
            }
            assertEquals(rhs, lhs, 1e-9, "case " + i);
        }
    }

    @Test
    void col2imChecksTheBlockCount() {
        Operator op = OpTester.of("Col2Im", 18).inputs(3).build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> op.forward(new Tensor[] {
            Tensor.zeros(DataType.FLOAT, 1, 2, 4), Tensor.of(new long[] {1, 4}, 2), Tensor.of(new long[] {1, 2}, 2)},
                new TestContext(false)));
        assertTrue(e.getMessage().contains("blocks"), e.getMessage());
    }

    @Test
    void poolsNeedKernelShape() {
        assertThrows(IllegalArgumentException.class, () -> OpTester.of("MaxPool", 12).inputs(1).build());
        assertThrows(IllegalArgumentException.class, () -> OpTester.of("AveragePool", 11).inputs(1).build());
    }

    /** A random pooling geometry with explicit pads (smaller than the kernel, as the spec requires). */
    static final class RandomPool {
        int n;
        int c;
        PoolReference ref;
        boolean ceil;

        static RandomPool of(SplittableRandom r, boolean dilations) {
            RandomPool p = new RandomPool();
            int rank = 1 + r.nextInt(3);
            p.n = 1 + r.nextInt(2);
            p.c = 1 + r.nextInt(3);
            p.ceil = r.nextBoolean();
            int[] image = new int[rank];
            int[] k = new int[rank];
            int[] s = new int[rank];
            int[] d = new int[rank];
            int[] pb = new int[rank];
            int[] pe = new int[rank];
            for (int i = 0; i < rank; i++) {
                k[i] = 1 + r.nextInt(3);
                s[i] = 1 + r.nextInt(3);
                d[i] = dilations ? 1 + r.nextInt(2) : 1;
                pb[i] = r.nextInt(k[i]);
                pe[i] = r.nextInt(k[i]);
                image[i] = (k[i] - 1) * d[i] + 1 + r.nextInt(rank == 3 ? 4 : 7);
            }
            p.ref = new PoolReference(image, k, s, d, pb, pe, p.ceil);
            return p;
        }

        int[] xShape() {
            return concat(n, c, ref.image);
        }

        OpTester tester(String op, int opset) {
            int r = ref.image.length;
            int[] pads = new int[2 * r];
            System.arraycopy(ref.padBegin, 0, pads, 0, r);
            System.arraycopy(ref.padEnd, 0, pads, r, r);
            return OpTester.of(op, opset).inputs(1).attrInts("kernel_shape", longs(ref.kernel))
                    .attrInts("strides", longs(ref.strides)).attrInts("dilations", longs(ref.dilations))
                    .attrInts("pads", longs(pads)).attr("ceil_mode", ceil ? 1 : 0);
        }

        @Override
        public String toString() {
            return "image " + java.util.Arrays.toString(ref.image) + " kernel " + java.util.Arrays.toString(ref.kernel)
                    + " strides " + java.util.Arrays.toString(ref.strides) + " dilations "
                    + java.util.Arrays.toString(ref.dilations) + " pads " + java.util.Arrays.toString(ref.padBegin)
                    + java.util.Arrays.toString(ref.padEnd) + " ceil " + ceil;
        }
    }
}
