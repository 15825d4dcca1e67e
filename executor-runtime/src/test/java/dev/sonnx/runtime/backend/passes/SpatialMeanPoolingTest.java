package dev.sonnx.runtime.backend.passes;

import static dev.sonnx.runtime.backend.passes.PassTesting.assertMatchesOnnxRuntime;
import static dev.sonnx.runtime.backend.passes.PassTesting.node;
import static dev.sonnx.runtime.backend.passes.PassTesting.withInt;
import static dev.sonnx.runtime.backend.passes.PassTesting.withInts;
import static dev.sonnx.runtime.testing.Models.opTypes;
import static dev.sonnx.runtime.testing.TestTensors.random;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sonnx.runtime.onnx.TensorProtos;
import dev.sonnx.runtime.onnx.proto.Onnx.GraphProto;
import dev.sonnx.runtime.onnx.proto.Onnx.ModelProto;
import dev.sonnx.runtime.onnx.proto.Onnx.NodeProto;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.testing.Models;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * MnasNet's and ShuffleNet v2's head as PyTorch exports {@code x.mean([2, 3])}: a convolution, Relu,
 * ReduceMean over the spatial axes and a Gemm. The mean becomes the channels-last region's global
 * pool (and a Flatten where the axes are dropped), and the outputs match ONNX Runtime's on the
 * original graph; means over other axes stay ReduceMean.
 */
class SpatialMeanPoolingTest {

    /** Conv [2, 3, 9, 7] -> [2, 8, 9, 7], Relu, then {@code mean} (reading "r", writing "m") and, without keepdims, a Gemm. */
    private static ModelProto head(NodeProto mean, boolean gemm, int opset) {
        GraphProto.Builder g = GraphProto.newBuilder().setName("head")
                .addNode(withInts(node("Conv", "c", "x", "w", "b"), "pads", 1, 1, 1, 1))
                .addNode(node("Relu", "r", "c"))
                .addNode(mean)
                .addInitializer(TensorProtos.fromTensor(random(1, 8, 3, 3, 3), "w"))
                .addInitializer(TensorProtos.fromTensor(random(2, 8), "b"))
                .addInput(Models.tensorInfoAnyShape("x", DataType.FLOAT))
                .addOutput(Models.tensorInfoAnyShape("y", DataType.FLOAT));
        if (gemm) {
            g.addNode(withInt(node("Gemm", "y", "m", "fc", "fcb"), "transB", 1))
                    .addInitializer(TensorProtos.fromTensor(random(3, 5, 8), "fc"))
                    .addInitializer(TensorProtos.fromTensor(random(4, 5), "fcb"));
        } else {
            g.addNode(node("Identity", "y", "m"));
        }
        return Models.model(g.build(), opset);
    }

    private static NodeProto mean(long keepdims, long... axes) {
        return withInt(withInts(node("ReduceMean", "m", "r"), "axes", axes), "keepdims", keepdims);
    }

    @Test
    void spatialMeansBecomeTheRegionsGlobalPool() {
        ModelProto dropped = head(mean(0, 2, 3), true, 13);
        assertEquals(List.of("ToChannelsLast", "FusedConv", "NhwcGlobalAveragePool", "ToChannelsFirst", "Flatten",
                "Gemm"), opTypes(InferencePasses.apply(dropped)));
        assertMatchesOnnxRuntime(dropped, random(10, 2, 3, 9, 7));
        ModelProto kept = head(mean(1, -1, -2), false, 13);
        assertEquals(List.of("ToChannelsLast", "FusedConv", "NhwcGlobalAveragePool", "ToChannelsFirst", "Identity"),
                opTypes(InferencePasses.apply(kept)));
        assertMatchesOnnxRuntime(kept, random(11, 2, 3, 9, 7));
        // opset 18: the axes are an input
        NodeProto axesInput = withInt(node("ReduceMean", "m", "r", "axes"), "keepdims", 0);
        ModelProto opset18 = head(axesInput, true, 18).toBuilder().setGraph(head(axesInput, true, 18).getGraph()
                .toBuilder().addInitializer(TensorProtos.fromTensor(Tensor.of(new long[] {2, 3}, 2), "axes"))).build();
        assertEquals(List.of("ToChannelsLast", "FusedConv", "NhwcGlobalAveragePool", "ToChannelsFirst", "Flatten",
                "Gemm"), opTypes(InferencePasses.apply(opset18)));
        assertMatchesOnnxRuntime(opset18, random(12, 2, 3, 9, 7));
    }

    @Test
    void otherMeansStayReduceMean() {
        for (long[] axes : new long[][] {{1}, {3}, {1, 2}, {1, 3}, {1, 2, 3}}) {
            ModelProto m = head(mean(0, axes), false, 13);
            assertEquals(1, opTypes(InferencePasses.apply(m)).stream().filter(o -> o.equals("ReduceMean")).count(),
                    java.util.Arrays.toString(axes));
            assertMatchesOnnxRuntime(m, random(13, 2, 3, 9, 7));
        }
    }
}
