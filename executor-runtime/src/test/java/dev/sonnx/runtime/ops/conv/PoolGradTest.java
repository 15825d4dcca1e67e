package dev.sonnx.runtime.ops.conv;

import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.testing.GradCheck;
import dev.sonnx.runtime.testing.OpTester;
import org.junit.jupiter.api.Test;

/** Central-difference checks of the pooling gradients in float64. */
class PoolGradTest {

    private static Tensor x(long seed, int... shape) {
        return GradCheck.random(seed, -1, 1, shape);
    }

    @Test
    void maxPool2dOverlappingWindowsWithPadsAndDilations() {
        GradCheck.of(OpTester.of("MaxPool", 12).inputs(1).attrInts("kernel_shape", 3, 2).attrInts("strides", 1, 2)
                .attrInts("pads", 1, 0, 1, 1).attrInts("dilations", 1, 2).build())
                .check(new Tensor[] {x(1, 2, 2, 5, 6)}, 0);
    }

    @Test
    void maxPool3dCeilMode() {
        GradCheck.of(OpTester.of("MaxPool", 12).inputs(1).attrInts("kernel_shape", 2, 2, 2).attrInts("strides", 2, 2, 2)
                .attr("ceil_mode", 1).build()).check(new Tensor[] {x(2, 1, 2, 3, 3, 5)}, 0);
    }

    @Test
    void maxPoolWithIndicesOutput() {
        GradCheck.of(OpTester.of("MaxPool", 12).inputs(1).outputs(2).attrInts("kernel_shape", 2)
                .attr("auto_pad", "SAME_UPPER").build()).check(new Tensor[] {x(3, 2, 3, 7)}, 0);
    }

    @Test
    void averagePoolExcludingPadding() {
        GradCheck.of(OpTester.of("AveragePool", 19).inputs(1).attrInts("kernel_shape", 3, 3).attrInts("strides", 2, 1)
                .attrInts("pads", 1, 1, 2, 0).attrInts("dilations", 1, 2).attr("ceil_mode", 1).build())
                .check(new Tensor[] {x(4, 1, 2, 6, 7)}, 0);
    }

    @Test
    void averagePoolIncludingPadding() {
        GradCheck.of(OpTester.of("AveragePool", 11).inputs(1).attrInts("kernel_shape", 2, 3)
                .attrInts("pads", 1, 2, 1, 0).attr("count_include_pad", 1).build())
                .check(new Tensor[] {x(5, 2, 1, 4, 5)}, 0);
    }

    @Test
    void lpPool() {
        for (int p : new int[] {1, 2, 3}) {
            GradCheck.of(OpTester.of("LpPool", 18).inputs(1).attrInts("kernel_shape", 2, 2).attrInts("strides", 1, 2)
                    .attrInts("pads", 0, 1, 1, 0).attr("p", p).build()).check(new Tensor[] {x(6 + p, 1, 2, 4, 5)}, 0);
        }
    }

    @Test
    void globalPools() {
        GradCheck.of(OpTester.of("GlobalAveragePool", 1).inputs(1).build()).check(new Tensor[] {x(10, 2, 3, 4, 5)}, 0);
        GradCheck.of(OpTester.of("GlobalMaxPool", 1).inputs(1).build()).check(new Tensor[] {x(11, 2, 3, 4, 5)}, 0);
        GradCheck.of(OpTester.of("GlobalLpPool", 2).inputs(1).attr("p", 3).build())
                .check(new Tensor[] {x(12, 2, 3, 6)}, 0);
        GradCheck.of(OpTester.of("GlobalLpPool", 2).inputs(1).build()).check(new Tensor[] {x(13, 1, 2, 3, 2, 2)}, 0);
    }

    @Test
    void maxUnpool() {
        Tensor idx = Tensor.of(new long[] {1, 2, 7, 4, 8, 13, 11, 15}, 1, 2, 2, 2);
        GradCheck.of(OpTester.of("MaxUnpool", 11).inputs(2).attrInts("kernel_shape", 2, 2).attrInts("strides", 2, 2)
                .build()).check(new Tensor[] {x(14, 1, 2, 2, 2), idx}, 0);
    }

    @Test
    void col2im() {
        GradCheck.of(OpTester.of("Col2Im", 18).inputs(3).attrInts("strides", 2, 1).attrInts("pads", 1, 0, 0, 1).build())
                .check(new Tensor[] {x(15, 2, 8, 8), Tensor.of(new long[] {4, 4}, 2),
                    Tensor.of(new long[] {2, 2}, 2)}, 0);
    }
}
