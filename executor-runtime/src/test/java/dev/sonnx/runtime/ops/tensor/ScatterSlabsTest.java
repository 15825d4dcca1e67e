package dev.sonnx.runtime.ops.tensor;

import static dev.sonnx.runtime.testing.TestTensors.random;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sonnx.runtime.backend.SingaBackend;
import dev.sonnx.runtime.backend.SingaRep;
import dev.sonnx.runtime.cpu.CpuDevice;
import dev.sonnx.runtime.onnx.proto.Onnx.AttributeProto;
import dev.sonnx.runtime.onnx.proto.Onnx.GraphProto;
import dev.sonnx.runtime.onnx.proto.Onnx.ModelProto;
import dev.sonnx.runtime.onnx.proto.Onnx.NodeProto;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.testing.Models;
import dev.sonnx.runtime.testing.OrtReference;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * ScatterElements whose indices hold one value per slab (Faster R-CNN's merge of pooled regions:
 * an index per region expanded over its channels and cells) moves whole slabs; the result is
 * ONNX Runtime's, bit for bit, with negative indices, with a later update of a slot replacing an
 * earlier one, along an inner axis, and where one element breaks the pattern (the general path).
 */
class ScatterSlabsTest {

    private static ModelProto scatter(int axis, int[] data, int[] indices, DataType indexType) {
        NodeProto n = Models.node("ScatterElements", "s", new String[] {"data", "indices", "updates"},
                new String[] {"y"}).toBuilder().addAttribute(AttributeProto.newBuilder().setName("axis")
                .setType(AttributeProto.AttributeType.INT).setI(axis)).build();
        GraphProto g = GraphProto.newBuilder().setName("scatter").addNode(n)
                .addInput(Models.tensorInfo("data", DataType.FLOAT, data))
                .addInput(Models.tensorInfo("indices", indexType, indices))
                .addInput(Models.tensorInfo("updates", DataType.FLOAT, indices))
                .addOutput(Models.tensorInfo("y", DataType.FLOAT, data)).build();
        return Models.model(g, 13);
    }

    /** Indices of {@code shape} holding {@code perSlab[s]} throughout slab s (the elements after {@code axis}). */
    private static Tensor slabIndices(DataType type, int[] shape, int axis, long[] perSlab) {
        Tensor t = Tensor.zeros(type, shape);
        int slab = t.size() / perSlab.length;
        for (int i = 0; i < t.size(); i++) {
            t.setLong(i, perSlab[i / slab]);
        }
        return t;
    }

    private static void assertMatchesOnnxRuntime(ModelProto m, Tensor data, Tensor indices, Tensor updates) {
        List<Tensor> feeds = List.of(data, indices, updates);
        Tensor expected = OrtReference.run(m, List.of("data", "indices", "updates"), feeds).get(0);
        SingaRep rep = SingaBackend.prepare(m, CpuDevice.get());
        Tensor actual = rep.run(feeds).get(0);
        for (int i = 0; i < expected.size(); i++) {
            assertEquals(Float.floatToIntBits(expected.getFloat(i)), Float.floatToIntBits(actual.getFloat(i)),
                    "element " + i);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"INT64", "INT32"})
    void regionsMergeAlongTheFirstAxis(String indexType) {
        DataType type = DataType.valueOf(indexType);
        int[] data = {6, 8, 3, 3};
        int[] upd = {5, 8, 3, 3};
        // region 1 goes to slot 4 and region 3 to slot -2 (4) after it: the later one wins
        long[] slots = {2, 4, 0, -2, 5};
        assertMatchesOnnxRuntime(scatter(0, data, upd, type), random(1, data), slabIndices(type, upd, 0, slots),
                random(2, upd));
    }

    @ParameterizedTest
    @ValueSource(ints = {1, -3})
    void slabsAlongAnInnerAxis(int axis) {
        int[] data = {2, 5, 4, 32};
        int[] upd = {2, 3, 4, 32};
        long[] slots = {4, 0, 2, 1, 1, -1};
        assertMatchesOnnxRuntime(scatter(axis, data, upd, DataType.INT64), random(3, data),
                slabIndices(DataType.INT64, upd, 1, slots), random(4, upd));
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 71, 143})
    void oneElementOffThePatternTakesTheGeneralPath(int odd) {
        int[] data = {4, 8, 3, 3};
        int[] upd = {2, 8, 3, 3};
        Tensor indices = slabIndices(DataType.INT64, upd, 0, new long[] {1, 3});
        indices.setLong(odd, 0);
        assertMatchesOnnxRuntime(scatter(0, data, upd, DataType.INT64), random(5, data), indices, random(6, upd));
    }
}
