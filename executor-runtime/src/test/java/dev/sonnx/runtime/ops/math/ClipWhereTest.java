package dev.sonnx.runtime.ops.math;

import static dev.sonnx.runtime.ops.math.MathTesting.assertDoubles;
import static dev.sonnx.runtime.ops.math.MathTesting.assertLongs;
import static dev.sonnx.runtime.ops.math.MathTesting.assertShape;
import static dev.sonnx.runtime.ops.math.MathTesting.run;
import static dev.sonnx.runtime.ops.math.MathTesting.typed;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.testing.OpTester;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Clip in its attribute and input forms, and Where on every kind of element. */
class ClipWhereTest {

    @Test
    void clipWithAttributes() {
        Tensor x = Tensor.of(new float[] {-3, -1, 0, 1, 3, Float.NaN}, 6);
        Tensor y = OpTester.of("Clip", 6).inputs(1).attr("min", -1.5f).attr("max", 2f).run(x)[0];
        assertDoubles(y, DataType.FLOAT, 0, -1.5, -1, 0, 1, 2, Double.NaN);
        // an absent bound does not clip
        Tensor z = OpTester.of("Clip", 6).inputs(1).attr("max", 0f).run(Tensor.of(new double[] {-1e300, 5}, 2))[0];
        assertDoubles(z, DataType.DOUBLE, 0, -1e300, 0);
    }

    /** float32's own backward loop: the gradient passes inside [min, max] (bounds included) and at NaN. */
    @Test
    void float32GradientPassesInsideTheBounds() {
        Tensor x = Tensor.of(new float[] {-2, -1, -0.5f, 0.3f, 1, 1.2f, Float.NaN}, 7);
        Tensor gy = Tensor.of(new float[] {1, 2, 3, 4, 5, 6, 7}, 7);
        Tensor[] in = {x, Tensor.scalar(-1f), Tensor.scalar(1f)};
        var op = OpTester.of("Clip", 13).inputs(3).build();
        var ctx = new dev.sonnx.runtime.testing.TestContext(true);
        var out = op.forward(in, ctx);
        Tensor gx = op.backward(new dev.sonnx.runtime.ops.BackwardContext(in, out, new Tensor[] {gy},
                new boolean[] {true, false, false}, ctx.saved, ctx))[0];
        assertDoubles(gx, DataType.FLOAT, 0, 0, 2, 3, 4, 5, 0, 7);
    }

    /**
     * The float32 loops over several blocks against the comparisons written out: bounds hit exactly,
     * -0 at a bound of +0, infinities against an absent bound, NaN, and min > max (nothing passes).
     */
    @Test
    void float32ClipAndGradientAgreeWithTheComparisons() {
        float[][] bounds = {{0f, 6f}, {-1f, Float.POSITIVE_INFINITY}, {Float.NEGATIVE_INFINITY, 0.5f}, {2f, 1f}};
        java.util.Random random = new java.util.Random(5);
        float[] specials = {0f, -0f, 6f, -1f, 0.5f, 1f, 2f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN};
        int n = 3000;
        float[] xs = new float[n];
        float[] gs = new float[n];
        for (int i = 0; i < n; i++) {
            xs[i] = i % 7 == 0 ? specials[(i / 7) % specials.length] : (float) (random.nextGaussian() * 4);
            gs[i] = (float) random.nextGaussian();
        }
        Tensor x = Tensor.of(xs, n);
        Tensor gy = Tensor.of(gs, n);
        for (float[] b : bounds) {
            Tensor[] in = {x, Tensor.scalar(b[0]), Tensor.scalar(b[1])};
            var op = OpTester.of("Clip", 13).inputs(3).build();
            var ctx = new dev.sonnx.runtime.testing.TestContext(true);
            var out = op.forward(in, ctx);
            Tensor y = (Tensor) out[0];
            Tensor gx = op.backward(new dev.sonnx.runtime.ops.BackwardContext(in, out, new Tensor[] {gy},
                    new boolean[] {true, false, false}, ctx.saved, ctx))[0];
            for (int i = 0; i < n; i++) {
                float v = xs[i];
                float clipped = v != v ? v : b[0] > b[1] ? b[1] : v < b[0] ? b[0] : v > b[1] ? b[1] : v;
                float pass = (v >= b[0] && v <= b[1]) || v != v ? gs[i] : 0f;
                String at = "x = " + v + " in [" + b[0] + ", " + b[1] + "]";
                assertTrue(Float.compare(clipped, y.getFloat(i)) == 0 || clipped == y.getFloat(i),
                        at + ": y " + y.getFloat(i) + ", expected " + clipped);
                assertTrue(pass == gx.getFloat(i), at + ": dx " + gx.getFloat(i) + ", expected " + pass);
            }
            // dY given up by the backward sweep: dX is written over it, with the same values
            Tensor given = Tensor.of(gs.clone(), n);
            Tensor inPlace = op.backward(new dev.sonnx.runtime.ops.BackwardContext(in, out, new Tensor[] {given},
                    new boolean[] {true, false, false}, ctx.saved, ctx, new boolean[] {true}))[0];
            if (b[0] <= b[1]) {
                assertTrue(inPlace == given, "dX not written over dY for [" + b[0] + ", " + b[1] + "]");
            }
            org.junit.jupiter.api.Assertions.assertArrayEquals(gx.toFloatArray(), inPlace.toFloatArray());
            // the bounds' gradients read dY after dX: then dY stays as it was
            Tensor kept = Tensor.of(gs.clone(), n);
            Tensor[] all = op.backward(new dev.sonnx.runtime.ops.BackwardContext(in, out, new Tensor[] {kept},
                    new boolean[] {true, true, true}, ctx.saved, ctx, new boolean[] {true}));
            org.junit.jupiter.api.Assertions.assertArrayEquals(gs, kept.toFloatArray());
            org.junit.jupiter.api.Assertions.assertArrayEquals(gx.toFloatArray(), all[0].toFloatArray());
        }
    }

    @Test
    void clipWithOptionalInputs() {
        Tensor x = Tensor.of(new float[] {-3, -1, 0, 1, 3}, 5);
        assertDoubles(run("Clip", 13, x, Tensor.scalar(-2f), Tensor.scalar(0.5f)), DataType.FLOAT, 0, -2, -1, 0, 0.5, 0.5);
        Tensor onlyMax = OpTester.of("Clip", 13).inputs("x", "", "max").run(x, null, Tensor.scalar(0f))[0];
        assertDoubles(onlyMax, DataType.FLOAT, 0, -3, -1, 0, 0, 0);
        Tensor onlyMin = OpTester.of("Clip", 13).inputs(2).run(x, Tensor.scalar(0f))[0];
        assertDoubles(onlyMin, DataType.FLOAT, 0, 0, 0, 0, 1, 3);
        Tensor none = OpTester.of("Clip", 13).inputs(1).run(x)[0];
        assertDoubles(none, DataType.FLOAT, 0, -3, -1, 0, 1, 3);
        // min > max: everything becomes max
        assertDoubles(run("Clip", 13, x, Tensor.scalar(2f), Tensor.scalar(1f)), DataType.FLOAT, 0, 1, 1, 1, 1, 1);
    }

    @ParameterizedTest
    @EnumSource(value = DataType.class, names = {"INT8", "INT16", "INT32", "INT64", "UINT8", "UINT16", "UINT32", "UINT64",
            "FLOAT16", "BFLOAT16", "DOUBLE"})
    void clipOnOtherTypes(DataType t) {
        Tensor x = typed(t, new long[] {0, 5, 10, 100}, 4);
        Tensor y = run("Clip", 13, x, typed(t, new long[] {4}), typed(t, new long[] {50}));
        if (t.isFloat()) {
            assertDoubles(y, t, 0, 4, 5, 10, 50);
        } else {
            assertLongs(y, t, 4, 5, 10, 50);
        }
    }

    @Test
    void clipComparesUnsigned64AsUnsigned() {
        Tensor x = typed(DataType.UINT64, new long[] {-1L, 3}, 2);
        Tensor y = run("Clip", 13, x, typed(DataType.UINT64, new long[] {5}), typed(DataType.UINT64, new long[] {1L << 62}));
        assertLongs(y, DataType.UINT64, 1L << 62, 5);
    }

    @Test
    void clipBoundsMustBeScalarsOfXsType() {
        Tensor x = Tensor.of(new float[] {1}, 1);
        var e = assertThrows(IllegalArgumentException.class, () -> run("Clip", 13, x, Tensor.of(new float[] {0, 1}, 2)));
        assertTrue(e.getMessage().contains("scalar"), e.getMessage());
        var e2 = assertThrows(IllegalArgumentException.class, () -> run("Clip", 13, x, Tensor.scalar(0L)));
        assertTrue(e2.getMessage().contains("int64"), e2.getMessage());
        // a one-element tensor, as some exporters write, is accepted
        assertDoubles(run("Clip", 13, x, Tensor.of(new float[] {2}, 1)), DataType.FLOAT, 0, 2);
    }

    // ------------------------------------------------------------------ Where

    /**
     * float32 rows longer than the kernel's blocks, each operand contiguous or repeated along the
     * row (a causal mask [1, 1, T, T] against scores [B, H, T, T] and a scalar), and strided ones,
     * against the selection written out.
     */
    @Test
    void whereOnFloatRowsOfEveryStride() {
        java.util.Random random = new java.util.Random(9);
        int[][][] shapes = {
            {{1, 1, 40, 40}, {3, 2, 40, 40}, {}},
            {{3, 2, 40, 40}, {}, {3, 2, 40, 40}},
            {{1, 2, 1, 1500}, {3, 2, 1, 1500}, {3, 1, 1, 1}},
            {{3, 1, 7, 1}, {1, 1, 1, 5}, {3, 2, 7, 5}},
        };
        for (int[][] s : shapes) {
            Tensor c = Tensor.uninitialized(DataType.BOOL, s[0]);
            for (int i = 0; i < c.size(); i++) {
                c.bytes().put(i, (byte) (random.nextInt(3) == 0 ? 0 : 1));
            }
            Tensor x = dev.sonnx.runtime.testing.TestTensors.random(random.nextInt(), s[1]);
            Tensor y = dev.sonnx.runtime.testing.TestTensors.random(random.nextInt(), s[2]);
            Tensor out = run("Where", 16, c, x, y);
            dev.sonnx.runtime.ops.kernel.Broadcast bc = dev.sonnx.runtime.ops.kernel.Broadcast.of(s[0], s[1], s[2]);
            int[] shape = bc.outShape();
            assertArrayEquals(shape, out.shape());
            for (int i = 0; i < out.size(); i++) {
                float expected = c.bytes().get(at(i, shape, s[0])) != 0 ? x.getFloat(at(i, shape, s[1]))
                        : y.getFloat(at(i, shape, s[2]));
                assertTrue(expected == out.getFloat(i), java.util.Arrays.toString(s[0]) + " element " + i + ": "
                        + out.getFloat(i) + ", expected " + expected);
            }
        }
    }

    /** The flat index into an operand of {@code shape} (numpy-broadcast) of output element {@code i}. */
    private static int at(int i, int[] out, int[] shape) {
        int index = 0;
        int stride = 1;
        for (int d = out.length - 1, k = shape.length - 1; d >= 0; d--, k--) {
            int coord = i % out[d];
            i /= out[d];
            if (k >= 0) {
                index += (shape[k] == 1 ? 0 : coord) * stride;
                stride *= shape[k];
            }
        }
        return index;
    }

    @Test
    void whereBroadcastsThreeInputs() {
        Tensor c = Tensor.of(new boolean[] {true, false}, 2, 1);
        Tensor x = Tensor.of(new float[] {1, 2, 3}, 3);
        Tensor y = Tensor.scalar(-1f);
        Tensor out = run("Where", 16, c, x, y);
        assertShape(out, DataType.FLOAT, 2, 3);
        assertDoubles(out, DataType.FLOAT, 0, 1, 2, 3, -1, -1, -1);
    }

    @ParameterizedTest
    @EnumSource(value = DataType.class, names = {"INT8", "UINT8", "BOOL", "INT16", "FLOAT16", "BFLOAT16", "INT32",
            "UINT32", "FLOAT", "INT64", "UINT64", "DOUBLE"})
    void whereCopiesEveryWidth(DataType t) {
        Tensor c = Tensor.of(new boolean[] {true, false, false, true}, 4);
        Tensor x = typed(t, new long[] {1, 1, 1, 1}, 4);
        Tensor y = typed(t, new long[] {0, 0, 0, 0}, 4);
        Tensor out = run("Where", 16, c, x, y);
        assertShape(out, t, 4);
        assertLongs(out, t, 1, 0, 0, 1);
    }

    @Test
    void whereOnStringsAndLongs() {
        Tensor c = Tensor.of(new boolean[] {true, false}, 2);
        Tensor out = run("Where", 16, c, Tensor.of(new String[] {"a", "b"}, 2), Tensor.of(new String[] {"c"}, 1));
        assertArrayEquals(new String[] {"a", "c"}, out.strings());
        Tensor l = run("Where", 16, c, Tensor.of(new long[] {Long.MAX_VALUE, 1}, 2), Tensor.of(new long[] {Long.MIN_VALUE, 2}, 2));
        assertLongs(l, DataType.INT64, Long.MAX_VALUE, 2);
    }

    @Test
    void whereChecksTypes() {
        Tensor c = Tensor.of(new boolean[] {true}, 1);
        assertThrows(IllegalArgumentException.class,
                () -> run("Where", 16, c, Tensor.of(new float[] {1}, 1), Tensor.of(new double[] {1}, 1)));
        var e = assertThrows(IllegalArgumentException.class,
                () -> run("Where", 16, Tensor.of(new int[] {1}, 1), Tensor.of(new float[] {1}, 1), Tensor.of(new float[] {1}, 1)));
        assertTrue(e.getMessage().contains("condition"), e.getMessage());
    }
}
