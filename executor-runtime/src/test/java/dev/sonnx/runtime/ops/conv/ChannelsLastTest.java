package dev.sonnx.runtime.ops.conv;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sonnx.runtime.cpu.CpuDevice;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.testing.OpTester;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The channels-last operators against their plain twins: the same image permuted by hand
 * ([N, C, H, W] to [N, H, W, C] by index arithmetic here), run both ways, the results compared
 * after permuting back. float32 takes oneDNN; float64 the conversions around the plain kernels.
 */
class ChannelsLastTest {

    private static Tensor random(DataType type, long seed, int... shape) {
        SplittableRandom r = new SplittableRandom(seed);
        Tensor t = Tensor.zeros(type, shape);
        for (int i = 0; i < t.size(); i++) {
            t.setDouble(i, (float) r.nextDouble(-1, 1));
        }
        return t;
    }

    /** [N, C, H, W] to [N, H, W, C], element by element. */
    private static Tensor nhwc(Tensor t) {
        int[] s = t.shape();
        Tensor r = Tensor.zeros(t.dtype(), s[0], s[2], s[3], s[1]);
        for (int n = 0; n < s[0]; n++) {
            for (int c = 0; c < s[1]; c++) {
                for (int h = 0; h < s[2]; h++) {
                    for (int w = 0; w < s[3]; w++) {
                        r.setDouble(((n * s[2] + h) * s[3] + w) * s[1] + c,
                                t.getDouble(((n * s[1] + c) * s[2] + h) * s[3] + w));
                    }
                }
            }
        }
        return r;
    }

    private static void assertClose(Tensor expected, Tensor actual, double tol, String what) {
        assertArrayEquals(expected.shape(), actual.shape(), what);
        for (int i = 0; i < expected.size(); i++) {
            double e = expected.getDouble(i);
            assertTrue(Math.abs(actual.getDouble(i) - e) <= tol * (1 + Math.abs(e)),
                    what + ": element " + i + " is " + actual.getDouble(i) + ", expected " + e);
        }
    }

    private static OpTester fused(String pads, boolean channelsLast, boolean residual, int group) {
        OpTester t = OpTester.of(FusedConv.DOMAIN, FusedConv.OP_TYPE, 1)
                .inputs(residual ? new String[] {"x", "w", "b", "z"} : new String[] {"x", "w", "b"})
                .attr("group", group).attr(FusedConv.ACTIVATION, "Relu");
        if (pads.equals("SAME_UPPER")) {
            t.attr("auto_pad", pads);
        } else {
            t.attrInts("pads", 1, 0, 2, 1).attrInts("strides", 2, 1);
        }
        return channelsLast ? t.attr(FusedConv.CHANNELS_LAST, 1L) : t;
    }

    @Test
    void convolutionsGiveThePlainResultsPermuted() {
        for (DataType type : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            for (int group : new int[] {1, 6}) {
                for (String pads : new String[] {"SAME_UPPER", "explicit"}) {
                    Tensor x = random(type, 1, 2, 6, 7, 9);
                    Tensor w = random(type, 2, 6, 6 / group, 3, 3);
                    Tensor b = random(type, 3, 6);
                    Tensor plainY = fused(pads, false, false, group).run(x, w, b)[0];
                    Tensor z = random(type, 4, plainY.shape());
                    Tensor plain = fused(pads, false, true, group).run(x, w, b, z)[0];
                    Tensor last = fused(pads, true, true, group).run(nhwc(x), w, b, nhwc(z))[0];
                    String what = type + " group " + group + " " + pads;
                    assertEquals(type, last.dtype(), what);
                    assertClose(nhwc(plain), last, 1e-5, what);
                    assertClose(nhwc(plainY), fused(pads, true, false, group).run(nhwc(x), w, b)[0], 1e-5, what);
                }
            }
        }
    }

    @Test
    void poolsGiveThePlainResultsPermuted() {
        for (DataType type : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            Tensor x = random(type, 5, 2, 3, 9, 8);   // three channels: oneDNN's plain layout pools them in loops
            OpTester max = OpTester.of("MaxPool", 12).inputs(1).attrInts("kernel_shape", 3, 2)
                    .attrInts("strides", 2, 2).attrInts("pads", 1, 0, 1, 1).attr("ceil_mode", 1L);
            OpTester nhwcMax = OpTester.of(FusedConv.DOMAIN, "NhwcMaxPool", 1).inputs(1).attrInts("kernel_shape", 3, 2)
                    .attrInts("strides", 2, 2).attrInts("pads", 1, 0, 1, 1).attr("ceil_mode", 1L);
            assertClose(nhwc(max.run(x)[0]), nhwcMax.run(nhwc(x))[0], 0, type + " MaxPool");
            for (long include : new long[] {0, 1}) {
                OpTester avg = OpTester.of("AveragePool", 19).inputs(1).attrInts("kernel_shape", 3, 3)
                        .attrInts("pads", 1, 1, 1, 1).attr("count_include_pad", include);
                OpTester nhwcAvg = OpTester.of(FusedConv.DOMAIN, "NhwcAveragePool", 1).inputs(1)
                        .attrInts("kernel_shape", 3, 3).attrInts("pads", 1, 1, 1, 1).attr("count_include_pad", include);
                assertClose(nhwc(avg.run(x)[0]), nhwcAvg.run(nhwc(x))[0], 1e-6, type + " AveragePool " + include);
            }
            for (String op : new String[] {"GlobalAveragePool", "GlobalMaxPool"}) {
                Tensor plain = OpTester.of(op, 1).inputs(1).run(x)[0];
                Tensor last = OpTester.of(FusedConv.DOMAIN, "Nhwc" + op, 1).inputs(1).run(nhwc(x))[0];
                assertClose(nhwc(plain), last, 1e-6, type + " " + op);
            }
        }
    }

    @Test
    void layoutReordersAreTransposes() {
        for (DataType type : new DataType[] {DataType.FLOAT, DataType.FLOAT16}) {
            Tensor x = random(type, 6, 2, 5, 4, 3);
            Tensor last = OpTester.of(FusedConv.DOMAIN, "ToChannelsLast", 1).inputs(1).run(x)[0];
            assertEquals(type, last.dtype());
            assertClose(nhwc(x), last, 0, type + " to channels-last");
            Tensor back = OpTester.of(FusedConv.DOMAIN, "ToChannelsFirst", 1).inputs(1).run(last)[0];
            assertClose(x, back, 0, type + " back");
        }
        // one channel, or one position (a global pool's result): the same bytes in the other shape
        for (int[] shape : new int[][] {{2, 1, 3, 4}, {3, 5, 1, 1}}) {
            Tensor x = random(DataType.FLOAT, 8, shape);
            Tensor last = OpTester.of(FusedConv.DOMAIN, "ToChannelsLast", 1).inputs(1).run(x)[0];
            assertArrayEquals(ChannelsLast.physical(shape), last.shape());
            assertClose(nhwc(x), last, 0, "to channels-last " + java.util.Arrays.toString(shape));
            Tensor back = OpTester.of(FusedConv.DOMAIN, "ToChannelsFirst", 1).inputs(1).run(last)[0];
            assertArrayEquals(shape, back.shape());
            assertClose(x, back, 0, "back " + java.util.Arrays.toString(shape));
        }
        assertArrayEquals(new int[] {2, 4, 3, 5}, ChannelsLast.physical(new int[] {2, 5, 4, 3}));
        assertArrayEquals(new int[] {2, 5, 4, 3}, ChannelsLast.logical(new int[] {2, 4, 3, 5}));
        assertArrayEquals(nhwc(random(DataType.FLOAT, 7, 1, 2, 3, 4)).toFloatArray(),
                ChannelsLast.toLast(random(DataType.FLOAT, 7, 1, 2, 3, 4), CpuDevice.get()).toFloatArray());
    }

    /**
     * ToChannelsLast with {@code pads}: the channels-last image inside a zero border (float32 through
     * oneDNN's reorder into the middle, float16 through the plain conversion and a copy), against the
     * image placed by hand; the tests' allocator poisons fresh memory, so a border left unwritten
     * shows.
     */
    @Test
    void paddedReordersWriteTheImageInsideAZeroBorder() {
        long[] pads = {1, 2, 0, 3};   // top, left, bottom, right
        for (DataType type : new DataType[] {DataType.FLOAT, DataType.FLOAT16}) {
            Tensor x = random(type, 9, 2, 3, 5, 4);
            Tensor last = nhwc(x);
            Tensor expected = Tensor.zeros(type, 2, 6, 9, 3);
            for (int n = 0; n < 2; n++) {
                for (int h = 0; h < 5; h++) {
                    for (int w = 0; w < 4; w++) {
                        for (int c = 0; c < 3; c++) {
                            expected.setDouble(((n * 6 + h + 1) * 9 + w + 2) * 3 + c,
                                    last.getDouble(((n * 5 + h) * 4 + w) * 3 + c));
                        }
                    }
                }
            }
            Tensor got = OpTester.of(FusedConv.DOMAIN, "ToChannelsLast", 1).inputs(1).attrInts("pads", pads)
                    .run(x)[0];
            assertClose(expected, got, 0, type + " inside a border");
        }
    }

    /**
     * Images of a few channels (a network's RGB input, the first reorder of most plans) against the
     * transpose by hand, with and without a border, at batch 3 and sizes that are not multiples of
     * any vector width.
     */
    @Test
    void fewChannelImagesReorderLikeTheTranspose() {
        for (int c = 2; c <= 4; c++) {
            Tensor x = random(DataType.FLOAT, 20 + c, 3, c, 61, 47);
            Tensor last = OpTester.of(FusedConv.DOMAIN, "ToChannelsLast", 1).inputs(1).run(x)[0];
            assertClose(nhwc(x), last, 0, c + " channels to channels-last");
            Tensor padded = OpTester.of(FusedConv.DOMAIN, "ToChannelsLast", 1).inputs(1)
                    .attrInts("pads", 3, 1, 2, 4).run(x)[0];
            assertArrayEquals(new int[] {3, 66, 52, c}, padded.shape());
            Tensor expected = Tensor.zeros(DataType.FLOAT, 3, 66, 52, c);
            for (int n = 0; n < 3; n++) {
                for (int h = 0; h < 61; h++) {
                    for (int w = 0; w < 47; w++) {
                        for (int k = 0; k < c; k++) {
                            expected.setDouble(((n * 66 + h + 3) * 52 + w + 1) * c + k,
                                    x.getDouble(((n * c + k) * 61 + h) * 47 + w));
                        }
                    }
                }
            }
            assertClose(expected, padded, 0, c + " channels inside a border");
        }
    }

    @Test
    void nonImagesAreRefusedByName() {
        Tensor v = Tensor.zeros(DataType.FLOAT, 4, 4);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> OpTester.of(FusedConv.DOMAIN, "ToChannelsFirst", 1).inputs(1).run(v));
        assertTrue(e.getMessage().contains("float[4, 4]"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> OpTester.of(FusedConv.DOMAIN, "NhwcGlobalMaxPool", 1).inputs(1).run(v));
    }
}
