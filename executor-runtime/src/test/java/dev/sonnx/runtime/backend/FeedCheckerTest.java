package dev.sonnx.runtime.backend;

import static dev.sonnx.runtime.testing.Models.graph;
import static dev.sonnx.runtime.testing.Models.model;
import static dev.sonnx.runtime.testing.Models.node;
import static dev.sonnx.runtime.testing.Models.tensor;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sonnx.runtime.SonnxException;
import dev.sonnx.runtime.cpu.CpuDevice;
import dev.sonnx.runtime.onnx.proto.Onnx.GraphProto;
import dev.sonnx.runtime.onnx.proto.Onnx.TypeProto;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.MapValue;
import dev.sonnx.runtime.tensor.OptionalValue;
import dev.sonnx.runtime.tensor.SequenceValue;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import dev.sonnx.runtime.testing.Models;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What callers feed is checked against the declared inputs; errors say which input, what was expected and given. */
class FeedCheckerTest {

    private static SingaRep prepare(GraphProto g, int opset) {
        return SingaBackend.prepare(model(g, opset), CpuDevice.get(), SingaBackend.PrepareOptions.DEFAULTS
                .named("feeds.onnx"));
    }

    private static void refused(Runnable run, String... mustName) {
        SonnxException e = assertThrows(SonnxException.class, run::run);
        for (String s : mustName) {
            assertTrue(e.getMessage().contains(s), "message lacks " + s + ": " + e.getMessage());
        }
    }

    /** y = x + w, x float[2, N], w an initializer that a caller may override by name. */
    private static SingaRep addModel() {
        GraphProto g = graph("g", List.of(node("Add", List.of("x", "w"), List.of("y"))),
                List.of(Models.tensorInfo("x", DataType.FLOAT, 2, -1),
                        tensor("w", DataType.FLOAT, 3)),
                List.of(Models.value("y", Models.anyShape(DataType.FLOAT))), "w", Tensor.of(new float[] {1, 2, 3}, 3));
        return prepare(g, 13);
    }

    private static Tensor floats(int... shape) {
        return Tensor.zeros(DataType.FLOAT, shape);
    }

    @Test
    void tensorFeedsAreCheckedForTypeRankAndFixedDims() {
        SingaRep rep = addModel();
        assertEquals(List.of("x"), rep.inputNames(), "w has a default");
        // a dynamic dim takes any size; the fixed one must match
        assertArrayEquals(new int[] {2, 3}, rep.run(List.of(floats(2, 3))).get(0).shape());
        refused(() -> rep.run(List.of(Tensor.zeros(DataType.DOUBLE, 2, 3))), "feeds.onnx", "input 'x'",
                "expected float[2, N]", "given double[2, 3]", "element type differs");
        refused(() -> rep.run(List.of(floats(6))), "input 'x'", "given float[6]", "rank 1 instead of 2");
        refused(() -> rep.run(List.of(floats(4, 3))), "input 'x'", "dimension 0 is 4 instead of 2");
        refused(() -> rep.run(List.of(floats(2, 3), floats(3))), "takes 1 inputs (x), given 2");
        refused(() -> rep.run(Arrays.asList((Tensor) null)), "input 'x' is missing", "expected float[2, N]");
        refused(() -> rep.runValues(List.of(new SequenceValue(DataType.FLOAT, List.of())), -1, false, null, null),
                "input 'x'", "given seq<float>(0)", "not a tensor");
    }

    @Test
    void namedFeedsAreCheckedTooIncludingOverriddenInitializers() {
        SingaRep rep = addModel();
        Map<String, Value> ok = Map.of("x", floats(2, 3), "w", Tensor.of(new float[] {5, 5, 5}, 3));
        assertEquals(5f, rep.run(ok).get("y").asTensor().getDouble(0));
        refused(() -> rep.run(Map.of("x", floats(2, 3), "z", floats(1))), "feeds.onnx", "no input named 'z'",
                "(inputs: x)");
        refused(() -> rep.run(Map.of("w", floats(3))), "input 'x' is missing", "expected float[2, N]");
        refused(() -> rep.run(Map.of("x", floats(2, 3), "w", Tensor.of(new long[] {1, 2, 3}, 3))), "input 'w'",
                "expected float[3]", "given int64[3]");
        Map<String, Value> withNull = new HashMap<>();
        withNull.put("x", null);
        refused(() -> rep.run(withNull), "input 'x' is missing");
    }

    @Test
    void sequenceFeedsAreCheckedElementByElement() {
        GraphProto g = graph("g", List.of(node("SequenceLength", List.of("s"), List.of("n"))),
                List.of(Models.value("s", Models.sequenceType(DataType.FLOAT))), List.of(tensor("n", DataType.INT64)));
        SingaRep rep = prepare(g, 13);
        SequenceValue good = new SequenceValue(DataType.FLOAT, List.of(floats(2), floats(3, 1)));
        assertEquals(2L, rep.runValues(List.of(good), -1, false, null, null).get(0).asTensor().getLong(0));
        refused(() -> rep.runValues(List.of(floats(2)), -1, false, null, null), "input 's'", "expected seq<float[...]>",
                "not a sequence");
        SequenceValue mixed = new SequenceValue(DataType.FLOAT, List.of(floats(2), Tensor.of(new long[] {1}, 1)));
        refused(() -> rep.runValues(List.of(mixed), -1, false, null, null), "input 's'",
                "element 1 is int64[1]: element type differs");

        // declared element shapes are checked too
        TypeProto ranked = TypeProto.newBuilder().setSequenceType(TypeProto.Sequence.newBuilder()
                .setElemType(Models.tensorType(DataType.FLOAT, 2))).build();
        SingaRep rankedRep = prepare(graph("g", List.of(node("SequenceLength", List.of("s"), List.of("n"))),
                List.of(Models.value("s", ranked)), List.of(tensor("n", DataType.INT64))), 13);
        refused(() -> rankedRep.runValues(List.of(good), -1, false, null, null),
                "element 1 is float[3, 1]: rank 2 instead of 1");
    }

    @Test
    void optionalFeedsMayBeEmptyOrHoldTheDeclaredType() {
        TypeProto optTensor = Models.optionalType(Models.anyShape(DataType.FLOAT));
        GraphProto g = graph("g", List.of(node("OptionalHasElement", List.of("o"), List.of("has"))),
                List.of(Models.value("o", optTensor)), List.of(tensor("has", DataType.BOOL)));
        SingaRep rep = prepare(g, 18);
        assertTrue(rep.runValues(List.of(OptionalValue.of(floats(2))), -1, false, null, null).get(0).asTensor()
                .getBool(0));
        assertTrue(!rep.runValues(List.of(OptionalValue.empty("float")), -1, false, null, null).get(0).asTensor()
                .getBool(0));
        refused(() -> rep.runValues(List.of(OptionalValue.of(Tensor.of(new long[] {1}, 1))), -1, false, null, null),
                "input 'o'", "expected optional<float[...]>", "element type differs");
        refused(() -> rep.runValues(List.of(new SequenceValue(DataType.FLOAT, List.of())), -1, false, null, null),
                "input 'o'", "not a tensor");
    }

    @Test
    void mapFeedsAreCheckedForKeyAndValueTypes() {
        TypeProto mapType = TypeProto.newBuilder().setMapType(TypeProto.Map.newBuilder()
                .setKeyType(DataType.INT64.code()).setValueType(Models.anyShape(DataType.FLOAT))).build();
        // the map passes straight through to the output: no operator needed
        SingaRep rep = prepare(graph("g", List.of(), List.of(Models.value("m", mapType)),
                List.of(Models.value("m", mapType))), 13);
        Map<Object, Value> entries = new LinkedHashMap<>();
        entries.put(1L, floats(1));
        MapValue good = new MapValue(DataType.INT64, entries);
        assertEquals(good, rep.runValues(List.of(good), -1, false, null, null).get(0));
        refused(() -> rep.runValues(List.of(floats(1)), -1, false, null, null), "input 'm'",
                "expected map<int64, float[...]>", "not a map");
        Map<Object, Value> stringKeys = new LinkedHashMap<>();
        stringKeys.put("a", floats(1));
        refused(() -> rep.runValues(List.of(new MapValue(DataType.STRING, stringKeys)), -1, false, null, null),
                "input 'm'", "key type differs");
        Map<Object, Value> badValue = new LinkedHashMap<>();
        badValue.put(7L, Tensor.of(new long[] {1}, 1));
        refused(() -> rep.runValues(List.of(new MapValue(DataType.INT64, badValue)), -1, false, null, null),
                "the value of key 7 is int64[1]: element type differs");
    }

    @Test
    void manyWrongFeedsAllGiveNamedErrors() {
        // every combination of type and rank around float[2, N]: only the right ones run
        SingaRep rep = addModel();
        List<String> accepted = new ArrayList<>();
        for (DataType t : new DataType[] {DataType.FLOAT, DataType.DOUBLE, DataType.INT64, DataType.BOOL,
                DataType.FLOAT16, DataType.STRING}) {
            for (int[] shape : new int[][] {{}, {2}, {2, 3}, {2, 0}, {1, 3}, {2, 3, 1}, {0}}) {
                try {
                    rep.run(List.of(Tensor.zeros(t, shape)));
                    accepted.add(t.onnxName() + Arrays.toString(shape));
                } catch (SonnxException e) {
                    assertTrue(e.getMessage().contains("input 'x'") || e.getMessage().contains("node"), e.getMessage());
                }
            }
        }
        // float[2, 0] passes the feed check and is refused by the Add, which names itself
        assertEquals(List.of("float[2, 3]"), accepted);
    }
}
