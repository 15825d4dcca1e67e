package dev.sonnx.runtime.ops.norm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.testing.GradCheck;
import dev.sonnx.runtime.testing.OpTester;
import org.junit.jupiter.api.Test;

class InstanceAndGroupNormalizationTest {

    @Test
    void instanceNormalizationPerPlane() {
        // one sample, two channels of three values: {-1, 0, 1} and {2, 3, 4}, each of variance 2/3
        Tensor x = Tensor.of(new double[] {-1, 0, 1, 2, 3, 4}, 1, 2, 1, 3);
        Tensor y = OpTester.of("InstanceNormalization", 6).inputs(3).attr("epsilon", 0f)
                .run(x, Tensor.of(new double[] {1, 1.5}, 2), Tensor.of(new double[] {0, 1}, 2))[0];
        double s = Math.sqrt(1.5);
        assertArrayEquals(new double[] {-s, 0, s, -1.5 * s + 1, 1, 1.5 * s + 1}, y.toDoubleArray(), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> OpTester.of("InstanceNormalization", 6).inputs(3)
                .run(x, Tensor.of(new double[] {1}, 1), Tensor.of(new double[] {0, 1}, 2)));
    }

    @Test
    void groupNormalizationPerGroupAndPerChannel() {
        // 4 channels of 1 value in 2 groups: {1, 3} and {10, 14}
        Tensor x = Tensor.of(new double[] {1, 3, 10, 14}, 1, 4, 1);
        Tensor y18 = OpTester.of("GroupNormalization", 18).inputs(3).attr("num_groups", 2).attr("epsilon", 0f)
                .run(x, Tensor.of(new double[] {2, 1}, 2), Tensor.of(new double[] {0, 5}, 2))[0];
        assertArrayEquals(new double[] {-2, 2, 4, 6}, y18.toDoubleArray(), 1e-12);
        Tensor y21 = OpTester.of("GroupNormalization", 21).inputs(3).attr("num_groups", 2).attr("epsilon", 0f)
                .run(x, Tensor.of(new double[] {1, 2, 3, 4}, 4), Tensor.of(new double[] {0, 0, 1, 1}, 4))[0];
        assertArrayEquals(new double[] {-1, 2, -2, 5}, y21.toDoubleArray(), 1e-12);
        // 18's parameters are per group: a per-channel scale is refused, and the reverse
        assertThrows(IllegalArgumentException.class, () -> OpTester.of("GroupNormalization", 18).inputs(3)
                .attr("num_groups", 2).run(x, Tensor.of(new double[] {1, 2, 3, 4}, 4), Tensor.of(new double[4], 4)));
        assertThrows(IllegalArgumentException.class, () -> OpTester.of("GroupNormalization", 21).inputs(3)
                .attr("num_groups", 3).run(x, Tensor.of(new double[4], 4), Tensor.of(new double[4], 4)));
        assertThrows(IllegalArgumentException.class,
                () -> OpTester.of("GroupNormalization", 21).inputs(3).build());
    }

    @Test
    void groupOfSeveralChannelsWithSpatialElements() {
        // 1 sample, 2 channels of 2 values, 1 group: all four values {0, 2, 4, 6} share mean 3, variance 5
        Tensor x = Tensor.of(new double[] {0, 2, 4, 6}, 1, 2, 2);
        Tensor y = OpTester.of("GroupNormalization", 21).inputs(3).attr("num_groups", 1).attr("epsilon", 0f)
                .run(x, Tensor.of(new double[] {1, 10}, 2), Tensor.of(new double[] {0, 0}, 2))[0];
        double s = Math.sqrt(5);
        assertArrayEquals(new double[] {-3 / s, -1 / s, 10 / s, 30 / s}, y.toDoubleArray(), 1e-12);
    }

    @Test
    void gradients() {
        Tensor x = GradCheck.random(1, -2, 2, 2, 4, 3);
        Operator in = OpTester.of("InstanceNormalization", 6).inputs(3).build();
        GradCheck.of(in).check(new Tensor[] {x, GradCheck.random(2, 0.5, 1.5, 4), GradCheck.random(3, -1, 1, 4)},
                0, 1, 2);
        Operator g18 = OpTester.of("GroupNormalization", 18).inputs(3).attr("num_groups", 2).build();
        GradCheck.of(g18).check(new Tensor[] {x, GradCheck.random(4, 0.5, 1.5, 2), GradCheck.random(5, -1, 1, 2)},
                0, 1, 2);
        Operator g21 = OpTester.of("GroupNormalization", 21).inputs(3).attr("num_groups", 2).build();
        GradCheck.of(g21).check(new Tensor[] {x, GradCheck.random(6, 0.5, 1.5, 4), GradCheck.random(7, -1, 1, 4)},
                0, 1, 2);
    }
}
