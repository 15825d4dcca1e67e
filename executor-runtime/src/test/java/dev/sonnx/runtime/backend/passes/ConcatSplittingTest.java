package dev.sonnx.runtime.backend.passes;

import static dev.sonnx.runtime.backend.passes.PassTesting.assertMatchesOnnxRuntime;
import static dev.sonnx.runtime.backend.passes.PassTesting.node;
import static dev.sonnx.runtime.backend.passes.PassTesting.withInt;
import static dev.sonnx.runtime.backend.passes.PassTesting.withInts;
import static dev.sonnx.runtime.testing.Models.opTypes;
import static dev.sonnx.runtime.testing.TestTensors.random;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sonnx.runtime.onnx.TensorProtos;
import dev.sonnx.runtime.onnx.proto.Onnx.GraphProto;
import dev.sonnx.runtime.onnx.proto.Onnx.ModelProto;
import dev.sonnx.runtime.onnx.proto.Onnx.NodeProto;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.testing.Models;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * SqueezeNet's Fire modules and their kin: a channel Concat read by one convolution (directly or
 * through a MaxPool) becomes one convolution per part, chained through the residual input; the
 * outputs match ONNX Runtime's run of the original graph.
 */
class ConcatSplittingTest {

    /**
     * x [2, 3, 9, 9] -> convolutions of 5 and 7 channels (and, with {@code threeParts}, one of 4) ->
     * Concat along {@code axis} -> [MaxPool 3 x 3 stride 2, padded, when {@code pool}] -> a 3 x 3
     * convolution to {@code outChannels} with a bias, [+ a residual r], Relu -> y.
     */
    private static ModelProto fire(long axis, boolean pool, boolean threeParts, boolean residual, int outChannels) {
        int joined = threeParts ? 16 : 12;
        int side = pool ? 5 : 9;
        GraphProto.Builder g = GraphProto.newBuilder().setName("fire")
                .addNode(node("Conv", "e1", "x", "w1", "b1"))
                .addNode(node("Relu", "r1", "e1"))
                .addNode(withInts(node("Conv", "e3", "x", "w3", "b3"), "pads", 1, 1, 1, 1))
                .addNode(node("Relu", "r3", "e3"));
        List<String> parts = threeParts ? List.of("r1", "r3", "e5") : List.of("r1", "r3");
        if (threeParts) {
            g.addNode(withInts(withInts(node("Conv", "e5", "x", "w5"), "pads", 2, 2, 2, 2), "dilations", 2, 2));
        }
        g.addNode(withInt(Models.node("Concat", "cat_node", parts.toArray(String[]::new), new String[] {"cat"}),
                "axis", axis));
        String convIn = "cat";
        if (pool) {
            g.addNode(withInts(withInts(withInts(node("MaxPool", "p", "cat"), "kernel_shape", 3, 3), "strides", 2, 2),
                    "pads", 1, 1, 1, 1));
            convIn = "p";
        }
        g.addNode(withInts(node("Conv", "s", convIn, "ws", "bs"), "pads", 1, 1, 1, 1));
        String last = "s";
        if (residual) {
            g.addNode(node("Add", "sum", "s", "z"));
            last = "sum";
        }
        g.addNode(node("Relu", "y", last))
                .addInitializer(TensorProtos.fromTensor(random(1, 5, 3, 1, 1), "w1"))
                .addInitializer(TensorProtos.fromTensor(random(2, 5), "b1"))
                .addInitializer(TensorProtos.fromTensor(random(3, 7, 3, 3, 3), "w3"))
                .addInitializer(TensorProtos.fromTensor(random(4, 7), "b3"))
                .addInitializer(TensorProtos.fromTensor(random(5, 4, 3, 3, 3), "w5"))
                .addInitializer(TensorProtos.fromTensor(random(6, outChannels, joined, 3, 3), "ws"))
                .addInitializer(TensorProtos.fromTensor(random(7, outChannels), "bs"))
                .addInput(Models.tensorInfo("x", DataType.FLOAT, 2, 3, 9, 9))
                .addOutput(Models.tensorInfo("y", DataType.FLOAT, 2, outChannels, side, side))
                .addValueInfo(Models.tensorInfo("cat", DataType.FLOAT, 2, joined, 9, 9));
        if (residual) {
            // a constant residual broadcast over the batch, as the Add it replaces would
            g.addInitializer(TensorProtos.fromTensor(random(8, 1, outChannels, side, side), "z"));
        }
        return Models.model(g.build(), 13);
    }

    private static long count(List<String> ops, String op) {
        return ops.stream().filter(op::equals).count();
    }

    @Test
    void aConcatReadByAConvolutionBecomesOneConvolutionPerPart() {
        ModelProto m = fire(1, false, false, false, 6);
        ModelProto planned = InferencePasses.apply(m);
        List<String> ops = opTypes(planned);
        assertFalse(ops.contains("Concat"), ops.toString());
        assertEquals(4, count(ops, "FusedConv"), ops.toString());
        // the original 6 x 12 weights are gone; a 6 x 5 and a 6 x 7 slice took their place
        List<String> inits = planned.getGraph().getInitializerList().stream().map(t -> t.getName()).toList();
        assertFalse(inits.contains("ws"), inits.toString());
        assertTrue(planned.getGraph().getInitializerList().stream()
                .anyMatch(t -> t.getDimsList().equals(List.of(6L, 5L, 3L, 3L))), inits.toString());
        assertMatchesOnnxRuntime(m, random(20, 2, 3, 9, 9));
    }

    @Test
    void aMaxPoolBetweenRunsOnEachPart() {
        ModelProto m = fire(1, true, false, false, 6);
        List<String> ops = opTypes(InferencePasses.apply(m));
        assertFalse(ops.contains("Concat"), ops.toString());
        assertEquals(2, count(ops, "NhwcMaxPool"), ops.toString());
        assertMatchesOnnxRuntime(m, random(21, 2, 3, 9, 9));
    }

    /** Three parts, a negative axis, a part without activation and a residual that the last part carries. */
    @Test
    void threePartsChainTheResidualThroughEveryPart() {
        ModelProto m = fire(-3, true, true, true, 6);
        ModelProto planned = InferencePasses.apply(m);
        List<String> ops = opTypes(planned);
        assertFalse(ops.contains("Concat"), ops.toString());
        assertEquals(6, count(ops, "FusedConv"), ops.toString());
        assertEquals(3, count(ops, "NhwcMaxPool"), ops.toString());
        // only the first part's convolution applies the Relu
        long relus = planned.getGraph().getNodeList().stream().filter(n -> n.getName().startsWith("s_node/part"))
                .filter(n -> "Relu".equals(PassTesting.attrString(n, "activation"))).count();
        assertEquals(1, relus);
        assertMatchesOnnxRuntime(m, random(22, 2, 3, 9, 9));
    }

    /** Where the convolution widens the image (as SqueezeNet's classifier), the join costs less than the split: it stays. */
    @Test
    void aConvolutionToMoreChannelsThanTheConcatKeepsIt() {
        ModelProto m = fire(1, false, false, false, 12);
        assertTrue(opTypes(InferencePasses.apply(m)).contains("Concat"));
        assertMatchesOnnxRuntime(m, random(23, 2, 3, 9, 9));
    }

    /** A joined image that something else reads too (here: it is a graph output) must be built. */
    @Test
    void aConcatWithAnotherReaderStays() {
        ModelProto m = fire(1, false, false, false, 6);
        ModelProto both = m.toBuilder().setGraph(m.getGraph().toBuilder()
                .addOutput(Models.tensorInfo("cat", DataType.FLOAT, 2, 12, 9, 9))).build();
        assertTrue(opTypes(InferencePasses.apply(both)).contains("Concat"));
        assertMatchesOnnxRuntime(both, random(24, 2, 3, 9, 9));
        // and a grouped convolution is not linear across the parts' boundary in the same way
        GraphProto.Builder g = m.getGraph().toBuilder();
        for (int i = 0; i < g.getNodeCount(); i++) {
            NodeProto n = g.getNode(i);
            if (n.getOutput(0).equals("s")) {
                g.setNode(i, withInt(n, "group", 2));
                g.removeInitializer(g.getInitializerList().stream().map(t -> t.getName()).toList().indexOf("ws"));
                g.addInitializer(TensorProtos.fromTensor(random(9, 6, 6, 3, 3), "ws"));
            }
        }
        ModelProto grouped = m.toBuilder().setGraph(g).build();
        assertTrue(opTypes(InferencePasses.apply(grouped)).contains("Concat"));
        assertMatchesOnnxRuntime(grouped, random(25, 2, 3, 9, 9));
    }
}
