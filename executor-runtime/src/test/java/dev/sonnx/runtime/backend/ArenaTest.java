package dev.sonnx.runtime.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.sonnx.runtime.cpu.CpuDevice;
import dev.sonnx.runtime.onnx.proto.Onnx.GraphProto;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.testing.Models;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Intermediate values are recycled between and within runs; what a run returns stays intact. */
class ArenaTest {

    /** y = ((x + x) * x + x) * x: several intermediates of one size, each dead after one use. */
    private static SingaRep chain() {
        GraphProto g = GraphProto.newBuilder().setName("chain")
                .addNode(Models.node("Add", "a", new String[] {"x", "x"}, new String[] {"t1"}))
                .addNode(Models.node("Mul", "b", new String[] {"t1", "x"}, new String[] {"t2"}))
                .addNode(Models.node("Add", "c", new String[] {"t2", "x"}, new String[] {"t3"}))
                .addNode(Models.node("Mul", "d", new String[] {"t3", "x"}, new String[] {"y"}))
                .addInput(Models.tensorInfo("x", DataType.FLOAT, 1024))
                .addOutput(Models.tensorInfo("y", DataType.FLOAT, 1024))
                .build();
        return SingaBackend.prepare(Models.model(g, 13), CpuDevice.get());
    }

    private static float expected(float x) {
        return ((x + x) * x + x) * x;
    }

    @Test
    void outputsSurviveLaterRunsThatReuseMemory() {
        SingaRep rep = chain();
        float[] a = new float[1024];
        float[] b = new float[1024];
        for (int i = 0; i < a.length; i++) {
            a[i] = i * 0.01f;
            b[i] = -i * 0.02f;
        }
        Tensor ya = rep.run(List.of(Tensor.of(a, 1024))).get(0);
        for (int k = 0; k < 5; k++) {
            Tensor yb = rep.run(List.of(Tensor.of(b, 1024))).get(0);
            for (int i = 0; i < b.length; i++) {
                assertArrayEquals(new float[] {expected(b[i])}, new float[] {yb.getFloat(i)}, 1e-4f);
            }
        }
        for (int i = 0; i < a.length; i++) {
            assertArrayEquals(new float[] {expected(a[i])}, new float[] {ya.getFloat(i)}, 1e-4f, "element " + i);
        }
    }

    @Test
    void feedsAreNeverRecycled() {
        SingaRep rep = chain();
        float[] a = new float[1024];
        java.util.Arrays.fill(a, 3f);
        Tensor x = Tensor.of(a, 1024);
        rep.run(List.of(x));
        rep.run(List.of(Tensor.of(new float[1024], 1024)));
        assertArrayEquals(a, x.toFloatArray());
    }
}
