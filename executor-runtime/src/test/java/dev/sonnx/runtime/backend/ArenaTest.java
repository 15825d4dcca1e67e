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

    /**
     * A released output's block serves the next run (y = x + x allocates only its output, so the
     * same native address), whose results are right; releasing a feed, or an output twice, changes
     * nothing.
     */
    @Test
    void releasedOutputsServeTheNextRun() {
        GraphProto g = GraphProto.newBuilder().setName("double")
                .addNode(Models.node("Add", "a", new String[] {"x", "x"}, new String[] {"y"}))
                .addInput(Models.tensorInfo("x", DataType.FLOAT, 1024))
                .addOutput(Models.tensorInfo("y", DataType.FLOAT, 1024))
                .build();
        SingaRep rep = SingaBackend.prepare(Models.model(g, 13), CpuDevice.get());
        float[] a = new float[1024];
        for (int i = 0; i < a.length; i++) {
            a[i] = i * 0.01f;
        }
        Tensor x = Tensor.of(a, 1024);
        Tensor first = rep.run(List.of(x)).get(0);
        long address = new org.bytedeco.javacpp.Pointer(first.bytes()).address();
        first.release();
        first.release();
        x.release();
        Tensor second = rep.run(List.of(x)).get(0);
        org.junit.jupiter.api.Assertions.assertEquals(address, new org.bytedeco.javacpp.Pointer(second.bytes())
                .address(), "the released block is reused");
        assertArrayEquals(a, x.toFloatArray());
        for (int i = 0; i < a.length; i++) {
            assertArrayEquals(new float[] {2 * a[i]}, new float[] {second.getFloat(i)}, "element " + i);
        }
    }
}
