package dev.sonnx.runtime.ops.conv;

import static dev.sonnx.runtime.ops.conv.ConvTest.assertClose;
import static dev.sonnx.runtime.ops.conv.ConvTest.concat;
import static dev.sonnx.runtime.ops.conv.ConvTest.longs;
import static dev.sonnx.runtime.ops.conv.ConvTest.rounded;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.testing.OpTester;
import dev.sonnx.runtime.testing.TestContext;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ConvTransposeTest {

    @Test
    void stridedTransposeByHand() {
        // x = [1, 2, 3], w = [1, 10], stride 2: each x[i] writes x[i] at 2i and 10 x[i] at 2i + 1
        Tensor y = OpTester.of("ConvTranspose", 11).inputs(2).attrInts("strides", 2)
                .run(Tensor.of(new float[] {1, 2, 3}, 1, 1, 3), Tensor.of(new float[] {1, 10}, 1, 1, 2))[0];
        assertArrayEquals(new int[] {1, 1, 6}, y.shape());
        assertArrayEquals(new float[] {1, 10, 2, 20, 3, 30}, y.toFloatArray(), 1e-6f);
    }

    @Test
    void overlappingTapsAddUp() {
        // x = [1, 2], w = [1, 1, 1], stride 1: y = [1, 3, 3, 2]; pads [1, 0] drop the first element
        Tensor y = OpTester.of("ConvTranspose", 11).inputs(2).attrInts("pads", 1, 0)
                .run(Tensor.of(new float[] {1, 2}, 1, 1, 2), Tensor.of(new float[] {1, 1, 1}, 1, 1, 3))[0];
        assertArrayEquals(new float[] {3, 3, 2}, y.toFloatArray(), 1e-6f);
    }

    /** Full output size from the spec: s (in - 1) + output_padding + (k - 1) d + 1. */
    private static int full(int in, int k, int s, int d, int adj) {
        return s * (in - 1) + adj + (k - 1) * d + 1;
    }

    @Test
    void randomCasesAgainstReference() {
        SplittableRandom r = new SplittableRandom(21);
        for (int i = 0; i < 120; i++) {
            int rank = 1 + r.nextInt(3);
            int group = 1 + r.nextInt(3);
            int cg = 1 + r.nextInt(2);
            int mg = 1 + r.nextInt(3);
            int n = 1 + r.nextInt(2);
            int c = cg * group;
            int[] in = new int[rank];
            int[] k = new int[rank];
            int[] s = new int[rank];
            int[] d = new int[rank];
            int[] adj = new int[rank];
            int[] pb = new int[rank];
            int[] pe = new int[rank];
            int[] out = new int[rank];
            int mode = r.nextInt(4);   // 0 explicit pads, 1 output_shape, 2 SAME_UPPER, 3 SAME_LOWER
            for (int j = 0; j < rank; j++) {
                in[j] = 1 + r.nextInt(rank == 3 ? 3 : 5);
                k[j] = 1 + r.nextInt(3);
                s[j] = 1 + r.nextInt(3);
                d[j] = 1 + r.nextInt(2);
                adj[j] = r.nextInt(s[j]);
                int f = full(in[j], k[j], s[j], d[j], adj[j]);
                if (mode == 0) {
                    pb[j] = r.nextInt(Math.min(3, f));
                    pe[j] = r.nextInt(Math.min(3, f - pb[j]));
                    out[j] = f - pb[j] - pe[j];
                } else {
                    out[j] = mode == 1 ? Math.max(1, f - r.nextInt(3)) : in[j] * s[j];
                    int total = Math.max(0, f - out[j]);
                    // SAME_UPPER puts the odd element of padding at the end; otherwise at the beginning
                    pb[j] = mode == 2 ? total / 2 : total - total / 2;
                }
            }
            int[] xs = concat(n, c, in);
            int[] ws = concat(c, mg, k);
            boolean bias = r.nextBoolean();
            double[] x = rounded(DataType.DOUBLE, ConvReference.random(40 + i, ConvReference.size(xs)));
            double[] w = ConvReference.random(41 + i, ConvReference.size(ws));
            double[] b = bias ? ConvReference.random(42 + i, mg * group) : null;
            double[] expected = ConvReference.convTranspose(x, xs, w, ws, b, group, s, d, pb, out);
            OpTester t = OpTester.of("ConvTranspose", 11).inputs(bias ? 3 : 2).attr("group", group)
                    .attrInts("strides", longs(s)).attrInts("dilations", longs(d))
                    .attrInts("output_padding", longs(adj));
            if (mode == 0) {
                int[] pads = new int[2 * rank];
                System.arraycopy(pb, 0, pads, 0, rank);
                System.arraycopy(pe, 0, pads, rank, rank);
                t.attrInts("pads", longs(pads));
            } else if (mode == 1) {
                t.attrInts("output_shape", longs(out));
            } else {
                t.attr("auto_pad", mode == 2 ? "SAME_UPPER" : "SAME_LOWER");
            }
            for (DataType type : new DataType[] {DataType.DOUBLE, DataType.FLOAT}) {
                Tensor[] inputs = bias
                        ? new Tensor[] {Tensor.fromDoubles(type, x, xs), Tensor.fromDoubles(type, w, ws),
                            Tensor.fromDoubles(type, b, mg * group)}
                        : new Tensor[] {Tensor.fromDoubles(type, x, xs), Tensor.fromDoubles(type, w, ws)};
                Tensor y = t.run(inputs)[0];
                assertArrayEquals(concat(n, mg * group, out), y.shape(), "case " + i);
                double tol = type == DataType.DOUBLE ? 1e-12 : 1e-5;
                assertClose(expected, y, tol, tol, type + " case " + i + " mode " + mode);
            }
        }
    }

    @Test
    void outputShapeMayListBatchAndChannels() {
        Tensor y = OpTester.of("ConvTranspose", 11).inputs(2).attrInts("strides", 2).attrInts("output_shape", 1, 1, 7)
                .run(Tensor.of(new float[] {1, 2, 3}, 1, 1, 3), Tensor.of(new float[] {1, 10}, 1, 1, 2))[0];
        // the full output has 6 elements; the 7th position gets no tap
        assertArrayEquals(new float[] {1, 10, 2, 20, 3, 30, 0}, y.toFloatArray(), 1e-6f);
    }

    @Test
    void weightsMustMatchInputChannels() {
        Operator op = OpTester.of("ConvTranspose", 11).inputs(2).build();
        assertThrows(IllegalArgumentException.class, () -> op.forward(new Tensor[] {
            Tensor.zeros(DataType.FLOAT, 1, 2, 3), Tensor.zeros(DataType.FLOAT, 3, 1, 2)}, new TestContext(false)));
    }

    @Test
    void negativeOutputPaddingIsRefused() {
        assertThrows(IllegalArgumentException.class,
                () -> OpTester.of("ConvTranspose", 11).inputs(2).attrInts("output_padding", -1).build());
    }
}
