package dev.sonnx.runtime.backend;

import static dev.sonnx.runtime.testing.Models.graph;
import static dev.sonnx.runtime.testing.Models.integer;
import static dev.sonnx.runtime.testing.Models.ints;
import static dev.sonnx.runtime.testing.Models.model;
import static dev.sonnx.runtime.testing.Models.node;
import static dev.sonnx.runtime.testing.Models.tensor;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sonnx.runtime.SonnxException;
import dev.sonnx.runtime.cpu.CpuDevice;
import dev.sonnx.runtime.onnx.ModelIO;
import dev.sonnx.runtime.onnx.proto.Onnx.GraphProto;
import dev.sonnx.runtime.onnx.proto.Onnx.ModelProto;
import dev.sonnx.runtime.onnx.proto.Onnx.NodeProto;
import dev.sonnx.runtime.onnx.proto.Onnx.ValueInfoProto;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.testing.Models;
import dev.sonnx.runtime.testing.SharedData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class TypeInferenceTest {

    /** What prepare runs before the type pass, then the pass itself. */
    private static void check(ModelProto m) {
        Opsets opsets = ModelValidator.check(m, "typed.onnx");
        TypeInference.check(FunctionInliner.inline(m, "typed.onnx"), opsets, "typed.onnx");
    }

    private static SonnxException refused(ModelProto m, String... mustName) {
        SonnxException e = assertThrows(SonnxException.class, () -> check(m));
        for (String s : mustName) {
            assertTrue(e.getMessage().contains(s), "message lacks " + s + ": " + e.getMessage());
        }
        return e;
    }

    private static NodeProto named(NodeProto n, String name) {
        return n.toBuilder().setName(name).build();
    }

    private static ModelProto oneNode(NodeProto n, List<ValueInfoProto> inputs, ValueInfoProto output,
                                      Object... initializers) {
        return model(graph("g", List.of(n), inputs, List.of(output), initializers), 13);
    }

    // ---------------------------------------------------------------- never refuses a valid model

    /**
     * Every model of the ONNX node suite and the zoo passes the type check, whether or not sonnx
     * implements its operators: the pass must never refuse a valid model.
     */
    @Test
    void everyConformanceAndZooModelPassesTheTypeCheck() throws IOException {
        Path shared = SharedData.root();
        List<Path> models = new ArrayList<>();
        for (String suite : List.of("onnx-conformance/node", "onnx-zoo")) {
            try (Stream<Path> cases = Files.list(shared.resolve(suite))) {
                cases.map(c -> c.resolve("model.onnx")).filter(Files::isRegularFile).forEach(models::add);
            }
        }
        assertTrue(models.size() >= 900, "found only " + models.size() + " models under " + shared);
        List<String> refusedModels = new ArrayList<>();
        for (Path f : models) {
            ModelProto m = ModelIO.load(f);
            Opsets opsets;
            try {
                opsets = ModelValidator.check(m, f.toString());
            } catch (SonnxException e) {
                continue; // refused before the type pass, for reasons of its own
            }
            try {
                TypeInference.check(FunctionInliner.inline(m, f.toString()), opsets, f.toString());
            } catch (SonnxException e) {
                refusedModels.add(e.getMessage());
            }
        }
        assertEquals(List.of(), refusedModels);
    }

    @Test
    void unknownOperatorsAndMissingShapesAreNeverRefused() {
        // a custom-domain op makes a value of unknown type, which then meets anything
        NodeProto custom = NodeProto.newBuilder().setOpType("Mystery").setDomain("com.microsoft").addInput("x")
                .addOutput("m").build();
        GraphProto g = graph("g", List.of(custom, node("Add", List.of("m", "i"), List.of("y"))),
                List.of(tensor("x", DataType.FLOAT, 2), tensor("i", DataType.INT64, 2)),
                List.of(Models.value("y", Models.anyShape(DataType.INT64))));
        assertDoesNotThrow(() -> check(model(g, 13).toBuilder().addOpsetImport(
                dev.sonnx.runtime.onnx.proto.Onnx.OperatorSetIdProto.newBuilder().setDomain("com.microsoft")
                        .setVersion(1)).build()));
        // inputs without types or shapes
        ValueInfoProto untyped = ValueInfoProto.newBuilder().setName("a").build();
        GraphProto loose = graph("g", List.of(node("MatMul", List.of("a", "b"), List.of("y"))),
                List.of(untyped, Models.value("b", Models.anyShape(DataType.FLOAT))),
                List.of(tensor("y", DataType.FLOAT, 2, 3)));
        assertDoesNotThrow(() -> check(model(loose, 13)));
    }

    // ---------------------------------------------------------------- type constraints

    @Test
    void inputsThatBreakATypeVariableAreRefusedNamingNodeAndTensors() {
        ModelProto add = oneNode(named(node("Add", List.of("a", "b"), List.of("y")), "adder"),
                List.of(tensor("a", DataType.FLOAT, 2), tensor("b", DataType.INT64, 2)),
                tensor("y", DataType.FLOAT, 2));
        refused(add, "typed.onnx", "'adder'", "(Add)", "input 'a' (float[2])", "input 'b' (int64[2])",
                "same element type");

        // through propagation: Shape makes int64, so Shape(x) + x contradicts
        GraphProto shape = graph("g", List.of(node("Shape", List.of("x"), List.of("s")),
                named(node("Mul", List.of("x", "s"), List.of("y")), "scale")),
                List.of(tensor("x", DataType.FLOAT, 3)), List.of(tensor("y", DataType.FLOAT, 3)));
        refused(model(shape, 13), "'scale'", "input 's' (int64[1])");

        // Cast decides its output type; comparisons make bool
        GraphProto cast = graph("g", List.of(named(node("Cast", List.of("x"), List.of("c"),
                integer("to", DataType.INT32.code())), "cast"), node("Sub", List.of("c", "x"), List.of("y"))),
                List.of(tensor("x", DataType.FLOAT, 3)), List.of(tensor("y", DataType.FLOAT, 3)));
        refused(model(cast, 13), "input 'c' (int32[3])", "input 'x' (float[3])");
        GraphProto compare = graph("g", List.of(node("Less", List.of("x", "x"), List.of("b")),
                named(node("Where", List.of("x", "b", "b"), List.of("y")), "pick")),
                List.of(tensor("x", DataType.FLOAT, 3)), List.of(tensor("y", DataType.BOOL, 3)));
        refused(model(compare, 13), "'pick'", "input 'x' (float[3])", "the condition must be bool");

        ModelProto reshape = oneNode(named(node("Reshape", List.of("x", "shape"), List.of("y")), "r"),
                List.of(tensor("x", DataType.FLOAT, 6)), tensor("y", DataType.FLOAT, 2, 3),
                "shape", Tensor.of(new float[] {2, 3}, 2));
        refused(reshape, "'r'", "input 'shape' (float[2])", "must be int64");

        ModelProto gather = oneNode(node("Gather", List.of("x", "i"), List.of("y")),
                List.of(tensor("x", DataType.FLOAT, 6), tensor("i", DataType.FLOAT, 2)),
                tensor("y", DataType.FLOAT, 2));
        refused(gather, "input 'i' (float[2])", "int32 or int64");
    }

    @Test
    void ranksAnOperatorCannotTakeAreRefused() {
        ModelProto gemm = oneNode(named(node("Gemm", List.of("a", "b"), List.of("y")), "fc"),
                List.of(tensor("a", DataType.FLOAT, 2, 3, 4), tensor("b", DataType.FLOAT, 4, 5)),
                tensor("y", DataType.FLOAT, 2, 5));
        refused(gemm, "'fc'", "(Gemm)", "input 'a' (float[2, 3, 4])", "rank 2");

        ModelProto gemmK = oneNode(node("Gemm", List.of("a", "b"), List.of("y"), integer("transB", 1)),
                List.of(tensor("a", DataType.FLOAT, 2, 3), tensor("b", DataType.FLOAT, 5, 4)),
                tensor("y", DataType.FLOAT, 2, 5));
        refused(gemmK, "K is 3 in A and 4 in B");

        ModelProto matmul = oneNode(named(node("MatMul", List.of("a", "b"), List.of("y")), "mm"),
                List.of(tensor("a", DataType.FLOAT, 2, 3), tensor("b", DataType.FLOAT, 4, 5)),
                tensor("y", DataType.FLOAT, 2, 5));
        refused(matmul, "'mm'", "inner dimensions 3 and 4");

        ModelProto conv = oneNode(named(node("Conv", List.of("x", "w"), List.of("y")), "conv1"),
                List.of(tensor("x", DataType.FLOAT, 1, 3, 8, 8), tensor("w", DataType.FLOAT, 4, 2, 3, 3)),
                tensor("y", DataType.FLOAT, 1, 4, 6, 6));
        refused(conv, "'conv1'", "3 channels", "2 per group x 1 groups");
        ModelProto conv2d = oneNode(node("Conv", List.of("x", "w"), List.of("y")),
                List.of(tensor("x", DataType.FLOAT, 3, 8), tensor("w", DataType.FLOAT, 4, 3, 3)),
                tensor("y", DataType.FLOAT, 1, 4, 6));
        refused(conv2d, "input 'x' (float[3, 8])", "rank 3 or more");

        ModelProto concat = oneNode(node("Concat", List.of("a", "b"), List.of("y"), integer("axis", 0)),
                List.of(tensor("a", DataType.FLOAT, 2, 3), tensor("b", DataType.FLOAT, 3)),
                tensor("y", DataType.FLOAT, 5));
        refused(concat, "input 'b' (float[3])", "same rank");

        ModelProto broadcast = oneNode(node("Add", List.of("a", "b"), List.of("y")),
                List.of(tensor("a", DataType.FLOAT, 2, 3), tensor("b", DataType.FLOAT, 4)),
                tensor("y", DataType.FLOAT, 2, 3));
        refused(broadcast, "cannot be broadcast", "dimension 3 against 4");

        ModelProto transpose = oneNode(node("Transpose", List.of("a"), List.of("y"), ints("perm", 1, 0, 2)),
                List.of(tensor("a", DataType.FLOAT, 2, 3)), tensor("y", DataType.FLOAT, 3, 2));
        refused(transpose, "perm [1, 0, 2] has 3 entries for rank 2");
    }

    @Test
    void declaredTypesThatContradictTheInferredOnesAreRefused() {
        // graph output declared int64 for a float sum
        ModelProto output = oneNode(node("Add", List.of("a", "a"), List.of("y")),
                List.of(tensor("a", DataType.FLOAT, 2)), tensor("y", DataType.INT64, 2));
        refused(output, "graph output 'y' is float[2] but the graph declares it int64[2]", "element type differs");

        // value_info declaring the wrong rank for a MatMul result
        GraphProto g = graph("g", List.of(named(node("MatMul", List.of("a", "b"), List.of("m")), "mm"),
                node("Relu", List.of("m"), List.of("y"))),
                List.of(tensor("a", DataType.FLOAT, 2, 3), tensor("b", DataType.FLOAT, 3, 4)),
                List.of(Models.value("y", Models.anyShape(DataType.FLOAT))));
        ModelProto valueInfo = model(g.toBuilder().addValueInfo(tensor("m", DataType.FLOAT, 8)).build(), 13);
        refused(valueInfo, "'mm'", "output 'm'", "float[2, 4]", "value_info declares float[8]", "rank differs");

        // an initializer whose declared input type says otherwise
        GraphProto init = graph("g", List.of(node("Add", List.of("x", "w"), List.of("y"))),
                List.of(tensor("x", DataType.FLOAT, 2), tensor("w", DataType.FLOAT, 2)),
                List.of(tensor("y", DataType.FLOAT, 2)), "w", Tensor.of(new long[] {1, 2}, 2));
        refused(model(init, 13), "graph input 'w'", "declared float[2]", "initializer is int64[2]");

        // declared types complete unknown ones: a Loop output declared int64 meets a float
        GraphProto body = graph("body", List.of(node("Identity", List.of("c"), List.of("c_out")),
                node("Identity", List.of("v"), List.of("v_out"))),
                List.of(tensor("i", DataType.INT64), tensor("c", DataType.BOOL), tensor("v", DataType.INT64)),
                List.of(tensor("c_out", DataType.BOOL), tensor("v_out", DataType.INT64)));
        GraphProto loop = graph("g", List.of(node("Loop", List.of("", "cond", "v0"), List.of("v"),
                Models.graph("body", body)), named(node("Add", List.of("v", "x"), List.of("y")), "after")),
                List.of(tensor("cond", DataType.BOOL), tensor("v0", DataType.INT64), tensor("x", DataType.FLOAT)),
                List.of(tensor("y", DataType.FLOAT)));
        refused(model(loop.toBuilder().addValueInfo(tensor("v", DataType.INT64)).build(), 13), "'after'",
                "input 'v' (int64[])");
    }

    @Test
    void bodiesAreCheckedWithTheEnclosingValuesInScope() {
        // the then branch adds an outer int64 to an outer float
        GraphProto then = graph("then", List.of(named(node("Add", List.of("x", "n"), List.of("t")), "inner")),
                List.of(), List.of(tensor("t", DataType.FLOAT, 2)));
        GraphProto orElse = graph("else", List.of(node("Neg", List.of("x"), List.of("e"))), List.of(),
                List.of(tensor("e", DataType.FLOAT, 2)));
        GraphProto g = graph("g", List.of(node("If", List.of("c"), List.of("y"), Models.graph("then_branch", then),
                Models.graph("else_branch", orElse))),
                List.of(tensor("c", DataType.BOOL), tensor("x", DataType.FLOAT, 2), tensor("n", DataType.INT64, 2)),
                List.of(tensor("y", DataType.FLOAT, 2)));
        SonnxException e = refused(model(g, 13), "typed.onnx/then", "'inner'", "input 'n' (int64[2])");
        // and through prepare, before any operator is built
        e = assertThrows(SonnxException.class, () -> SingaBackend.prepare(model(g, 13), CpuDevice.get()));
        assertTrue(e.getMessage().contains("'inner'"), e.getMessage());
    }

    @Test
    void aBrokenGraphIsLeftToThePlanCompilerToReport() {
        // the type pass skips what it cannot order; prepare then names the cycle
        GraphProto cycle = graph("g", List.of(node("Add", List.of("x", "q"), List.of("p")),
                node("Add", List.of("x", "p"), List.of("q"))),
                List.of(tensor("x", DataType.FLOAT, 1)), List.of(tensor("q", DataType.FLOAT, 1)));
        assertDoesNotThrow(() -> check(model(cycle, 13)));
        SonnxException e = assertThrows(SonnxException.class,
                () -> SingaBackend.prepare(model(cycle, 13), CpuDevice.get()));
        assertTrue(e.getMessage().contains("cycle"), e.getMessage());
        // an attribute given twice is named by node, not thrown as a bare IllegalArgumentException
        NodeProto twice = node("LeakyRelu", List.of("x"), List.of("y"), Models.floating("alpha", 0.1f),
                Models.floating("alpha", 0.2f)).toBuilder().setName("leaky").build();
        e = assertThrows(SonnxException.class, () -> SingaBackend.prepare(model(graph("g", List.of(twice),
                List.of(tensor("x", DataType.FLOAT, 1)), List.of(tensor("y", DataType.FLOAT, 1))), 13),
                CpuDevice.get()));
        assertTrue(e.getMessage().contains("'leaky'") && e.getMessage().contains("twice"), e.getMessage());
    }
}
