package dev.sonnx.runtime.backend.passes;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sonnx.runtime.backend.SingaBackend;
import dev.sonnx.runtime.backend.SingaRep;
import dev.sonnx.runtime.cpu.CpuDevice;
import dev.sonnx.runtime.onnx.TensorProtos;
import dev.sonnx.runtime.onnx.proto.Onnx.AttributeProto;
import dev.sonnx.runtime.onnx.proto.Onnx.ModelProto;
import dev.sonnx.runtime.onnx.proto.Onnx.NodeProto;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.testing.Models;
import dev.sonnx.runtime.testing.OrtReference;
import dev.sonnx.runtime.testing.TestTensors;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** What the tests of the transformer fusions share: graph pieces, and runs with and without the rewrites. */
final class PassTesting {
    private PassTesting() {
    }

    static Tensor random(long seed, double lo, double hi, int... shape) {
        SplittableRandom r = new SplittableRandom(seed);
        Tensor t = Tensor.zeros(DataType.FLOAT, shape);
        for (int i = 0; i < t.size(); i++) {
            t.setFloat(i, (float) r.nextDouble(lo, hi));
        }
        return t;
    }

    /** Values in [0.5, 0.5 + |normal|): scales and variances of normalisations. */
    static Tensor positive(long seed, int... shape) {
        return TestTensors.positive(seed, shape);
    }

    static NodeProto node(String op, String out, String... inputs) {
        return Models.node(op, out + "_node", inputs, new String[] {out});
    }

    /** A Constant node writing a float32 scalar (rank 0). */
    static NodeProto constant(String out, float v) {
        return constant(out, Tensor.scalar(v));
    }

    static NodeProto constant(String out, Tensor v) {
        return Models.node("Constant", out + "_node", new String[0], new String[] {out}).toBuilder()
                .addAttribute(AttributeProto.newBuilder().setName("value").setType(AttributeProto.AttributeType.TENSOR)
                        .setT(TensorProtos.fromTensor(v, out))).build();
    }

    static NodeProto withInts(NodeProto n, String name, long... v) {
        AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
        for (long x : v) {
            a.addInts(x);
        }
        return n.toBuilder().addAttribute(a).build();
    }

    static NodeProto withInt(NodeProto n, String name, long v) {
        return n.toBuilder().addAttribute(AttributeProto.newBuilder().setName(name)
                .setType(AttributeProto.AttributeType.INT).setI(v)).build();
    }

    static NodeProto withFloat(NodeProto n, String name, float v) {
        return n.toBuilder().addAttribute(AttributeProto.newBuilder().setName(name)
                .setType(AttributeProto.AttributeType.FLOAT).setF(v)).build();
    }

    /** The op types of the graph's nodes other than Constant, in order. */
    static List<String> opTypes(ModelProto m) {
        List<String> r = new ArrayList<>();
        for (NodeProto n : m.getGraph().getNodeList()) {
            if (!n.getOpType().equals("Constant")) {
                r.add(n.getOpType());
            }
        }
        return r;
    }

    /** The node of type {@code op}, which must be there once. */
    static NodeProto only(ModelProto m, String op) {
        List<NodeProto> r = m.getGraph().getNodeList().stream().filter(n -> n.getOpType().equals(op)).toList();
        assertEquals(1, r.size(), op + " in " + opTypes(m));
        return r.get(0);
    }

    static String attrString(NodeProto n, String name) {
        return n.getAttributeList().stream().filter(a -> a.getName().equals(name)).findFirst()
                .map(a -> a.getS().toStringUtf8()).orElse(null);
    }

    /**
     * Runs the model prepared with the inference rewrites and without any (twice each: the second run
     * uses the weights prepared by the first) and checks both against {@code expected} (computed by the
     * test) within 1e-5 relative to 1 + |value|; returns the rewritten run's output.
     */
    static float[] assertOutputs(ModelProto m, double[] expected, Tensor... feeds) {
        SingaRep fused = SingaBackend.prepare(m, CpuDevice.get());
        SingaRep plain = SingaBackend.prepare(m, CpuDevice.get(), SingaBackend.PrepareOptions.DEFAULTS.foldConstants(false));
        float[] last = null;
        for (int run = 0; run < 2; run++) {
            Tensor a = fused.run(List.of(feeds)).get(0);
            Tensor e = plain.run(List.of(feeds)).get(0);
            assertArrayEquals(e.shape(), a.shape());
            float[] af = a.toFloatArray();
            float[] ef = e.toFloatArray();
            assertEquals(expected.length, af.length);
            for (int i = 0; i < af.length; i++) {
                double tol = 1e-5 * (1 + Math.abs(expected[i]));
                assertTrue(Math.abs(af[i] - ef[i]) <= tol, "element " + i + ": fused " + af[i] + ", unfused " + ef[i]);
                assertTrue(Math.abs(af[i] - expected[i]) <= tol,
                        "element " + i + ": fused " + af[i] + ", expected " + expected[i]);
            }
            last = af;
        }
        return last;
    }

    /**
     * Runs {@code m} (its one input named x) prepared with every rewrite, and the original graph in
     * ONNX Runtime, and checks each output within 1e-4 relative to 1 + |value|.
     */
    static void assertMatchesOnnxRuntime(ModelProto m, Tensor x) {
        List<Tensor> expected = OrtReference.run(m, List.of("x"), List.of(x));
        List<Tensor> actual = SingaBackend.prepare(m, CpuDevice.get()).run(List.of(x));
        assertEquals(expected.size(), actual.size());
        for (int o = 0; o < expected.size(); o++) {
            Tensor e = expected.get(o);
            Tensor a = actual.get(o);
            assertEquals(java.util.Arrays.toString(e.shape()), java.util.Arrays.toString(a.shape()), "output " + o);
            for (int i = 0; i < e.size(); i++) {
                float ev = e.getFloat(i);
                float av = a.getFloat(i);
                assertTrue(Math.abs(av - ev) <= 1e-4 * (1 + Math.abs(ev)),
                        "output " + o + " element " + i + ": " + av + ", expected " + ev);
            }
        }
    }
}
