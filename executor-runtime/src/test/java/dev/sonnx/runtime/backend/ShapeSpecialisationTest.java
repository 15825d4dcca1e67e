package dev.sonnx.runtime.backend;

import static dev.sonnx.runtime.testing.TestTensors.random;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.sonnx.runtime.conformance.Tolerance;
import dev.sonnx.runtime.conformance.ValueComparator;
import dev.sonnx.runtime.cpu.CpuDevice;
import dev.sonnx.runtime.onnx.TensorProtos;
import dev.sonnx.runtime.onnx.proto.Onnx.GraphProto;
import dev.sonnx.runtime.onnx.proto.Onnx.ModelProto;
import dev.sonnx.runtime.onnx.proto.Onnx.NodeProto;
import dev.sonnx.runtime.onnx.proto.Onnx.TensorProto;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.testing.Models;
import dev.sonnx.runtime.testing.OrtReference;
import dev.sonnx.runtime.testing.SharedData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Shape arithmetic kept across runs of the same input shapes ({@link ShapeSpecialisation}): every
 * run, the first of its shapes or a later one, gives what ONNX Runtime gives; values that depend on
 * the data (a NonZero's count) are computed on every run.
 */
class ShapeSpecialisationTest {

    private static NodeProto node(String op, String[] in, String out) {
        return Models.node(op, out, in, new String[] {out});
    }

    private static Tensor longs(long... v) {
        return Tensor.of(v, v.length);
    }

    /**
     * What an exporter writes around a [N, T, 4] input: X reshaped to [N, T * 4] by a shape built from
     * Shape, Gather, Unsqueeze and Concat; X plus each position's index from Range and Cast; and the
     * shape itself as an output (computed on every run: it leaves the run).
     */
    private static ModelProto exporterStyle() {
        GraphProto g = Models.graph("shapes", List.of(
                node("Shape", new String[] {"x"}, "s"),
                node("Gather", new String[] {"s", "zero"}, "n"),
                node("Gather", new String[] {"s", "one"}, "t"),
                node("Unsqueeze", new String[] {"n", "axes0"}, "n1"),
                node("Concat", new String[] {"n1", "minusOne"}, "flat").toBuilder()
                        .addAttribute(Models.integer("axis", 0)).build(),
                node("Reshape", new String[] {"x", "flat"}, "y"),
                node("Range", new String[] {"zero", "t", "one"}, "positions"),
                node("Cast", new String[] {"positions"}, "positionsF").toBuilder()
                        .addAttribute(Models.integer("to", DataType.FLOAT.code())).build(),
                node("Unsqueeze", new String[] {"positionsF", "axes1"}, "column"),
                node("Add", new String[] {"x", "column"}, "z")),
                List.of(Models.tensorInfo("x", DataType.FLOAT, -1, -1, 4)),
                List.of(Models.tensorInfo("y", DataType.FLOAT, -1, -1), Models.tensorInfo("z", DataType.FLOAT, -1, -1, 4),
                        Models.tensorInfo("s", DataType.INT64, 3)),
                "zero", Tensor.scalar(DataType.INT64, 0), "one", Tensor.scalar(DataType.INT64, 1),
                "axes0", longs(0), "axes1", longs(1), "minusOne", longs(-1));
        return Models.model(g, 13);
    }

    @Test
    void everyRunMatchesOnnxRuntimeWhateverItsShapes() {
        ModelProto model = exporterStyle();
        SingaRep rep = SingaBackend.prepare(model, CpuDevice.get());
        int[][] shapes = {{2, 3, 4}, {2, 3, 4}, {1, 5, 4}, {2, 3, 4}, {1, 5, 4}, {3, 1, 4}};
        for (int run = 0; run < shapes.length; run++) {
            Tensor x = random(run, shapes[run]);
            List<Tensor> got = rep.run(List.of(x));
            List<Tensor> expected = OrtReference.run(model, List.of("x"), List.of(x));
            for (int o = 0; o < expected.size(); o++) {
                assertNull(ValueComparator.difference(got.get(o), expected.get(o), new Tolerance(0, 0)),
                        "run " + run + ", output " + rep.outputNames().get(o));
            }
        }
        assertEquals(3, rep.specialisedShapes(), "three input shapes, each with its shape arithmetic kept");
    }

    /** Runs on several threads at once, first runs of a shape among them, each give ONNX Runtime's outputs. */
    @Test
    void concurrentRunsOfMixedShapesMatchOnnxRuntime() throws Exception {
        ModelProto model = exporterStyle();
        SingaRep rep = SingaBackend.prepare(model, CpuDevice.get());
        int[][] shapes = {{2, 3, 4}, {1, 5, 4}, {3, 1, 4}, {2, 6, 4}};
        Tensor[] feeds = new Tensor[shapes.length];
        List<List<Tensor>> expected = new java.util.ArrayList<>();
        for (int i = 0; i < shapes.length; i++) {
            feeds[i] = random(40 + i, shapes[i]);
            expected.add(OrtReference.run(model, List.of("x"), List.of(feeds[i])));
        }
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            List<java.util.concurrent.Future<String>> results = new java.util.ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int thread = t;
                results.add(pool.submit(() -> {
                    for (int run = 0; run < 40; run++) {
                        int which = (run + thread) % shapes.length;
                        List<Tensor> got = rep.run(List.of(feeds[which]));
                        for (int o = 0; o < got.size(); o++) {
                            String d = ValueComparator.difference(got.get(o), expected.get(which).get(o), new Tolerance(0, 0));
                            if (d != null) {
                                return "thread " + thread + ", run " + run + ", output " + o + ": " + d;
                            }
                        }
                    }
                    return null;
                }));
            }
            for (java.util.concurrent.Future<String> r : results) {
                assertNull(r.get(60, java.util.concurrent.TimeUnit.SECONDS));
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(shapes.length, rep.specialisedShapes());
    }

    /** A shape output handed to the caller is the caller's: changing it changes no later run. */
    @Test
    void outputsNeverShareTheKeptValues() {
        GraphProto g = Models.graph("shape out", List.of(
                node("Shape", new String[] {"x"}, "s"),
                node("Identity", new String[] {"s"}, "kept"),
                node("Reshape", new String[] {"x", "kept"}, "y"),
                node("Identity", new String[] {"kept"}, "shape")),
                List.of(Models.tensorInfo("x", DataType.FLOAT, -1, 2)),
                List.of(Models.tensorInfo("y", DataType.FLOAT, -1, 2), Models.tensorInfo("shape", DataType.INT64, 2)));
        SingaRep rep = SingaBackend.prepare(Models.model(g, 13), CpuDevice.get());
        for (int run = 0; run < 3; run++) {
            List<Tensor> out = rep.run(List.of(random(run, 3, 2)));
            assertEquals(3, out.get(1).getLong(0), "run " + run);
            out.get(1).setLong(0, 99);
        }
    }

    /**
     * The count of a NonZero depends on X's values: with the shape of X unchanged, its Shape is
     * recomputed on every run, while Shape(X)'s arithmetic is kept.
     */
    @Test
    void valuesThatDependOnTheDataAreRecomputed() {
        GraphProto g = Models.graph("data shapes", List.of(
                node("NonZero", new String[] {"x"}, "where"),
                node("Shape", new String[] {"where"}, "whereShape"),
                node("Gather", new String[] {"whereShape", "one"}, "count"),
                node("Shape", new String[] {"x"}, "xShape"),
                node("Gather", new String[] {"xShape", "zero"}, "length"),
                node("Add", new String[] {"count", "length"}, "y")),
                List.of(Models.tensorInfo("x", DataType.FLOAT, -1)),
                List.of(Models.tensorInfo("y", DataType.INT64)),
                "zero", Tensor.scalar(DataType.INT64, 0), "one", Tensor.scalar(DataType.INT64, 1));
        SingaRep rep = SingaBackend.prepare(Models.model(g, 13), CpuDevice.get());
        float[][] feeds = {{1, 0, 2, 0}, {1, 1, 1, 0}, {0, 0, 0, 0}, {5, 0, 0, 0}};
        for (float[] f : feeds) {
            long nonZero = 0;
            for (float v : f) {
                nonZero += v != 0 ? 1 : 0;
            }
            Tensor y = rep.run(List.of(Tensor.of(f, 4))).get(0);
            assertEquals(nonZero + 4, y.getLong(0), java.util.Arrays.toString(f));
        }
        assertEquals(1, rep.specialisedShapes());
    }

    /** A body reads enclosing values by name, outside its node's inputs: such plans run whole, and right. */
    @Test
    void plansWithControlFlowRunWhole() {
        GraphProto then = Models.graph("then", List.of(node("Cast", new String[] {"n"}, "asFloat").toBuilder()
                        .addAttribute(Models.integer("to", DataType.FLOAT.code())).build()),
                List.of(), List.of(Models.tensorInfo("asFloat", DataType.FLOAT)));
        GraphProto otherwise = Models.graph("else", List.of(node("Neg", new String[] {"one"}, "minusOne")),
                List.of(), List.of(Models.tensorInfo("minusOne", DataType.FLOAT)));
        GraphProto g = Models.graph("if", List.of(
                node("Shape", new String[] {"x"}, "s"),
                node("Gather", new String[] {"s", "zero"}, "n"),
                Models.node("If", "if", new String[] {"c"}, new String[] {"y"}).toBuilder()
                        .addAttribute(Models.graph("then_branch", then))
                        .addAttribute(Models.graph("else_branch", otherwise)).build()),
                List.of(Models.tensorInfo("x", DataType.FLOAT, -1, 2), Models.tensorInfo("c", DataType.BOOL)),
                List.of(Models.tensorInfo("y", DataType.FLOAT)),
                "zero", Tensor.scalar(DataType.INT64, 0), "one", Tensor.scalar(1f));
        SingaRep rep = SingaBackend.prepare(Models.model(g, 13), CpuDevice.get());
        Tensor yes = Tensor.zeros(DataType.BOOL);
        yes.setDouble(0, 1);
        for (int n : new int[] {3, 3, 5, 3}) {
            assertEquals(n, rep.run(List.of(random(n, n, 2), yes)).get(0).getFloat(0), 0f, "N = " + n);
        }
        assertEquals(0, rep.specialisedShapes());
    }

    /** GPT-2's export (Shape, Gather, Unsqueeze, Concat, Range, Slice of its mask): its expected outputs on every run. */
    @Test
    void gpt2GivesItsExpectedOutputsOnEveryRun() throws IOException {
        Path dir = SharedData.zoo("gpt2-mini");
        SingaRep rep = SingaBackend.prepare(dir.resolve("model.onnx"), CpuDevice.get());
        Tensor input = TensorProtos.toTensor(TensorProto.parseFrom(Files.readAllBytes(
                dir.resolve("test_data_set_0/input_0.pb"))));
        Tensor expected = TensorProtos.toTensor(TensorProto.parseFrom(Files.readAllBytes(
                dir.resolve("test_data_set_0/output_0.pb"))));
        for (int run = 0; run < 3; run++) {
            Tensor got = rep.run(List.of(input)).get(0);
            assertNull(ValueComparator.difference(got, expected, Tolerance.ZOO), "run " + run);
        }
        assertEquals(1, rep.specialisedShapes());
    }
}
