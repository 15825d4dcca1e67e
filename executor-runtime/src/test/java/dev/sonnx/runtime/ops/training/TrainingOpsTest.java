package dev.sonnx.runtime.ops.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.testing.OpTester;
import org.junit.jupiter.api.Test;

/** The preview-training optimizers against their update rules written out per element. */
class TrainingOpsTest {
    private static final String DOMAIN = "ai.onnx.preview.training";

    private static OpTester op(String name) {
        return OpTester.of(DOMAIN, name, 1);
    }

    private static Tensor f(float... v) {
        return Tensor.of(v, v.length);
    }

    private static void assertClose(double expected, double actual) {
        assertEquals(expected, actual, 1e-6 * Math.max(1, Math.abs(expected)));
    }

    @Test
    void adagradWithDecayAndRegularization() {
        Tensor[] out = op("Adagrad").inputs(5).outputs(2).attr("decay_factor", 0.5f).attr("epsilon", 1e-5f)
                .attr("norm_coefficient", 0.01f)
                .run(Tensor.scalar(0.1f), Tensor.scalar(2L), f(1f, -2f), f(-1f, 0.5f), f(2f, 0f));
        // r = 0.1 / (1 + 2 * 0.5) = 0.05; g = 0.01 x + G; H' = H + g^2; x' = x - r g / (sqrt(H') + eps).
        double[] x = {1, -2};
        double[] grad = {-1, 0.5};
        double[] h = {2, 0};
        for (int i = 0; i < 2; i++) {
            double g = 0.01f * x[i] + grad[i];
            double hNew = h[i] + g * g;
            assertClose(hNew, out[1].getDouble(i));
            assertClose(x[i] - 0.05 * g / (Math.sqrt(hNew) + 1e-5f), out[0].getDouble(i));
        }
    }

    @Test
    void momentumStandardAndNesterov() {
        Tensor r = Tensor.scalar(0.1f);
        Tensor x = f(1.2f);
        Tensor g = f(-0.9f);
        Tensor v = f(1.7f);
        double gReg = 0.01f * 1.2f + -0.9f;
        // First update (T = 0): the gradient enters with weight 1, not beta.
        Tensor[] first = op("Momentum").inputs(5).outputs(2).attr("alpha", 0.9f).attr("beta", 0.5f)
                .attr("mode", "standard").attr("norm_coefficient", 0.01f).run(r, Tensor.scalar(0L), x, g, v);
        double v0 = 0.9f * 1.7f + gReg;
        assertClose(v0, first[1].getDouble(0));
        assertClose(1.2f - 0.1f * v0, first[0].getDouble(0));
        // Later updates weigh it by beta; nesterov steps along g + alpha * v'.
        Tensor[] later = op("Momentum").inputs(5).outputs(2).attr("alpha", 0.9f).attr("beta", 0.5f)
                .attr("mode", "nesterov").attr("norm_coefficient", 0.01f).run(r, Tensor.scalar(3L), x, g, v);
        double v1 = 0.9f * 1.7f + 0.5f * gReg;
        assertClose(v1, later[1].getDouble(0));
        assertClose(1.2f - 0.1f * (gReg + 0.9f * v1), later[0].getDouble(0));
    }

    @Test
    void momentumNeedsItsAttributes() {
        Exception e = assertThrows(IllegalArgumentException.class,
                () -> op("Momentum").inputs(5).outputs(2).attr("alpha", 0.9f).attr("beta", 0.5f)
                        .attr("norm_coefficient", 0f).build());
        assertTrue(e.getMessage().contains("'mode'"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> op("Momentum").inputs(5).outputs(2).attr("alpha", 0.9f)
                .attr("beta", 0.5f).attr("norm_coefficient", 0f).attr("mode", "heavy").build());
    }

    @Test
    void adamWithBiasCorrectionOnTwoTensors() {
        double alpha = 0.9f;
        double beta = 0.99f;
        double eps = 1e-3f;
        double post = 0.1f;
        Tensor[] out = op("Adam").inputs(10).outputs(6).attr("alpha", 0.9f).attr("beta", 0.99f)
                .attr("epsilon", 1e-3f).attr("norm_coefficient_post", 0.1f)
                .run(Tensor.scalar(0.01f), Tensor.scalar(2L),
                        f(1f), f(2f, 3f),          // X1, X2
                        f(0.5f), f(-1f, 4f),       // G1, G2
                        f(0.1f), f(0.2f, 0.3f),    // V1, V2
                        f(0.01f), f(0.02f, 0.03f)); // H1, H2
        double[][] x = {{1}, {2, 3}};
        double[][] g = {{0.5}, {-1, 4}};
        double[][] v = {{0.1f}, {0.2f, 0.3f}};
        double[][] h = {{0.01f}, {0.02f, 0.03f}};
        double rate = 0.01f * Math.sqrt(1 - beta * beta) / (1 - alpha * alpha);
        for (int t = 0; t < 2; t++) {
            for (int i = 0; i < x[t].length; i++) {
                double vNew = alpha * v[t][i] + (1 - alpha) * g[t][i];
                double hNew = beta * h[t][i] + (1 - beta) * g[t][i] * g[t][i];
                assertClose(vNew, out[2 + t].getDouble(i));
                assertClose(hNew, out[4 + t].getDouble(i));
                assertClose((1 - post) * (x[t][i] - rate * vNew / (Math.sqrt(hNew) + eps)), out[t].getDouble(i));
            }
        }
        assertArrayEquals(new int[] {2}, out[1].shape());
    }

    @Test
    void doublesStayDoubles() {
        Tensor[] out = op("Adagrad").inputs(5).outputs(2)
                .run(Tensor.of(new double[] {0.5}), Tensor.scalar(0L), Tensor.of(new double[] {3}, 1),
                        Tensor.of(new double[] {4}, 1), Tensor.of(new double[] {9}, 1));
        assertEquals(DataType.DOUBLE, out[0].dtype());
        // H' = 9 + 16 = 25, x' = 3 - 0.5 * 4 / (5 + 1e-6).
        assertEquals(25, out[1].getDouble(0), 0);
        assertEquals(3 - 2.0 / (5 + (double) 1e-6f), out[0].getDouble(0), 1e-12);
    }

    @Test
    void inputGroupsAreChecked() {
        Exception e = assertThrows(IllegalArgumentException.class, () -> op("Adam").inputs(7).outputs(3).build());
        assertTrue(e.getMessage().contains("4 equal groups"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> op("Adagrad").inputs(5).outputs(3).build());
        Exception shapes = assertThrows(IllegalArgumentException.class, () -> op("Adagrad").inputs(5).outputs(2)
                .run(Tensor.scalar(0.1f), Tensor.scalar(0L), f(1f, 2f), f(1f), f(1f, 2f)));
        assertTrue(shapes.getMessage().contains("input G1 is float[1], but X1 is float[2]"), shapes.getMessage());
        Exception step = assertThrows(IllegalArgumentException.class, () -> op("Adagrad").inputs(5).outputs(2)
                .run(Tensor.scalar(0.1f), Tensor.scalar(0f), f(1f), f(1f), f(1f)));
        assertTrue(step.getMessage().contains("int64"), step.getMessage());
    }
}
