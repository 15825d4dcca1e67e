package dev.sonnx.runtime.backend;

import static dev.sonnx.runtime.testing.Models.floating;
import static dev.sonnx.runtime.testing.Models.graph;
import static dev.sonnx.runtime.testing.Models.ints;
import static dev.sonnx.runtime.testing.Models.node;
import static dev.sonnx.runtime.testing.Models.opTypes;
import static dev.sonnx.runtime.testing.Models.tensorInfo;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.sonnx.runtime.backend.passes.InferencePasses;
import dev.sonnx.runtime.conformance.Tolerance;
import dev.sonnx.runtime.conformance.ValueComparator;
import dev.sonnx.runtime.cpu.CpuDevice;
import dev.sonnx.runtime.onnx.TensorProtos;
import dev.sonnx.runtime.onnx.proto.Onnx.AttributeProto;
import dev.sonnx.runtime.onnx.proto.Onnx.GraphProto;
import dev.sonnx.runtime.onnx.proto.Onnx.ModelProto;
import dev.sonnx.runtime.onnx.proto.Onnx.NodeProto;
import dev.sonnx.runtime.onnx.proto.Onnx.TensorProto;
import dev.sonnx.runtime.ops.OpRegistry;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.testing.Models;
import dev.sonnx.runtime.testing.OrtReference;
import dev.sonnx.runtime.testing.TestTensors;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Small values computed from constants become initializers ahead of the inference rewrites: what
 * the rewrites then see, which nodes stay (random ones, values a body or a graph output names, large
 * ones), and that the prepared model still gives ONNX Runtime's outputs for the original graph.
 */
class ConstantPrefoldingTest {
    private static NodeProto constant(String out, Tensor value) {
        return node("Constant", List.of(), List.of(out), AttributeProto.newBuilder().setName("value")
                .setType(AttributeProto.AttributeType.TENSOR).setT(TensorProtos.fromTensor(value, out)).build());
    }

    private static ModelProto prefold(ModelProto m) {
        PlanCompiler.Env env = new PlanCompiler.Env("test", OpRegistry.standard(), ModelValidator.check(m, "test"),
                CpuDevice.get(), true, Set.of(), 0);
        return ConstantPrefolding.apply(m, env);
    }

    private static TensorProto initializer(ModelProto m, String name) {
        return m.getGraph().getInitializerList().stream().filter(t -> t.getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no initializer " + name));
    }

    /**
     * PyTorch's export of F.pad: the pads come out of ConstantOfShape, Concat and Cast. They become
     * an initializer, so the Pad folds into the max pool after it; outputs against ONNX Runtime.
     */
    @Test
    void computedPadsBecomeAnInitializerThatTheRewritesRead() {
        List<NodeProto> nodes = List.of(
                constant("four", Tensor.of(new long[] {4}, 1)),
                node("ConstantOfShape", List.of("four"), List.of("zeros")),   // float32 zeros
                node("Cast", List.of("zeros"), List.of("zeros64"), Models.integer("to", DataType.INT64.code())),
                constant("ends", Tensor.of(new long[] {0, 0, 1, 1}, 4)),
                node("Concat", List.of("zeros64", "ends"), List.of("pads"), Models.integer("axis", 0)),
                node("LeakyRelu", List.of("x"), List.of("l"), floating("alpha", 0.1f)),
                node("Pad", List.of("l", "pads"), List.of("p")),
                node("MaxPool", List.of("p"), List.of("y"), ints("kernel_shape", 2, 2), ints("strides", 1, 1)));
        GraphProto g = graph("fpad", nodes, List.of(tensorInfo("x", DataType.FLOAT, 2, 3, 5, 4)),
                List.of(tensorInfo("y", DataType.FLOAT, 2, 3, 5, 4)));
        ModelProto m = Models.model(g, 13);

        ModelProto folded = prefold(m);
        assertEquals(List.of("LeakyRelu", "Pad", "MaxPool"), opTypes(folded));
        assertArrayEquals(new long[] {0, 0, 0, 0, 0, 0, 1, 1}, TensorProtos.toTensor(initializer(folded, "pads")).toLongArray());
        assertEquals(List.of("LeakyRelu", "MaxPool"), opTypes(InferencePasses.apply(folded)));

        Tensor x = TestTensors.random(5, 2, 3, 5, 4);
        Tensor got = SingaBackend.prepare(m, CpuDevice.get()).run(List.of(x)).get(0);
        Tensor expected = OrtReference.run(m, List.of("x"), List.of(x)).get(0);
        assertNull(ValueComparator.difference(got, expected, new Tolerance(1e-6, 1e-6)));
    }

    /**
     * What stays with its node: a random draw, a value a body reads by name, a graph output, and a
     * value above the size bound (whose Constant input is small, so the chain itself is a candidate).
     */
    @Test
    void randomNamedOutputAndLargeValuesStay() {
        GraphProto thenBody = graph("then", List.of(node("Identity", List.of("named"), List.of("t"))), List.of(),
                List.of(tensorInfo("t", DataType.FLOAT, 1)));
        GraphProto elseBody = graph("else", List.of(node("Identity", List.of("x"), List.of("e"))), List.of(),
                List.of(tensorInfo("e", DataType.FLOAT, 1)));
        int large = ConstantPrefolding.MAX_ELEMENTS + 1;
        List<NodeProto> nodes = List.of(
                node("RandomUniform", List.of(), List.of("r"), ints("shape", 1)),
                node("Add", List.of("x", "r"), List.of("xr")),
                constant("one", Tensor.of(new float[] {1f}, 1)),
                node("Neg", List.of("one"), List.of("named")),
                constant("cond", Tensor.of(new boolean[] {true})),
                node("If", List.of("cond"), List.of("chosen"), Models.graph("then_branch", thenBody),
                        Models.graph("else_branch", elseBody)),
                node("Abs", List.of("one"), List.of("out2")),
                constant("bigShape", Tensor.of(new long[] {large}, 1)),
                node("ConstantOfShape", List.of("bigShape"), List.of("big")),
                node("ReduceSum", List.of("big"), List.of("sum"), Models.integer("keepdims", 0)),
                node("Add", List.of("xr", "chosen"), List.of("y0")),
                node("Mul", List.of("y0", "sum"), List.of("y")),
                node("Add", List.of("x", "big"), List.of("out3")));
        GraphProto g = graph("stay", nodes, List.of(tensorInfo("x", DataType.FLOAT, 1)),
                List.of(tensorInfo("y", DataType.FLOAT, 1), tensorInfo("out2", DataType.FLOAT, 1),
                        tensorInfo("out3", DataType.FLOAT, large)));
        ModelProto m = Models.model(g, 13);

        ModelProto folded = prefold(m);
        // of the chain from the large value only its small reduction becomes an initializer
        assertEquals(List.of("RandomUniform", "Add", "Constant", "Neg", "Constant", "If", "Abs", "Constant",
                "ConstantOfShape", "Add", "Mul", "Add"), opTypes(folded));
        assertEquals(0f, TensorProtos.toTensor(initializer(folded, "sum")).getFloat(0));
        assertEquals(List.of("sum"), folded.getGraph().getInitializerList().stream().map(TensorProto::getName).toList());
        // nothing to fold: the model comes back as it was
        ModelProto plain = Models.model(graph("none", List.of(node("Neg", List.of("x"), List.of("y"))),
                List.of(tensorInfo("x", DataType.FLOAT, 1)), List.of(tensorInfo("y", DataType.FLOAT, 1))), 13);
        assertSame(plain, prefold(plain));
        // the prepared model: y = (x + r + (-1)) * 0, out2 = |1|, out3 = x + zeros
        List<Tensor> out = SingaBackend.prepare(m, CpuDevice.get()).run(List.of(Tensor.of(new float[] {2f}, 1)));
        assertEquals(0f, out.get(0).getFloat(0));
        assertEquals(1f, out.get(1).getFloat(0));
        assertEquals(large, out.get(2).size());
        for (int i = 0; i < large; i++) {
            assertEquals(2f, out.get(2).getFloat(i));
        }
    }

    /**
     * An LSTM over constants whose sequence output is above the size bound and whose last state is
     * below it: the node stays for the large output, so the small one must not become an
     * initializer as well (it would be defined twice).
     */
    @Test
    void aNodeKeptForOneOutputKeepsDefiningTheOthers() {
        int steps = 200;
        int hidden = 32;
        List<NodeProto> nodes = List.of(
                node("LSTM", List.of("xs", "w", "r"), List.of("seq", "last"), Models.integer("hidden_size", hidden)),
                node("Add", List.of("seq", "a"), List.of("o1")),
                node("Add", List.of("last", "a"), List.of("o2")));
        GraphProto g = graph("lstm", nodes, List.of(tensorInfo("a", DataType.FLOAT, 1)),
                List.of(tensorInfo("o1", DataType.FLOAT, steps, 1, 1, hidden), tensorInfo("o2", DataType.FLOAT, 1, 1, hidden)),
                "xs", TestTensors.random(1, steps, 1, 4), "w", scaled(TestTensors.random(2, 1, 4 * hidden, 4), 0.3f),
                "r", scaled(TestTensors.random(3, 1, 4 * hidden, hidden), 0.3f));
        ModelProto m = Models.model(g, 13);
        ModelProto folded = prefold(m);
        assertEquals(List.of("LSTM", "Add", "Add"), opTypes(folded));
        assertEquals(List.of("xs", "w", "r"), folded.getGraph().getInitializerList().stream().map(TensorProto::getName).toList());

        Tensor a = Tensor.of(new float[] {0.5f}, 1);
        List<Tensor> got = SingaBackend.prepare(m, CpuDevice.get()).run(List.of(a));
        List<Tensor> expected = OrtReference.run(m, List.of("a"), List.of(a));
        for (int o = 0; o < 2; o++) {
            assertNull(ValueComparator.difference(got.get(o), expected.get(o), new Tolerance(1e-5, 1e-5)));
        }
    }

    private static Tensor scaled(Tensor t, float factor) {
        for (int i = 0; i < t.size(); i++) {
            t.setFloat(i, t.getFloat(i) * factor);
        }
        return t;
    }
}
