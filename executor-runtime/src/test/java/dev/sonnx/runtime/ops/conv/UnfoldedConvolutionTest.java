package dev.sonnx.runtime.ops.conv;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sonnx.runtime.cpu.CpuDevice;
import dev.sonnx.runtime.ops.conv.dnnl.ConstantWeights;
import dev.sonnx.runtime.ops.conv.dnnl.Dnnl;
import dev.sonnx.runtime.ops.conv.dnnl.DnnlConvolution;
import dev.sonnx.runtime.ops.conv.dnnl.KernelTrial;
import dev.sonnx.runtime.ops.conv.dnnl.PostOps;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.HostStorage;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.testing.OpTester;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Channels-last convolutions with weights beyond the last-level cache run as one matrix product over
 * their unfolded input (oneDNN's matmul over an im2col copy, {@code UnfoldedInput}). Their results are checked against the same FusedConv
 * on plain NCHW data, which runs oneDNN's direct convolution kernel (another algorithm, summing in
 * another order), and once against a float64 direct loop; geometries cover strides, uneven pads,
 * dilations, taps wholly in the padding, several images, a residual and an activation.
 */
class UnfoldedConvolutionTest {

    /** One geometry: X [N, C, H, W], W [O, C, KH, KW], pads (top, left, bottom, right), strides, dilations. */
    private record Geometry(int[] xShape, int[] wShape, int[] pads, int[] strides, int[] dilations) {
        int[] yShape() {
            int[] y = {xShape[0], wShape[0], 0, 0};
            for (int d = 0; d < 2; d++) {
                int span = dilations[d] * (wShape[2 + d] - 1) + 1;
                y[2 + d] = (xShape[2 + d] + pads[d] + pads[d + 2] - span) / strides[d] + 1;
            }
            return y;
        }

        @Override
        public String toString() {
            return "X " + Arrays.toString(xShape) + " W " + Arrays.toString(wShape) + " pads " + Arrays.toString(pads)
                    + " strides " + Arrays.toString(strides) + " dilations " + Arrays.toString(dilations);
        }
    }

    private static final Geometry TINYYOLO = new Geometry(new int[] {1, 1024, 13, 13}, new int[] {1024, 1024, 3, 3},
            new int[] {1, 1, 1, 1}, new int[] {1, 1}, new int[] {1, 1});

    /** Values in [-scale, scale], seeded. */
    private static Tensor random(long seed, float scale, int... shape) {
        SplittableRandom r = new SplittableRandom(seed);
        Tensor t = Tensor.zeros(DataType.FLOAT, shape);
        FloatBuffer f = t.floats();
        for (int i = 0; i < t.size(); i++) {
            f.put(i, (float) r.nextDouble(-scale, scale));
        }
        return t;
    }

    /** Weights whose products sum to values of order 1. */
    private static Tensor weights(long seed, int[] wShape) {
        return random(seed, (float) (1 / Math.sqrt(wShape[1] * wShape[2] * wShape[3])), wShape);
    }

    /** [N, C, H, W] to [N, H, W, C]. */
    private static Tensor nhwc(Tensor t) {
        return ChannelsLast.toLast(t, CpuDevice.get());
    }

    private static DnnlConvolution create(Geometry g, boolean channelsLast) {
        return DnnlConvolution.create(g.xShape, g.wShape, g.yShape(), 1, true, g.strides, g.dilations,
                new int[] {g.pads[0], g.pads[1]}, new int[] {g.pads[2], g.pads[3]}, PostOps.NONE, channelsLast);
    }

    private static OpTester fused(Geometry g, boolean channelsLast, boolean residual) {
        OpTester t = OpTester.of(FusedConv.DOMAIN, FusedConv.OP_TYPE, 1)
                .inputs(residual ? new String[] {"x", "w", "b", "z"} : new String[] {"x", "w", "b"})
                .attr(FusedConv.ACTIVATION, "Relu")
                .attrInts("pads", g.pads[0], g.pads[1], g.pads[2], g.pads[3])
                .attrInts("strides", g.strides[0], g.strides[1])
                .attrInts("dilations", g.dilations[0], g.dilations[1]);
        return channelsLast ? t.attr(FusedConv.CHANNELS_LAST, 1L) : t;
    }

    private static void assertClose(Tensor expected, Tensor actual, double tol, String what) {
        assertArrayEquals(expected.shape(), actual.shape(), what);
        float[] e = expected.toFloatArray();
        float[] a = actual.toFloatArray();
        for (int i = 0; i < e.length; i++) {
            assertTrue(Math.abs(a[i] - e[i]) <= tol * (1 + Math.abs(e[i])),
                    what + ": element " + i + " is " + a[i] + ", expected " + e[i]);
        }
    }

    private static KernelTrial.Choice previousChoice;

    /** These tests check the unfolded form itself: no trial against the direct kernel. */
    @BeforeAll
    static void unfoldWherePossible() {
        previousChoice = KernelTrial.pin(KernelTrial.Candidate.UNFOLDED, KernelTrial.Choice.ALWAYS);
    }

    @AfterAll
    static void restoreTheChoice() {
        KernelTrial.pin(KernelTrial.Candidate.UNFOLDED, previousChoice);
    }

    @Test
    void largeWeightsOverFewPixelsRunUnfolded() {
        assertTrue(Dnnl.available(), "oneDNN did not load: " + Dnnl.unavailableReason());
        DnnlConvolution tinyyolo = create(TINYYOLO, true);
        assertNotNull(tinyyolo);
        assertTrue(tinyyolo.runsUnfolded(), "37.7 MB of weights over 169 pixels");
        assertFalse(create(TINYYOLO, false).runsUnfolded(), "plain NCHW data keep the direct kernel");
        Geometry fourImages = new Geometry(new int[] {4, 1024, 13, 13}, TINYYOLO.wShape, TINYYOLO.pads,
                TINYYOLO.strides, TINYYOLO.dilations);
        DnnlConvolution blocked = create(fourImages, true);
        assertTrue(blocked.runsOnBlockedData() && !blocked.runsUnfolded(), "four images take the blocked detour");
        Geometry smallerWeights = new Geometry(new int[] {1, 512, 13, 13}, new int[] {1024, 512, 3, 3},
                TINYYOLO.pads, TINYYOLO.strides, TINYYOLO.dilations);
        assertFalse(create(smallerWeights, true).runsUnfolded(), "18.9 MB of weights stay under the threshold");
        Geometry manyPixels = new Geometry(new int[] {1, 1024, 40, 40}, TINYYOLO.wShape, TINYYOLO.pads,
                TINYYOLO.strides, TINYYOLO.dilations);
        assertFalse(create(manyPixels, true).runsUnfolded(), "1,600 pixels would unfold into more than the weights");
    }

    @Test
    void unfoldedConvolutionsMatchTheDirectKernel() {
        Geometry[] geometries = {
            TINYYOLO,
            // two images, stride 2 down and 1 across, uneven pads
            new Geometry(new int[] {2, 1024, 9, 11}, new int[] {1024, 1024, 3, 3}, new int[] {1, 0, 2, 1},
                    new int[] {2, 1}, new int[] {1, 1}),
            // three images, a 5 x 3 kernel dilated 2 down
            new Geometry(new int[] {3, 1024, 10, 8}, new int[] {768, 1024, 5, 3}, new int[] {4, 1, 4, 1},
                    new int[] {1, 1}, new int[] {2, 1}),
            // a 2 x 3 image padded by 2: whole kernel rows and columns fall in the padding
            new Geometry(new int[] {1, 1024, 2, 3}, new int[] {1024, 1024, 3, 3}, new int[] {2, 2, 2, 2},
                    new int[] {1, 1}, new int[] {1, 1}),
            // dilated across: taps of one kernel row are not adjacent pixels
            new Geometry(new int[] {1, 1024, 6, 9}, new int[] {1024, 1024, 3, 3}, new int[] {1, 2, 1, 2},
                    new int[] {1, 2}, new int[] {1, 2}),
        };
        long seed = 10;
        for (Geometry g : geometries) {
            assertTrue(create(g, true).runsUnfolded(), g + " runs unfolded");
            Tensor x = random(seed++, 1, g.xShape);
            Tensor w = weights(seed++, g.wShape);
            Tensor b = random(seed++, 1, g.wShape[0]);
            Tensor z = random(seed++, 1, g.yShape());
            Tensor plain = fused(g, false, true).run(x, w, b, z)[0];
            Tensor unfolded = fused(g, true, true).run(nhwc(x), w, b, nhwc(z))[0];
            assertClose(nhwc(plain), unfolded, 1e-4, g + " with a residual");
            Tensor plainY = fused(g, false, false).run(x, w, b)[0];
            assertClose(nhwc(plainY), fused(g, true, false).run(nhwc(x), w, b)[0], 1e-4, g.toString());
        }
    }

    /** A geometry the unfolding applies to, with strides and uneven padding. */
    private static final Geometry STRIDED = new Geometry(new int[] {1, 1024, 5, 4}, new int[] {1024, 1024, 3, 3},
            new int[] {1, 1, 1, 0}, new int[] {2, 1}, new int[] {1, 1});

    @Test
    void unfoldedConvolutionMatchesADirectLoop() {
        DnnlConvolution conv = create(STRIDED, true);
        assertTrue(conv.runsUnfolded());
        assertMatchesDirectLoop(conv, STRIDED);
    }

    /** With the trial on, whichever primitive it keeps computes the convolution (the other is dropped). */
    @Test
    void theTrialKeepsAWorkingPrimitive() {
        KernelTrial.Choice pinned = KernelTrial.pin(KernelTrial.Candidate.UNFOLDED, KernelTrial.Choice.AUTO);
        try {
            DnnlConvolution conv = create(STRIDED, true);
            System.out.println("the trial chose the " + (conv.runsUnfolded() ? "unfolded" : "direct") + " kernel");
            assertMatchesDirectLoop(conv, STRIDED);
            KernelTrial.pin(KernelTrial.Candidate.UNFOLDED, KernelTrial.Choice.NEVER);
            assertFalse(create(STRIDED, true).runsUnfolded(), "never unfolds");
        } finally {
            KernelTrial.pin(KernelTrial.Candidate.UNFOLDED, pinned);
        }
    }

    private static void assertMatchesDirectLoop(DnnlConvolution conv, Geometry g) {
        Tensor x = random(1, 1, g.xShape);
        Tensor w = weights(2, g.wShape);
        Tensor b = random(3, 1, g.wShape[0]);
        int[] ys = g.yShape();
        Tensor y = Tensor.zeros(DataType.FLOAT, ChannelsLast.physical(ys));
        conv.forward(nhwc(x), w, b, y);
        float[] xv = x.toFloatArray();
        float[] wv = w.toFloatArray();
        float[] bv = b.toFloatArray();
        float[] yv = y.toFloatArray();
        int c = g.xShape[1];
        int h = g.xShape[2];
        int wd = g.xShape[3];
        for (int o = 0; o < ys[1]; o++) {
            for (int oh = 0; oh < ys[2]; oh++) {
                for (int ow = 0; ow < ys[3]; ow++) {
                    double sum = bv[o];
                    for (int i = 0; i < c; i++) {
                        for (int kh = 0; kh < 3; kh++) {
                            for (int kw = 0; kw < 3; kw++) {
                                int ih = oh * g.strides[0] - g.pads[0] + kh;
                                int iw = ow * g.strides[1] - g.pads[1] + kw;
                                if (ih >= 0 && ih < h && iw >= 0 && iw < wd) {
                                    sum += (double) xv[(i * h + ih) * wd + iw] * wv[((o * c + i) * 3 + kh) * 3 + kw];
                                }
                            }
                        }
                    }
                    float got = yv[(oh * ys[3] + ow) * ys[1] + o];
                    assertEquals(sum, got, 1e-4 * (1 + Math.abs(sum)), "output " + o + " at " + oh + ", " + ow);
                }
            }
        }
    }

    @Test
    void constantWeightsComeBackFromTheUnfoldedCopy() {
        Tensor w = weights(5, TINYYOLO.wShape);
        float[] original = w.toFloatArray();
        Tensor fresh = Tensor.of(original, TINYYOLO.wShape);
        HostStorage storage = (HostStorage) w.storage();
        storage.allowReclaim(); // as the plan compiler does for a constant with one reader
        ConstantWeights constant = new ConstantWeights(w);
        DnnlConvolution conv = create(TINYYOLO, true);
        Tensor packed = constant.forConvolution(conv);
        assertTrue(storage.isReclaimed(), "the plain weights go once the unfolded product's copy exists");

        Tensor x = nhwc(random(6, 1, TINYYOLO.xShape));
        Tensor b = random(7, 1, TINYYOLO.wShape[0]);
        int[] ys = ChannelsLast.physical(TINYYOLO.yShape());
        Tensor fromCopy = Tensor.zeros(DataType.FLOAT, ys);
        conv.forwardPrepared(x, packed, b, null, fromCopy);
        Tensor perCall = Tensor.zeros(DataType.FLOAT, ys);
        conv.forward(x, fresh, b, perCall);
        assertArrayEquals(perCall.toFloatArray(), fromCopy.toFloatArray(), "the kept copy is the per-call packing");

        // read back through both reorders reversed: the model's weights, element for element
        assertArrayEquals(original, w.toFloatArray());
    }
}
