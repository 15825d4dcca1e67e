package dev.sonnx.runtime.ops.conv;

import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.testing.GradCheck;
import dev.sonnx.runtime.testing.OpTester;
import org.junit.jupiter.api.Test;

/** Central-difference checks of Conv's and ConvTranspose's gradients for X, W and B, in float64. */
class ConvGradTest {

    @Test
    void conv2dWithStridesPadsAndDilations() {
        GradCheck.of(OpTester.of("Conv", 11).inputs(3).attrInts("strides", 2, 1).attrInts("pads", 1, 0, 0, 2)
                .attrInts("dilations", 1, 2).build())
                .check(new Tensor[] {GradCheck.random(1, -1, 1, 2, 3, 5, 6), GradCheck.random(2, -1, 1, 4, 3, 2, 2),
                    GradCheck.random(3, -1, 1, 4)}, 0, 1, 2);
    }

    @Test
    void groupedConv1d() {
        GradCheck.of(OpTester.of("Conv", 11).inputs(3).attr("group", 2).attrInts("pads", 2, 1).build())
                .check(new Tensor[] {GradCheck.random(4, -1, 1, 2, 4, 7), GradCheck.random(5, -1, 1, 6, 2, 3),
                    GradCheck.random(6, -1, 1, 6)}, 0, 1, 2);
    }

    @Test
    void depthwiseConv2dSameUpper() {
        GradCheck.of(OpTester.of("Conv", 11).inputs(2).attr("group", 3).attr("auto_pad", "SAME_UPPER")
                .attrInts("strides", 2, 2).build())
                .check(new Tensor[] {GradCheck.random(7, -1, 1, 1, 3, 5, 4), GradCheck.random(8, -1, 1, 3, 1, 3, 2)},
                        0, 1);
    }

    @Test
    void conv3d() {
        GradCheck.of(OpTester.of("Conv", 11).inputs(3).attrInts("pads", 1, 0, 1, 0, 1, 1).build())
                .check(new Tensor[] {GradCheck.random(9, -1, 1, 1, 2, 3, 3, 4),
                    GradCheck.random(10, -1, 1, 2, 2, 2, 2, 2), GradCheck.random(11, -1, 1, 2)}, 0, 1, 2);
    }

    @Test
    void pointwiseConv() {
        GradCheck.of(OpTester.of("Conv", 11).inputs(3).build())
                .check(new Tensor[] {GradCheck.random(12, -1, 1, 3, 4, 2, 3), GradCheck.random(13, -1, 1, 5, 4, 1, 1),
                    GradCheck.random(14, -1, 1, 5)}, 0, 1, 2);
    }

    @Test
    void convTranspose2dStridedWithOutputPadding() {
        GradCheck.of(OpTester.of("ConvTranspose", 11).inputs(3).attrInts("strides", 2, 3).attrInts("pads", 1, 0, 0, 1)
                .attrInts("output_padding", 1, 2).attrInts("dilations", 2, 1).build())
                .check(new Tensor[] {GradCheck.random(15, -1, 1, 2, 2, 3, 3), GradCheck.random(16, -1, 1, 2, 3, 2, 3),
                    GradCheck.random(17, -1, 1, 3)}, 0, 1, 2);
    }

    @Test
    void groupedConvTranspose1d() {
        GradCheck.of(OpTester.of("ConvTranspose", 11).inputs(3).attr("group", 2).attrInts("strides", 2).build())
                .check(new Tensor[] {GradCheck.random(18, -1, 1, 2, 4, 3), GradCheck.random(19, -1, 1, 4, 3, 3),
                    GradCheck.random(20, -1, 1, 6)}, 0, 1, 2);
    }

    @Test
    void convTranspose3dSameLower() {
        GradCheck.of(OpTester.of("ConvTranspose", 11).inputs(2).attr("auto_pad", "SAME_LOWER")
                .attrInts("strides", 1, 2, 1).build())
                .check(new Tensor[] {GradCheck.random(21, -1, 1, 1, 2, 2, 2, 3),
                    GradCheck.random(22, -1, 1, 2, 2, 2, 3, 2)}, 0, 1);
    }
}
