package dev.sonnx.runtime.ops.conv.dnnl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sonnx.runtime.cpu.CpuDevice;
import dev.sonnx.runtime.backend.SingaRep;
import dev.sonnx.runtime.onnx.proto.Onnx.GraphProto;
import dev.sonnx.runtime.onnx.proto.Onnx.ModelProto;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.testing.Models;
import dev.sonnx.runtime.testing.OrtReference;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Winograd's F(4 x 4, 3 x 3) and F(2 x 2, 3 x 3) convolutions against a direct convolution in double
 * precision written out here (channels-last, as the class computes), over image sizes that are not
 * multiples of the tile, every padding, 16 to 64 channels and each epilogue; and inside a model,
 * against ONNX Runtime.
 */
class WinogradConvolutionTest {

    @BeforeAll
    static void vectorsPresent() {
        // the surefire and launcher command lines add the vector module; a JVM without it runs oneDNN's kernel
        Assumptions.assumeTrue(WinogradConvolution.available(),
                "Winograd convolution unavailable (no jdk.incubator.vector or oneDNN): nothing to check");
    }

    /** An activation as the post-op and its ONNX formula. */
    private record Act(PostOps postOps, java.util.function.DoubleUnaryOperator f) {
    }

    private static Act act(boolean residual, PostOps.Eltwise e, float alpha, float beta) {
        java.util.function.DoubleUnaryOperator f = switch (e) {
            case NONE -> v -> v;
            case RELU -> v -> v >= 0 ? v : alpha * v;
            case CLIP -> v -> Math.min(Math.max(v, alpha), beta);
            default -> throw new AssertionError();
        };
        return new Act(PostOps.of(residual, e, alpha, beta), f);
    }

    /** One case: N, C, K, H, W, pads (top, left, bottom, right). */
    private record Case(int n, int c, int k, int h, int w, int[] pads) {
        int outH() {
            return h + pads[0] + pads[2] - 2;
        }

        int outW() {
            return w + pads[1] + pads[3] - 2;
        }

        @Override
        public String toString() {
            return "X [" + n + ", " + c + ", " + h + ", " + w + "] to " + k + " channels, pads "
                    + java.util.Arrays.toString(pads);
        }
    }

    private static final List<Case> CASES = List.of(
            new Case(1, 16, 16, 8, 8, new int[] {1, 1, 1, 1}),
            // 9 x 11: the last tiles of each row and column are partly outside the image
            new Case(2, 32, 48, 9, 11, new int[] {1, 1, 1, 1}),
            new Case(1, 16, 32, 10, 7, new int[] {0, 0, 0, 0}),
            new Case(3, 48, 16, 6, 13, new int[] {0, 1, 1, 0}),
            new Case(1, 64, 64, 17, 17, new int[] {1, 1, 1, 1}),
            // more tiles than a block (64), and few output channels: blocks split by rows only
            new Case(2, 16, 16, 40, 36, new int[] {1, 1, 1, 1}),
            // one block and 64 output channels: the output channels are split into parts
            new Case(1, 32, 64, 12, 12, new int[] {2, 2, 2, 2}),
            // 49 tiles of F(4, 3): two blocks of unequal size, 24 and 25 tiles
            new Case(1, 16, 16, 28, 28, new int[] {1, 1, 1, 1}));

    private static double[] random(SplittableRandom r, int size, double scale) {
        double[] v = new double[size];
        for (int i = 0; i < size; i++) {
            v[i] = r.nextDouble(-scale, scale);
        }
        return v;
    }

    /** Y[n, oy, ox, k] = act(B[k] + sum X[n, oy + i - pt, ox + j - pl, c] W[k, c, i, j] + Z), in double. */
    private static double[] reference(Case t, double[] x, double[] w, double[] b, double[] z,
                                      java.util.function.DoubleUnaryOperator f) {
        int oh = t.outH();
        int ow = t.outW();
        double[] y = new double[t.n * oh * ow * t.k];
        for (int n = 0; n < t.n; n++) {
            for (int oy = 0; oy < oh; oy++) {
                for (int ox = 0; ox < ow; ox++) {
                    for (int k = 0; k < t.k; k++) {
                        double s = b == null ? 0 : b[k];
                        for (int i = 0; i < 3; i++) {
                            int iy = oy + i - t.pads[0];
                            for (int j = 0; j < 3; j++) {
                                int ix = ox + j - t.pads[1];
                                if (iy < 0 || iy >= t.h || ix < 0 || ix >= t.w) {
                                    continue;
                                }
                                for (int c = 0; c < t.c; c++) {
                                    s += x[((n * t.h + iy) * t.w + ix) * t.c + c] * w[((k * t.c + c) * 3 + i) * 3 + j];
                                }
                            }
                        }
                        int at = ((n * oh + oy) * ow + ox) * t.k + k;
                        y[at] = f.applyAsDouble(z == null ? s : s + z[at]);
                    }
                }
            }
        }
        return y;
    }

    private static float[] floats(Tensor t) {
        FloatBuffer b = t.bytes().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        float[] v = new float[b.remaining()];
        b.get(v);
        return v;
    }

    /** Runs one case through the class; returns the largest error over the reference's largest magnitude. */
    private static double run(Case t, Act a, boolean bias, WinogradConvolution.Tiling tiling, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        double[] x = random(r, t.n * t.h * t.w * t.c, 1);
        double[] w = random(r, t.k * t.c * 9, 1 / Math.sqrt(9.0 * t.c));
        double[] b = bias ? random(r, t.k, 0.5) : null;
        double[] z = a.postOps.residual() ? random(r, t.n * t.outH() * t.outW() * t.k, 1) : null;
        int[] xs = {t.n, t.c, t.h, t.w};
        int[] ws = {t.k, t.c, 3, 3};
        int[] ys = {t.n, t.k, t.outH(), t.outW()};
        WinogradConvolution conv = WinogradConvolution.create(xs, ws, ys, 1, new int[] {1, 1}, new int[] {1, 1},
                new int[] {t.pads[0], t.pads[1]}, new int[] {t.pads[2], t.pads[3]}, a.postOps, bias, tiling, false);
        assertNotNull(conv, t + " " + a.postOps);
        assertEquals(tiling, conv.tiling());
        Tensor u = conv.packWeights(Tensor.fromDoubles(DataType.FLOAT, w, ws));
        // storage is channels-last: [N, H, W, C]
        Tensor y = Tensor.uninitialized(DataType.FLOAT, t.n, t.outH(), t.outW(), t.k);
        conv.forward(Tensor.fromDoubles(DataType.FLOAT, x, t.n, t.h, t.w, t.c), u,
                b == null ? null : Tensor.fromDoubles(DataType.FLOAT, b, t.k),
                z == null ? null : Tensor.fromDoubles(DataType.FLOAT, z, t.n, t.outH(), t.outW(), t.k), y,
                CpuDevice.get());
        double[] expected = reference(t, x, w, b, z, a.f);
        float[] actual = floats(y);
        assertEquals(expected.length, actual.length);
        double scale = 0;
        for (double v : expected) {
            scale = Math.max(scale, Math.abs(v));
        }
        double worst = 0;
        for (int i = 0; i < expected.length; i++) {
            double e = Math.abs(actual[i] - expected[i]);
            worst = Double.isNaN(e) ? Double.POSITIVE_INFINITY : Math.max(worst, e);
        }
        return worst / scale;
    }

    @Test
    void matchesTheDirectConvolutionInDouble() {
        List<Act> acts = List.of(act(false, PostOps.Eltwise.NONE, 0, 0), act(false, PostOps.Eltwise.RELU, 0, 0),
                act(false, PostOps.Eltwise.RELU, 0.1f, 0), act(false, PostOps.Eltwise.CLIP, -0.3f, 0.4f),
                act(true, PostOps.Eltwise.RELU, 0, 0), act(true, PostOps.Eltwise.NONE, 0, 0));
        long seed = 1;
        for (WinogradConvolution.Tiling tiling : WinogradConvolution.Tiling.values()) {
            for (Case t : CASES) {
                for (Act a : acts) {
                    for (boolean bias : new boolean[] {true, false}) {
                        double error = run(t, a, bias, tiling, seed++);
                        // F(4, 3) in float32 keeps about 1e-6 of the output's scale, F(2, 3) better; a
                        // wrong coefficient or a misplaced tile is off by the output's own size
                        assertTrue(error < (tiling == WinogradConvolution.Tiling.F2 ? 2e-6 : 2e-5),
                                tiling + " " + t + " " + a.postOps + " bias " + bias + ": relative error " + error);
                    }
                }
            }
        }
    }

    @Test
    void blocksAreEvenAndCoverEveryTileOnce() {
        int[] one = {1, 1};
        // resnet18's 28 x 28 layers at batch 1: 7 x 7 tiles of F(4, 3) in two blocks of 24 and 25
        WinogradConvolution r18 = WinogradConvolution.create(new int[] {1, 128, 28, 28}, new int[] {128, 128, 3, 3},
                new int[] {1, 128, 28, 28}, 1, one, one, one, one, PostOps.NONE, true);
        assertEquals(WinogradConvolution.Tiling.F4, r18.tiling());
        assertEquals(2, r18.blocks());
        assertEquals(24, r18.blockStart(1));
        assertEquals(49, r18.blockStart(2));
        for (WinogradConvolution.Tiling tiling : WinogradConvolution.Tiling.values()) {
            int outputs = tiling == WinogradConvolution.Tiling.F4 ? 4 : 2;
            for (int n : new int[] {1, 3, 8}) {
                for (int side = 5; side <= 60; side += 5) {
                    WinogradConvolution conv = WinogradConvolution.create(new int[] {n, 64, side, side},
                            new int[] {64, 64, 3, 3}, new int[] {n, 64, side, side}, 1, one, one, one, one,
                            PostOps.NONE, false, tiling, false);
                    int perSide = (side + outputs - 1) / outputs;
                    int tiles = n * perSide * perSide;
                    String what = tiling + " N " + n + " side " + side;
                    assertEquals(0, conv.blockStart(0), what);
                    assertEquals(tiles, conv.blockStart(conv.blocks()), what);
                    int least = Integer.MAX_VALUE;
                    int most = 0;
                    for (int b = 0; b < conv.blocks(); b++) {
                        int size = conv.blockStart(b + 1) - conv.blockStart(b);
                        least = Math.min(least, size);
                        most = Math.max(most, size);
                    }
                    assertTrue(least >= 1 && most - least <= 1 && most <= conv.rows(),
                            what + ": blocks of " + least + " to " + most + " tiles, products of " + conv.rows());
                }
            }
        }
    }

    @Test
    void smallImagesOfManyChannelsTakeF2() {
        int[] one = {1, 1};
        // tinyyolov2's 1024-channel layer at batch 1: 16 tiles of F(4, 3) whose U (151 MB) streams
        WinogradConvolution small = WinogradConvolution.create(new int[] {1, 1024, 13, 13},
                new int[] {1024, 1024, 3, 3}, new int[] {1, 1024, 13, 13}, 1, one, one, one, one, PostOps.NONE, true);
        assertNotNull(small);
        assertEquals(WinogradConvolution.Tiling.F2, small.tiling());
        // resnet18's 256-channel layers at 14 x 14 and batch 1: 49 tiles of F(2, 3), weights of 2.4 MB
        // that the direct kernel keeps close: neither tiling
        assertNull(WinogradConvolution.create(new int[] {1, 256, 14, 14}, new int[] {256, 256, 3, 3},
                new int[] {1, 256, 14, 14}, 1, one, one, one, one, PostOps.NONE, true));
        // nor for its 512-channel layers at batch 8: F(2, 3)'s U (16.8 MB) streams over 8 images
        assertNull(WinogradConvolution.create(new int[] {8, 512, 7, 7}, new int[] {512, 512, 3, 3},
                new int[] {8, 512, 7, 7}, 1, one, one, one, one, PostOps.NONE, true));
        // a large image keeps F(4, 3)
        WinogradConvolution large = WinogradConvolution.create(new int[] {8, 64, 32, 32}, new int[] {64, 64, 3, 3},
                new int[] {8, 64, 32, 32}, 1, one, one, one, one, PostOps.NONE, true);
        assertNotNull(large);
        assertEquals(WinogradConvolution.Tiling.F4, large.tiling());
        // U of another convolution is refused rather than misread
        WinogradConvolution narrow = WinogradConvolution.create(new int[] {2, 64, 32, 32}, new int[] {64, 64, 3, 3},
                new int[] {2, 64, 32, 32}, 1, one, one, one, one, PostOps.NONE, true);
        Tensor wrongU = narrow.packWeights(Tensor.zeros(DataType.FLOAT, 64, 64, 3, 3));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> small.forward(Tensor.zeros(DataType.FLOAT, 1, 13, 13, 1024), wrongU, null, null,
                        Tensor.zeros(DataType.FLOAT, 1, 13, 13, 1024), CpuDevice.get()));
        assertTrue(!small.readsSameWeights(narrow) && small.readsSameWeights(small));
    }

    @Test
    void leavesOtherConvolutionsToOneDnn() {
        int[] xs = {8, 64, 32, 32};
        int[] ws = {64, 64, 3, 3};
        int[] ys = {8, 64, 32, 32};
        int[] one = {1, 1};
        PostOps none = PostOps.NONE;
        assertNotNull(WinogradConvolution.create(xs, ws, ys, 1, one, one, one, one, none, true));
        // stride 2, dilation 2, groups, a 5 x 5 kernel, 24 channels, an activation without a vector form
        assertNull(WinogradConvolution.create(xs, ws, new int[] {8, 64, 16, 16}, 1, new int[] {2, 2}, one, one,
                one, none, true));
        assertNull(WinogradConvolution.create(xs, ws, new int[] {8, 64, 30, 30}, 1, one, new int[] {2, 2}, one,
                one, none, true));
        assertNull(WinogradConvolution.create(xs, new int[] {64, 32, 3, 3}, ys, 2, one, one, one, one, none, true));
        assertNull(WinogradConvolution.create(xs, new int[] {64, 64, 5, 5}, new int[] {8, 64, 30, 30}, 1, one,
                one, one, one, none, true));
        assertNull(WinogradConvolution.create(new int[] {8, 24, 32, 32}, new int[] {64, 24, 3, 3}, ys, 1, one,
                one, one, one, none, true));
        assertNull(WinogradConvolution.create(xs, ws, ys, 1, one, one, one, one,
                PostOps.of(false, PostOps.Eltwise.HARD_SWISH, 0, 0), true));
        // a U beyond one buffer (4096 -> 4096 channels: 2.4 GB by F(4, 3)), even where size rules are off
        assertNull(WinogradConvolution.create(new int[] {8, 4096, 32, 32}, new int[] {4096, 4096, 3, 3},
                new int[] {8, 4096, 32, 32}, 1, one, one, one, one, none, true, WinogradConvolution.Tiling.F4, false));
        // too little work to pay: a batch-1 image of 8 x 8
        assertNull(WinogradConvolution.create(new int[] {1, 64, 8, 8}, ws, new int[] {1, 64, 8, 8}, 1, one, one,
                one, one, none, true));
    }

    /**
     * tinyyolov2's 1024-channel layer at batches 1 to 8: F(2, 3) below 4 images, F(4, 3) from there,
     * and within each tiling one packed U for every batch (a U that changed with the batch would be
     * another 67 or 151 MB for each).
     */
    @Test
    void everyBatchOfOneTilingReadsTheSameU() {
        int[] one = {1, 1};
        WinogradConvolution[] byBatch = new WinogradConvolution[9];
        for (int n = 1; n <= 8; n++) {
            byBatch[n] = WinogradConvolution.create(new int[] {n, 1024, 13, 13}, new int[] {1024, 1024, 3, 3},
                    new int[] {n, 1024, 13, 13}, 1, one, one, one, one, PostOps.NONE, true);
            assertNotNull(byBatch[n], "batch " + n);
            assertEquals(n < 4 ? WinogradConvolution.Tiling.F2 : WinogradConvolution.Tiling.F4, byBatch[n].tiling(),
                    "batch " + n);
        }
        for (int a = 1; a <= 8; a++) {
            for (int b = 1; b <= 8; b++) {
                assertEquals(byBatch[a].tiling() == byBatch[b].tiling(), byBatch[a].readsSameWeights(byBatch[b]),
                        "batches " + a + " and " + b);
            }
        }
    }

    @Test
    void keepsNaN() {
        for (WinogradConvolution.Tiling tiling : WinogradConvolution.Tiling.values()) {
            keepsNaN(tiling);
        }
    }

    private static void keepsNaN(WinogradConvolution.Tiling tiling) {
        Case t = new Case(1, 16, 16, 8, 8, new int[] {1, 1, 1, 1});
        WinogradConvolution conv = WinogradConvolution.create(new int[] {1, 16, 8, 8}, new int[] {16, 16, 3, 3},
                new int[] {1, 16, 8, 8}, 1, new int[] {1, 1}, new int[] {1, 1}, new int[] {1, 1}, new int[] {1, 1},
                PostOps.of(false, PostOps.Eltwise.RELU, 0, 0), false, tiling, false);
        double[] x = new double[8 * 8 * 16];
        x[(3 * 8 + 3) * 16] = Double.NaN;
        double[] w = new double[16 * 16 * 9];
        java.util.Arrays.fill(w, 0.01);
        Tensor y = Tensor.uninitialized(DataType.FLOAT, 1, 8, 8, t.k);
        conv.forward(Tensor.fromDoubles(DataType.FLOAT, x, 1, 8, 8, 16),
                conv.packWeights(Tensor.fromDoubles(DataType.FLOAT, w, 16, 16, 3, 3)), null,
                null, y, CpuDevice.get());
        float[] v = floats(y);
        // the output pixel under the NaN reads it; ReLU(NaN) is NaN in ONNX, not 0
        assertTrue(Float.isNaN(v[(3 * 8 + 3) * 16]), tiling + ": NaN lost: " + v[(3 * 8 + 3) * 16]);
        // a pixel whose window misses it (two rows and columns away) stays a number
        assertTrue(Float.isFinite(v[(6 * 8 + 6) * 16]), tiling + ": NaN spread to " + v[(6 * 8 + 6) * 16]);
    }

    /**
     * A convolution and a residual block of 64 channels at batch 8 (Conv, Relu, Conv, Add, Relu), as
     * resnet has them: the block's residual comes from inside the channels-last region.
     */
    private static ModelProto residualBlock(SplittableRandom r) {
        int c = 64;
        double s = 1 / Math.sqrt(9.0 * c);
        GraphProto g = Models.graph("block", List.of(
                        Models.node("Conv", List.of("x", "w0", "b0"), List.of("c0"), Models.ints("pads", 1, 1, 1, 1)),
                        Models.node("Relu", List.of("c0"), List.of("a")),
                        Models.node("Conv", List.of("a", "w1", "b1"), List.of("c1"), Models.ints("pads", 1, 1, 1, 1)),
                        Models.node("Relu", List.of("c1"), List.of("r1")),
                        Models.node("Conv", List.of("r1", "w2", "b2"), List.of("c2"), Models.ints("pads", 1, 1, 1, 1)),
                        Models.node("Add", List.of("c2", "a"), List.of("s")),
                        Models.node("Relu", List.of("s"), List.of("y"))),
                List.of(Models.tensorInfo("x", DataType.FLOAT, 8, c, 32, 32)),
                List.of(Models.tensorInfo("y", DataType.FLOAT, 8, c, 32, 32)),
                "w0", Tensor.fromDoubles(DataType.FLOAT, random(r, c * c * 9, s), c, c, 3, 3),
                "b0", Tensor.fromDoubles(DataType.FLOAT, random(r, c, 0.1), c),
                "w1", Tensor.fromDoubles(DataType.FLOAT, random(r, c * c * 9, s), c, c, 3, 3),
                "b1", Tensor.fromDoubles(DataType.FLOAT, random(r, c, 0.1), c),
                "w2", Tensor.fromDoubles(DataType.FLOAT, random(r, c * c * 9, s), c, c, 3, 3),
                "b2", Tensor.fromDoubles(DataType.FLOAT, random(r, c, 0.1), c));
        return Models.model(g, 13);
    }

    @Test
    void residualBlockMatchesOnnxRuntime() {
        SplittableRandom r = new SplittableRandom(7);
        ModelProto m = residualBlock(r);
        Tensor x = Tensor.fromDoubles(DataType.FLOAT, random(r, 8 * 64 * 32 * 32, 1), 8, 64, 32, 32);
        // the three convolutions (the last with its residual and ReLU) go through Winograd
        assertMatchesOnnxRuntime(m, x, 3, 2e-5);
    }

    /**
     * Runs {@code m} on {@code x}: {@code winogradCalls} convolutions go through this class, and the
     * output is ONNX Runtime's within {@code tolerance} of its largest magnitude.
     */
    private static void assertMatchesOnnxRuntime(ModelProto m, Tensor x, int winogradCalls, double tolerance) {
        long before = WinogradConvolution.calls();
        SingaRep rep = dev.sonnx.runtime.backend.SingaBackend.prepare(m, CpuDevice.get());
        float[] actual = floats(rep.run(List.of(x)).get(0));
        assertEquals(winogradCalls, WinogradConvolution.calls() - before);
        float[] expected = floats(OrtReference.run(m, List.of("x"), List.of(x)).get(0));
        double scale = 0;
        double worst = 0;
        for (int i = 0; i < expected.length; i++) {
            scale = Math.max(scale, Math.abs(expected[i]));
            worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
        }
        assertTrue(worst < tolerance * scale, "largest difference " + worst + " against outputs up to " + scale);
    }

    /**
     * A 128 -> 256 and a 256 -> 256 convolution of a 26 x 26 image at batch 1 (tinyyolov2's fifth
     * layer and one like it), the second with a residual: F(4, 3) would stream its U (4.7 and 9.4 MB)
     * over 49 tiles, so F(2, 3) runs them, over 169; against ONNX Runtime.
     */
    @Test
    void smallImageModelRunsF2AndMatchesOnnxRuntime() {
        SplittableRandom r = new SplittableRandom(5);
        int c = 128;
        int k = 256;
        GraphProto g = Models.graph("f2", List.of(
                        Models.node("Conv", List.of("x", "w0", "b0"), List.of("c0"), Models.ints("pads", 1, 1, 1, 1)),
                        Models.node("Relu", List.of("c0"), List.of("a")),
                        Models.node("Conv", List.of("a", "w1", "b1"), List.of("c1"), Models.ints("pads", 1, 1, 1, 1)),
                        Models.node("Add", List.of("c1", "a"), List.of("y"))),
                List.of(Models.tensorInfo("x", DataType.FLOAT, 1, c, 26, 26)),
                List.of(Models.tensorInfo("y", DataType.FLOAT, 1, k, 26, 26)),
                "w0", Tensor.fromDoubles(DataType.FLOAT, random(r, k * c * 9, 1 / Math.sqrt(9.0 * c)), k, c, 3, 3),
                "b0", Tensor.fromDoubles(DataType.FLOAT, random(r, k, 0.1), k),
                "w1", Tensor.fromDoubles(DataType.FLOAT, random(r, k * k * 9, 1 / Math.sqrt(9.0 * k)), k, k, 3, 3),
                "b1", Tensor.fromDoubles(DataType.FLOAT, random(r, k, 0.1), k));
        ModelProto m = Models.model(g, 13);
        Tensor x = Tensor.fromDoubles(DataType.FLOAT, random(r, c * 26 * 26, 1), 1, c, 26, 26);
        assertMatchesOnnxRuntime(m, x, 2, 2e-6);
    }

    @Test
    void concurrentRunsOfOneModelAgree() throws Exception {
        SplittableRandom r = new SplittableRandom(11);
        ModelProto m = residualBlock(r);
        SingaRep rep = dev.sonnx.runtime.backend.SingaBackend.prepare(m, CpuDevice.get());
        Tensor[] inputs = new Tensor[4];
        float[][] alone = new float[inputs.length][];
        for (int i = 0; i < inputs.length; i++) {
            inputs[i] = Tensor.fromDoubles(DataType.FLOAT, random(r, 8 * 64 * 32 * 32, 1), 8, 64, 32, 32);
            alone[i] = floats(rep.run(List.of(inputs[i])).get(0));
        }
        // the runs share the operators, U and the product primitive; each thread has its own blocks
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(inputs.length);
        try {
            List<java.util.concurrent.Future<float[]>> results = new java.util.ArrayList<>();
            for (Tensor x : inputs) {
                results.add(pool.submit(() -> floats(rep.run(List.of(x)).get(0))));
            }
            for (int i = 0; i < inputs.length; i++) {
                org.junit.jupiter.api.Assertions.assertArrayEquals(alone[i], results.get(i).get(),
                        "input " + i + " run concurrently differs from its run alone");
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
