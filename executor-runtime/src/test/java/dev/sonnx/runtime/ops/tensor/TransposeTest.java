package dev.sonnx.runtime.ops.tensor;

import static dev.sonnx.runtime.ops.tensor.Check.iota;
import static dev.sonnx.runtime.ops.tensor.Check.shape;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Shapes;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.testing.GradCheck;
import dev.sonnx.runtime.testing.OpTester;
import org.junit.jupiter.api.Test;

class TransposeTest {

    /** out[c] = in[c permuted back], computed coordinate by coordinate. */
    private static double[] reference(Tensor x, int[] perm) {
        int[] in = x.shape();
        int[] out = new int[perm.length];
        for (int d = 0; d < perm.length; d++) {
            out[d] = in[perm[d]];
        }
        int[] inStrides = Shapes.strides(in);
        double[] r = new double[x.size()];
        int[] c = new int[out.length];
        for (int i = 0; i < r.length; i++) {
            int src = 0;
            for (int d = 0; d < out.length; d++) {
                src += c[d] * inStrides[perm[d]];
            }
            r[i] = x.getDouble(src);
            for (int d = out.length - 1; d >= 0 && ++c[d] == out[d]; d--) {
                c[d] = 0;
            }
        }
        return r;
    }

    private static void check(DataType type, int[] shape, int... perm) {
        Tensor x = iota(type, shape);
        Tensor y = OpTester.of("Transpose", 13).attrInts("perm", Args.toLongs(perm)).run(x)[0];
        int[] expectedShape = new int[perm.length];
        for (int d = 0; d < perm.length; d++) {
            expectedShape[d] = shape[perm[d]];
        }
        assertEquals(type, y.dtype());
        assertArrayEquals(expectedShape, y.shape());
        assertArrayEquals(reference(x, perm), y.toDoubleArray(), 0, type + " " + Shapes.toString(shape));
    }

    @Test
    void everyPermutationOfThreeAxes() {
        int[][] perms = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
        for (DataType t : new DataType[] {DataType.FLOAT, DataType.DOUBLE, DataType.INT64, DataType.INT8,
            DataType.FLOAT16, DataType.INT32}) {
            for (int[] p : perms) {
                check(t, shape(2, 3, 4), p);
            }
        }
    }

    @Test
    void blockedPathOnLargeFloatMatricesAndLayouts() {
        check(DataType.FLOAT, shape(67, 45), 1, 0);
        check(DataType.FLOAT, shape(2, 5, 33, 40), 0, 2, 3, 1); // NCHW -> NHWC
        check(DataType.FLOAT, shape(2, 33, 40, 5), 0, 3, 1, 2); // NHWC -> NCHW
        check(DataType.FLOAT, shape(3, 4, 35, 36), 3, 2, 1, 0);
        check(DataType.FLOAT, shape(3, 4, 35, 36), 1, 0, 3, 2);
        check(DataType.INT32, shape(40, 3, 70), 2, 1, 0);
    }

    @Test
    void sizeOneAxesAndEmptyTensors() {
        check(DataType.FLOAT, shape(1, 5, 1, 3), 3, 2, 0, 1);
        check(DataType.FLOAT, shape(4, 1, 6), 1, 2, 0);
        Tensor empty = Tensor.zeros(DataType.FLOAT, 0, 3);
        assertArrayEquals(shape(3, 0), OpTester.of("Transpose", 13).run(empty)[0].shape());
        Tensor s = Tensor.scalar(3f);
        assertEquals(3f, OpTester.of("Transpose", 13).run(s)[0].getFloat(0));
    }

    @Test
    void onlySizeOneAxesMovingIsAView() {
        Tensor x = iota(1, 5, 1);
        Tensor y = OpTester.of("Transpose", 13).attrInts("perm", 2, 1, 0).run(x)[0];
        assertSame(x.storage(), y.storage());
    }

    @Test
    void defaultReversesAxes() {
        Tensor x = iota(2, 3, 4);
        Tensor y = OpTester.of("Transpose", 13).run(x)[0];
        assertArrayEquals(shape(4, 3, 2), y.shape());
        assertArrayEquals(reference(x, new int[] {2, 1, 0}), y.toDoubleArray(), 0);
    }

    @Test
    void stringsMove() {
        Tensor x = Tensor.of(new String[] {"a", "b", "c", "d", "e", "f"}, 2, 3);
        Check.strings(OpTester.of("Transpose", 13).run(x)[0], shape(3, 2), "a", "d", "b", "e", "c", "f");
    }

    @Test
    void badPermutations() {
        Check.fails("not a permutation", () -> OpTester.of("Transpose", 13).attrInts("perm", 0, 0).build());
        Check.fails("rank", () -> OpTester.of("Transpose", 13).attrInts("perm", 1, 0).run(iota(2, 3, 4)));
    }

    @Test
    void gradientIsTheInverseTranspose() {
        GradCheck.of(OpTester.of("Transpose", 13).attrInts("perm", 1, 2, 0).build())
                .check(new Tensor[] {GradCheck.random(3, -1, 1, 2, 3, 4)}, 0);
        Tensor f = Tensor.zeros(DataType.FLOAT, 5, 7);
        for (int i = 0; i < f.size(); i++) {
            f.setFloat(i, (float) Math.sin(i));
        }
        GradCheck.of(OpTester.of("Transpose", 13).build()).tolerance(1e-2, 1e-3, 1e-2).check(new Tensor[] {f}, 0);
    }
}
