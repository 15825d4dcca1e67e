package dev.sonnx.runtime.backend.passes;

import static dev.sonnx.runtime.backend.passes.PassTesting.assertMatchesOnnxRuntime;
import static dev.sonnx.runtime.backend.passes.PassTesting.node;
import static dev.sonnx.runtime.backend.passes.PassTesting.positive;
import static dev.sonnx.runtime.backend.passes.PassTesting.withInt;
import static dev.sonnx.runtime.backend.passes.PassTesting.withInts;
import static dev.sonnx.runtime.testing.TestTensors.random;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sonnx.runtime.onnx.TensorProtos;
import dev.sonnx.runtime.onnx.proto.Onnx.GraphProto;
import dev.sonnx.runtime.onnx.proto.Onnx.ModelProto;
import dev.sonnx.runtime.onnx.proto.Onnx.NodeProto;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.testing.Models;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * DenseNet's blocks as PyTorch exports them: each layer reads the Concat of every feature before it,
 * normalizes it and adds 4 channels. After the rewrite each Concat joins the previous Concat's
 * result and the newest feature; the outputs match ONNX Runtime's run of the original graph.
 */
class ConcatPrefixReuseTest {

    private static NodeProto concat(String out, long axis, String... parts) {
        return withInt(Models.node("Concat", out + "_node", parts, new String[] {out}), "axis", axis);
    }

    /** x [2, 3, 6, 6] -> f0 (6 channels) -> three dense layers of 4 channels -> the block's Concat -> y. */
    private static ModelProto block(long lastAxis, boolean reordered) {
        GraphProto.Builder g = GraphProto.newBuilder().setName("dense")
                .addNode(withInts(node("Conv", "f0", "x", "w0"), "pads", 1, 1, 1, 1));
        List<String> features = new ArrayList<>(List.of("f0"));
        for (int i = 1; i <= 3; i++) {
            String joined = "cat" + i;
            g.addNode(concat(joined, 1, features.toArray(String[]::new)));
            g.addNode(node("BatchNormalization", "bn" + i, joined, "s" + i, "b" + i, "m" + i, "v" + i));
            g.addNode(node("Relu", "r" + i, "bn" + i));
            g.addNode(withInts(node("Conv", "f" + i, "r" + i, "w" + i), "pads", 1, 1, 1, 1));
            int in = 6 + 4 * (i - 1);
            g.addInitializer(TensorProtos.fromTensor(random(10 * i, 4, in, 3, 3), "w" + i));
            g.addInitializer(TensorProtos.fromTensor(positive(10 * i + 1, in), "s" + i));
            g.addInitializer(TensorProtos.fromTensor(random(10 * i + 2, in), "b" + i));
            g.addInitializer(TensorProtos.fromTensor(random(10 * i + 3, in), "m" + i));
            g.addInitializer(TensorProtos.fromTensor(positive(10 * i + 4, in), "v" + i));
            features.add("f" + i);
        }
        if (reordered) {
            Collections.swap(features, 0, 1);
        }
        g.addNode(concat("y", lastAxis, features.toArray(String[]::new)))
                .addInitializer(TensorProtos.fromTensor(random(1, 6, 3, 3, 3), "w0"))
                .addInput(Models.tensorInfo("x", DataType.FLOAT, 2, 3, 6, 6))
                .addOutput(Models.tensorInfo("y", DataType.FLOAT, 2, 18, 6, 6));
        return Models.model(g.build(), 13);
    }

    /** The inputs of each Concat of {@code m}, in order. */
    private static List<List<String>> concatInputs(ModelProto m) {
        return m.getGraph().getNodeList().stream().filter(n -> n.getOpType().equals("Concat"))
                .map(n -> (List<String>) n.getInputList()).toList();
    }

    @Test
    void eachConcatJoinsThePreviousOneAndTheNewestFeature() {
        ModelProto m = block(1, false);
        List<List<String>> inputs = concatInputs(ConcatPrefixReuse.apply(m));
        assertEquals(List.of(List.of("f0", "f1"), List.of("cat2", "f2"), List.of("cat3", "f3")),
                inputs.subList(1, 4));
        assertMatchesOnnxRuntime(m, random(50, 2, 3, 6, 6));
    }

    /** Another axis, or the same parts in another order, is another join: it is left whole. */
    @Test
    void otherAxesAndOrdersAreLeftAlone() {
        assertEquals(List.of("f0", "f1", "f2", "f3"), concatInputs(ConcatPrefixReuse.apply(block(-3, false))).get(3));
        assertEquals(List.of("f1", "f0", "f2", "f3"), concatInputs(ConcatPrefixReuse.apply(block(1, true))).get(3));
        assertMatchesOnnxRuntime(block(1, true), random(51, 2, 3, 6, 6));
    }
}
