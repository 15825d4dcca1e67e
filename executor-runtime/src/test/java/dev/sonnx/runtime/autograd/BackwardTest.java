package dev.sonnx.runtime.autograd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.sonnx.runtime.cpu.CpuDevice;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.ops.SyntheticNodes;
import dev.sonnx.runtime.tensor.Tensor;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class BackwardTest {

    private static Operator op(String type, int inputs) {
        return SyntheticNodes.node(type, type.toLowerCase(), inputs, 1).build();
    }

    @Test
    void chainRuleThroughSharedValues() {
        // L = sum(tanh(a * b) + a)   with a used twice: dL/da = (1 - tanh^2(ab)) b + 1, dL/db = (1 - tanh^2(ab)) a
        Tensor a = Tensor.of(new float[] {0.5f, -1f, 2f}, 3);
        Tensor b = Tensor.of(new float[] {1.5f, 0.25f, -0.5f}, 3);
        try (Autograd.Session s = Autograd.record(true, CpuDevice.get(), new SplittableRandom(0))) {
            Tensor ab = Autograd.apply1(op("Mul", 2), a, b);
            Tensor t = Autograd.apply1(op("Tanh", 1), ab);
            Tensor y = Autograd.apply1(op("Add", 2), t, a);
            Map<Tensor, Tensor> g = Backward.gradients(s.tape(), y, List.of(a, b));
            for (int i = 0; i < 3; i++) {
                double th = Math.tanh(a.getDouble(i) * b.getDouble(i));
                assertEquals((1 - th * th) * b.getDouble(i) + 1, g.get(a).getDouble(i), 1e-6);
                assertEquals((1 - th * th) * a.getDouble(i), g.get(b).getDouble(i), 1e-6);
            }
        }
    }

    /**
     * Backward may write an input's gradient over its output's gradient only where nothing reads that
     * gradient afterwards. L = sum(join(clip(x1), clip(x2)) * c), where join adds like Add but its
     * backward hands one tensor to both inputs: the first Clip to run backward must leave it for the
     * second. Then dL/dx = c where 0 <= x <= 1, else 0, for both.
     */
    @Test
    void aGradientTwoConsumersShareIsNotOverwrittenByTheFirst() {
        int n = 3000;
        float[] x1s = new float[n];
        float[] x2s = new float[n];
        float[] cs = new float[n];
        SplittableRandom r = new SplittableRandom(4);
        for (int i = 0; i < n; i++) {
            x1s[i] = (float) r.nextDouble(-0.5, 1.5);
            x2s[i] = (float) r.nextDouble(-0.5, 1.5);
            cs[i] = (float) r.nextDouble(-2, 2);
        }
        Tensor x1 = Tensor.of(x1s, n);
        Tensor x2 = Tensor.of(x2s, n);
        Tensor c = Tensor.of(cs, n);
        try (Autograd.Session s = Autograd.record(true, CpuDevice.get(), new SplittableRandom(0))) {
            Operator clip = op("Clip", 3);
            Tensor lo = Tensor.scalar(0f);
            Tensor hi = Tensor.scalar(1f);
            Tensor a = Autograd.apply1(clip, x1, lo, hi);
            Tensor b = Autograd.apply1(clip, x2, lo, hi);
            Tensor sum = Autograd.apply1(new SharedGradientAdd(), a, b);
            Tensor y = Autograd.apply1(op("Mul", 2), sum, c);
            Map<Tensor, Tensor> g = Backward.gradients(s.tape(), y, List.of(x1, x2));
            for (int i = 0; i < n; i++) {
                assertEquals(x1s[i] >= 0 && x1s[i] <= 1 ? cs[i] : 0, g.get(x1).getDouble(i), 1e-6, "dx1 " + i);
                assertEquals(x2s[i] >= 0 && x2s[i] <= 1 ? cs[i] : 0, g.get(x2).getDouble(i), 1e-6, "dx2 " + i);
            }
        }
    }

    /** a + b (same shapes), whose backward returns the very same gradient tensor for both inputs. */
    private static final class SharedGradientAdd extends Operator {
        SharedGradientAdd() {
            super(new dev.sonnx.runtime.ops.Node(SyntheticNodes.node("Add", "join", 2, 1).proto(), 17));
        }

        @Override
        public dev.sonnx.runtime.tensor.Value[] forward(dev.sonnx.runtime.tensor.Value[] in,
                                                        dev.sonnx.runtime.ops.OpContext ctx) {
            Tensor a = in[0].asTensor();
            Tensor b = in[1].asTensor();
            Tensor y = Tensor.uninitialized(a.dtype(), a.shape());
            for (int i = 0; i < a.size(); i++) {
                y.setFloat(i, a.getFloat(i) + b.getFloat(i));
            }
            return new dev.sonnx.runtime.tensor.Value[] {y};
        }

        @Override
        public boolean differentiable() {
            return true;
        }

        @Override
        public Tensor[] backward(dev.sonnx.runtime.ops.BackwardContext g) {
            return new Tensor[] {g.gradOutput(0), g.gradOutput(0)};
        }
    }

    /**
     * A value with two consumers gets the sum of their gradients: L = sum(relu(x) * c + x) over
     * 2,500 elements (several of the summing blocks, and a partial one), dL/dx = [x > 0] c + 1.
     */
    @Test
    void gradientsFromTwoConsumersAreSummedOverEveryElement() {
        int n = 2500;
        float[] xs = new float[n];
        float[] cs = new float[n];
        SplittableRandom r = new SplittableRandom(3);
        for (int i = 0; i < n; i++) {
            xs[i] = (float) r.nextDouble(-1, 1);
            cs[i] = (float) r.nextDouble(-2, 2);
        }
        Tensor x = Tensor.of(xs, n);
        Tensor c = Tensor.of(cs, n);
        try (Autograd.Session s = Autograd.record(true, CpuDevice.get(), new SplittableRandom(0))) {
            Tensor relu = Autograd.apply1(op("Relu", 1), x);
            Tensor scaled = Autograd.apply1(op("Mul", 2), relu, c);
            Tensor y = Autograd.apply1(op("Add", 2), scaled, x);
            Tensor gx = Backward.gradients(s.tape(), y, List.of(x)).get(x);
            for (int i = 0; i < n; i++) {
                assertEquals((xs[i] > 0 ? cs[i] : 0) + 1, gx.getDouble(i), 1e-6, "element " + i);
            }
        }
    }

    /**
     * The sweep's intermediate gradients go back to the pool when it ends; the gradients it returns
     * must not: a later sweep, which takes pooled blocks of the same sizes, leaves them as they were.
     */
    @Test
    void returnedGradientsOutliveTheSweepsPooledMemory() {
        Tensor a = Tensor.of(new float[] {0.5f, -1f, 2f, 3f}, 4);
        Tensor b = Tensor.of(new float[] {1.5f, 0.25f, -0.5f, 1f}, 4);
        Map<Tensor, Tensor> first;
        try (Autograd.Session s = Autograd.record(true, CpuDevice.get(), new SplittableRandom(0))) {
            Tensor t = Autograd.apply1(op("Tanh", 1), Autograd.apply1(op("Mul", 2), a, b));
            first = Backward.gradients(s.tape(), Autograd.apply1(op("Mul", 2), t, t), List.of(a, b));
        }
        float[] da = first.get(a).toFloatArray();
        float[] db = first.get(b).toFloatArray();
        for (int step = 0; step < 3; step++) {
            Tensor c = Tensor.of(new float[] {9, 8, 7, 6}, 4);
            try (Autograd.Session s = Autograd.record(true, CpuDevice.get(), new SplittableRandom(0))) {
                Tensor t = Autograd.apply1(op("Tanh", 1), Autograd.apply1(op("Mul", 2), c, b));
                Backward.gradients(s.tape(), Autograd.apply1(op("Mul", 2), t, t), List.of(c, b));
            }
        }
        assertArrayEquals(da, first.get(a).toFloatArray());
        assertArrayEquals(db, first.get(b).toFloatArray());
        for (int i = 0; i < 4; i++) {
            // d/da tanh(ab)^2 = 2 tanh(ab) (1 - tanh^2(ab)) b
            double th = Math.tanh(a.getDouble(i) * b.getDouble(i));
            assertEquals(2 * th * (1 - th * th) * b.getDouble(i), da[i], 1e-6);
        }
    }

    @Test
    void broadcastGradientsAreSummedBack() {
        Tensor x = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        Tensor bias = Tensor.of(new float[] {10, 20, 30}, 3);
        try (Autograd.Session s = Autograd.record(true, CpuDevice.get(), new SplittableRandom(0))) {
            Tensor y = Autograd.apply1(op("Add", 2), x, bias);
            Map<Tensor, Tensor> g = Backward.gradients(s.tape(), y, List.of(bias));
            assertArrayEquals(new float[] {2, 2, 2}, g.get(bias).toFloatArray());
        }
    }

    @Test
    void unrelatedTensorsGetNoGradient() {
        Tensor a = Tensor.of(new float[] {1}, 1);
        Tensor unused = Tensor.of(new float[] {1}, 1);
        try (Autograd.Session s = Autograd.record(true, CpuDevice.get(), new SplittableRandom(0))) {
            Tensor y = Autograd.apply1(op("Neg", 1), a);
            Map<Tensor, Tensor> g = Backward.gradients(s.tape(), y, List.of(a, unused));
            assertEquals(-1.0, g.get(a).getDouble(0));
            assertFalse(g.containsKey(unused));
        }
    }
}
