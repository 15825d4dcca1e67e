package dev.sonnx.runtime.backend;

import static dev.sonnx.runtime.testing.TestTensors.random;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.sonnx.runtime.conformance.Tolerance;
import dev.sonnx.runtime.conformance.ValueComparator;
import dev.sonnx.runtime.cpu.CpuDevice;
import dev.sonnx.runtime.onnx.TensorProtos;
import dev.sonnx.runtime.onnx.proto.Onnx.AttributeProto;
import dev.sonnx.runtime.onnx.proto.Onnx.GraphProto;
import dev.sonnx.runtime.onnx.proto.Onnx.ModelProto;
import dev.sonnx.runtime.onnx.proto.Onnx.NodeProto;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.testing.Models;
import dev.sonnx.runtime.testing.OrtReference;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A fused convolution may add its residual in place, over the residual's memory, only where the run
 * reads that value for the last time. Residual blocks whose residual is still read afterwards, is a
 * graph output or is the caller's feed must see it unchanged; all outputs are checked against ONNX
 * Runtime, over two runs of one prepared model (the second on recycled memory).
 */
class InPlaceResidualTest {
    private static final int C = 4;

    private static NodeProto conv(String name, String x, String w, String b, String out) {
        String[] in = b == null ? new String[] {x, w} : new String[] {x, w, b};
        return Models.node("Conv", name, in, new String[] {out}).toBuilder()
                .addAttribute(AttributeProto.newBuilder().setName("pads").setType(AttributeProto.AttributeType.INTS)
                        .addInts(1).addInts(1).addInts(1).addInts(1)).build();
    }

    /**
     * x -> Relu -> r; y = Relu(Conv(Conv(r)) + residual): the residual block of a ResNet, whose
     * residual is {@code residual} ("r" or the input "x"), then {@code tail} nodes and outputs.
     */
    private static ModelProto block(String residual, List<NodeProto> tail, String... outputs) {
        GraphProto.Builder g = GraphProto.newBuilder().setName("block")
                .addInitializer(TensorProtos.fromTensor(random(1, C, C, 3, 3), "w1"))
                .addInitializer(TensorProtos.fromTensor(random(2, C, C, 3, 3), "w2"))
                .addInitializer(TensorProtos.fromTensor(random(3, C), "b2"))
                .addInput(Models.tensorInfo("x", DataType.FLOAT, 2, C, 6, 6));
        List<NodeProto> nodes = new ArrayList<>(List.of(
                Models.node("Relu", "relu_in", new String[] {"x"}, new String[] {"r"}),
                conv("conv1", "r", "w1", null, "a"),
                conv("conv2", "a", "w2", "b2", "t"),
                Models.node("Add", "add", new String[] {"t", residual}, new String[] {"s"}),
                Models.node("Relu", "relu_out", new String[] {"s"}, new String[] {"y"})));
        nodes.addAll(tail);
        nodes.forEach(g::addNode);
        for (String o : outputs) {
            g.addOutput(Models.tensorInfo(o, DataType.FLOAT, 2, C, 6, 6));
        }
        return Models.model(g.build(), 13);
    }

    private static void assertMatchesOrt(ModelProto m) {
        Tensor x = random(9, 2, C, 6, 6);
        float[] feed = x.toFloatArray();
        List<Tensor> expected = OrtReference.run(m, List.of("x"), List.of(x));
        SingaRep rep = SingaBackend.prepare(m, CpuDevice.get());
        for (int run = 0; run < 2; run++) {
            List<Tensor> actual = rep.run(List.of(x));
            assertEquals(expected.size(), actual.size());
            for (int i = 0; i < expected.size(); i++) {
                assertNull(ValueComparator.difference(actual.get(i), expected.get(i), new Tolerance(1e-5, 1e-5)),
                        "run " + run + ", output " + m.getGraph().getOutput(i).getName());
            }
            assertArrayEquals(feed, x.toFloatArray(), "the feed changed in run " + run);
        }
    }

    @Test
    void aResidualReadForTheLastTimeGivesTheSameOutputs() {
        assertMatchesOrt(block("r", List.of(), "y"));
    }

    @Test
    void aResidualThatIsAlsoAGraphOutputStaysIntact() {
        assertMatchesOrt(block("r", List.of(), "y", "r"));
    }

    @Test
    void aResidualReadAfterTheBlockStaysIntact() {
        assertMatchesOrt(block("r", List.of(Models.node("Mul", "square", new String[] {"r", "r"}, new String[] {"q"})),
                "y", "q"));
    }

    @Test
    void theCallersFeedAsResidualStaysIntact() {
        assertMatchesOrt(block("x", List.of(), "y"));
    }
}
