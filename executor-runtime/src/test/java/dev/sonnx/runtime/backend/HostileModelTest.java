package dev.sonnx.runtime.backend;

import static dev.sonnx.runtime.testing.Models.graph;
import static dev.sonnx.runtime.testing.Models.ints;
import static dev.sonnx.runtime.testing.Models.model;
import static dev.sonnx.runtime.testing.Models.node;
import static dev.sonnx.runtime.testing.Models.tensor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sonnx.runtime.SonnxException;
import dev.sonnx.runtime.cpu.CpuDevice;
import dev.sonnx.runtime.onnx.ModelIO;
import dev.sonnx.runtime.onnx.OnnxFormatException;
import dev.sonnx.runtime.onnx.TensorProtos;
import dev.sonnx.runtime.onnx.proto.Onnx.FunctionProto;
import dev.sonnx.runtime.onnx.proto.Onnx.GraphProto;
import dev.sonnx.runtime.onnx.proto.Onnx.ModelProto;
import dev.sonnx.runtime.onnx.proto.Onnx.NodeProto;
import dev.sonnx.runtime.onnx.proto.Onnx.OperatorSetIdProto;
import dev.sonnx.runtime.onnx.proto.Onnx.SparseTensorProto;
import dev.sonnx.runtime.onnx.proto.Onnx.TensorProto;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.MemoryLimit;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.testing.Models;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Models that are broken or hostile in their structure are refused at prepare with a
 * {@link SonnxException} that names the model and the node, value or tensor at fault.
 */
class HostileModelTest {

    private static SonnxException refused(ModelProto m, String... mustName) {
        return refused(() -> SingaBackend.prepare(m, CpuDevice.get(),
                SingaBackend.PrepareOptions.DEFAULTS.named("hostile.onnx")), mustName);
    }

    private static SonnxException refused(Executable action, String... mustName) {
        SonnxException e = assertThrows(SonnxException.class, action);
        for (String s : mustName) {
            assertTrue(e.getMessage().contains(s), "message lacks " + s + ": " + e.getMessage());
        }
        return e;
    }

    /** y = x + x on float[2]. */
    private static GraphProto addGraph() {
        return graph("g", List.of(node("Add", List.of("x", "x"), List.of("y"))),
                List.of(tensor("x", DataType.FLOAT, 2)),
                List.of(tensor("y", DataType.FLOAT, 2)));
    }

    private static NodeProto named(NodeProto n, String name) {
        return n.toBuilder().setName(name).build();
    }

    // ---------------------------------------------------------------- IR version and opsets

    @Test
    void irVersionMissingZeroNegativeOrFromTheFutureIsRefused() {
        ModelProto m = model(addGraph(), 13);
        refused(m.toBuilder().clearIrVersion().build(), "hostile.onnx", "IR version");
        refused(m.toBuilder().setIrVersion(0).build(), "hostile.onnx", "IR version");
        refused(m.toBuilder().setIrVersion(-3).build(), "hostile.onnx", "IR version");
        refused(m.toBuilder().setIrVersion(999).build(), "hostile.onnx", "IR version 999");
    }

    @Test
    void opsetImportsOutOfRangeUnknownOrMissingAreRefused() {
        ModelProto m = model(addGraph(), 13);
        for (long v : new long[] {0, -5, 99, Long.MAX_VALUE}) {
            refused(m.toBuilder().setOpsetImport(0, OperatorSetIdProto.newBuilder().setVersion(v)).build(),
                    "hostile.onnx", "opset " + v);
        }
        refused(m.toBuilder().addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("org.evil").setVersion(1))
                .build(), "hostile.onnx", "'org.evil'");
        refused(m.toBuilder().clearOpsetImport().build(), "hostile.onnx", "no operator set");
        // a node of a domain the model does not import
        GraphProto g = addGraph().toBuilder().setNode(0, named(addGraph().getNode(0), "adder").toBuilder()
                .setDomain("ai.onnx.ml")).build();
        UnsupportedOperatorException e = assertThrows(UnsupportedOperatorException.class,
                () -> SingaBackend.prepare(model(g, 13), CpuDevice.get()));
        assertTrue(e.getMessage().contains("'adder'") && e.getMessage().contains("not imported"), e.getMessage());
    }

    /**
     * An attribute that only sonnx's rewrites set (a max pool's zero padding), on a node of the
     * model or of a body, is refused naming the node: it would change what the operator computes.
     */
    @Test
    void internalAttributesAreRefusedNamingTheNode() {
        NodeProto pool = named(node("MaxPool", List.of("x"), List.of("y"), Models.ints("kernel_shape", 2, 2),
                Models.integer("dev.sonnx.zero_padding", 1)), "pool");
        GraphProto g = graph("g", List.of(pool), List.of(tensor("x", DataType.FLOAT, 1, 1, 4, 4)),
                List.of(tensor("y", DataType.FLOAT, 1, 1, 3, 3)));
        refused(model(g, 13), "hostile.onnx", "'pool'", "dev.sonnx.zero_padding");
        NodeProto ifNode = named(node("If", List.of("c"), List.of("y"), Models.graph("then_branch", g),
                Models.graph("else_branch", g)), "branch");
        GraphProto outer = graph("outer", List.of(ifNode), List.of(tensor("c", DataType.BOOL), tensor("x", DataType.FLOAT, 1, 1, 4, 4)),
                List.of(tensor("y", DataType.FLOAT, 1, 1, 3, 3)));
        refused(model(outer, 13), "hostile.onnx", "'pool'", "dev.sonnx.zero_padding");
    }

    // ---------------------------------------------------------------- edges

    @Test
    void cyclesAreRefusedNamingANodeOfTheCycle() {
        GraphProto self = graph("g", List.of(named(node("Add", List.of("x", "s"), List.of("s")), "selfish")),
                List.of(tensor("x", DataType.FLOAT, 2)), List.of(tensor("s", DataType.FLOAT, 2)));
        refused(model(self, 13), "'selfish'", "cycle", "'s'");
        GraphProto three = graph("g", List.of(
                named(node("Add", List.of("x", "c"), List.of("a")), "n1"),
                named(node("Neg", List.of("a"), List.of("b")), "n2"),
                named(node("Neg", List.of("b"), List.of("c")), "n3")),
                List.of(tensor("x", DataType.FLOAT, 2)), List.of(tensor("c", DataType.FLOAT, 2)));
        refused(model(three, 13), "cycle", "node 'n");
    }

    @Test
    void aDanglingEdgeIsReportedRatherThanTheNodesWaitingBehindIt() {
        // n2 comes first in the file and waits on n1, which reads a value nothing defines
        GraphProto g = graph("g", List.of(
                named(node("Neg", List.of("a"), List.of("y")), "n2"),
                named(node("Add", List.of("x", "ghost"), List.of("a")), "n1")),
                List.of(tensor("x", DataType.FLOAT, 2)), List.of(tensor("y", DataType.FLOAT, 2)));
        SonnxException e = refused(model(g, 13), "'n1'", "'ghost'", "no node, input or initializer");
        assertTrue(!e.getMessage().contains("cycle"), e.getMessage());

        GraphProto noProducer = graph("g", List.of(node("Neg", List.of("x"), List.of("y"))),
                List.of(tensor("x", DataType.FLOAT, 2)), List.of(tensor("nowhere", DataType.FLOAT, 2)));
        refused(model(noProducer, 13), "graph output 'nowhere'");
    }

    @Test
    void aMissingInitializerIsNamedWithTheNodeThatReadsIt() {
        // the model declares w as an input with a default (IR 3 style) but ships no initializer: the feed
        // becomes mandatory and its absence is named at run
        GraphProto g = graph("g", List.of(named(node("Add", List.of("x", "w"), List.of("y")), "adder")),
                List.of(tensor("x", DataType.FLOAT, 2)), List.of(tensor("y", DataType.FLOAT, 2)));
        refused(model(g, 13), "'adder'", "'w'");
        GraphProto declared = g.toBuilder().addInput(tensor("w", DataType.FLOAT, 2)).build();
        SingaRep rep = SingaBackend.prepare(model(declared, 13), CpuDevice.get());
        refused(() -> rep.run(java.util.Map.of("x", Tensor.of(new float[] {1, 2}, 2))), "input 'w' is missing",
                "float[2]");
    }

    @Test
    void duplicateNamesAreRefusedNamingTheValue() {
        Tensor w = Tensor.of(new float[] {1, 2}, 2);
        GraphProto base = graph("g", List.of(node("Add", List.of("x", "w"), List.of("y"))),
                List.of(tensor("x", DataType.FLOAT, 2)), List.of(tensor("y", DataType.FLOAT, 2)), "w", w);
        refused(model(base.toBuilder().addInitializer(TensorProtos.fromTensor(w, "w")).build(), 13),
                "initializer 'w'", "twice");
        SparseTensorProto sparse = SparseTensorProto.newBuilder().addDims(2)
                .setValues(TensorProtos.fromTensor(Tensor.of(new float[] {5}, 1), "w"))
                .setIndices(TensorProtos.fromTensor(Tensor.of(new long[] {1}, 1), null)).build();
        refused(model(base.toBuilder().addSparseInitializer(sparse).build(), 13), "initializer 'w'", "twice");
        refused(model(base.toBuilder().addInput(tensor("x", DataType.FLOAT, 2)).build(), 13),
                "graph input 'x'", "twice");
        // a node output that is also a graph input, an initializer, or another node's output
        for (String clash : List.of("x", "w")) {
            GraphProto g = base.toBuilder().addNode(node("Neg", List.of("y"), List.of(clash))).build();
            refused(model(g, 13), "'" + clash + "'", "defined twice");
        }
        GraphProto twoNodes = base.toBuilder().addNode(named(node("Neg", List.of("x"), List.of("y")), "again"))
                .build();
        refused(model(twoNodes, 13), "'y'", "defined twice");
        refused(model(base.toBuilder().setInitializer(0, TensorProtos.fromTensor(w, "")).build(), 13),
                "initializer has no name");
    }

    // ---------------------------------------------------------------- sizes and memory

    @Test
    void initializersWithBadOrHugeDimsAreRefusedNamingThem() {
        TensorProto.Builder claim = TensorProto.newBuilder().setName("huge").setDataType(DataType.FLOAT.code());
        GraphProto base = graph("g", List.of(node("Add", List.of("x", "huge"), List.of("y"))),
                List.of(Models.value("x", Models.anyShape(DataType.FLOAT))),
                List.of(Models.value("y", Models.anyShape(DataType.FLOAT))));
        long[][] cases = {{1L << 40}, {-2}, {1L << 20, 1L << 20}, {Long.MAX_VALUE, 2}, {Integer.MAX_VALUE}};
        for (long[] dims : cases) {
            TensorProto.Builder t = claim.clone().clearDims();
            for (long d : dims) {
                t.addDims(d);
            }
            refused(model(base.toBuilder().addInitializer(t).build(), 13), "hostile.onnx", "initializer 'huge'");
        }
    }

    @Test
    void anAllocationBeyondTheMemoryLimitNamesTheNodeAndOutput() {
        // RandomUniform is never folded, so the allocation happens at run
        GraphProto g = graph("g", List.of(named(node("RandomUniform", List.of(), List.of("r"),
                ints("shape", 1000, 1000)), "noise")), List.of(), List.of(tensor("r", DataType.FLOAT, 1000, 1000)));
        SingaRep rep = SingaBackend.prepare(model(g, 13), CpuDevice.get());
        long saved = MemoryLimit.get();
        MemoryLimit.set(1 << 20);
        try {
            refused(() -> rep.run(List.of()), "'noise'", "output 'r'", "4000000 bytes", "limit");
        } finally {
            MemoryLimit.set(saved);
        }
        // 10^12 elements: more than any tensor can hold, whatever the limit
        GraphProto big = graph("g", List.of(named(node("RandomUniform", List.of(), List.of("r"),
                ints("shape", 1_000_000, 1_000_000)), "noise")), List.of(),
                List.of(Models.value("r", Models.anyShape(DataType.FLOAT))));
        refused(model(big, 13), "hostile.onnx", "'noise'", "2^31-1");
    }

    @Test
    void constantOfShapeOfATrillionElementsIsRefusedAtPrepareNamingTheNode() {
        // the shape is constant, so prepare folds the node and meets the size there
        GraphProto g = graph("g", List.of(named(node("ConstantOfShape", List.of("shape"), List.of("c")), "fill"),
                node("Add", List.of("x", "c"), List.of("y"))),
                List.of(tensor("x", DataType.FLOAT, 1)), List.of(Models.value("y", Models.anyShape(DataType.FLOAT))),
                "shape", Tensor.of(new long[] {1_000_000, 1_000_000}, 2));
        refused(model(g, 13), "hostile.onnx", "'fill'", "(ConstantOfShape)", "2^31-1");

        // within int range but beyond the configured limit, fed at run: the limit's error names node and output
        GraphProto fed = graph("g", List.of(named(node("ConstantOfShape", List.of("shape"), List.of("c")), "fill")),
                List.of(tensor("shape", DataType.INT64, 2)),
                List.of(Models.value("c", Models.anyShape(DataType.FLOAT))));
        SingaRep rep = SingaBackend.prepare(model(fed, 13), CpuDevice.get());
        long saved = MemoryLimit.get();
        MemoryLimit.set(1 << 20);
        try {
            refused(() -> rep.run(List.of(Tensor.of(new long[] {10_000, 10_000}, 2))), "'fill'", "output 'c'",
                    "400000000 bytes", "limit");
            refused(() -> rep.run(List.of(Tensor.of(new long[] {-1, 4}, 2))), "'fill'");
        } finally {
            MemoryLimit.set(saved);
        }
        assertEquals(12, rep.run(List.of(Tensor.of(new long[] {3, 4}, 2))).get(0).size());
    }

    // ---------------------------------------------------------------- depth and size of the graph

    /**
     * Ifs nested {@code depth} deep in their then branches around y = x + x (each else branch is y = x);
     * each If reads cond from the main graph.
     */
    private static ModelProto nestedIfs(int depth) {
        GraphProto body = graph("b" + depth, List.of(node("Add", List.of("x", "x"), List.of("y" + depth))),
                List.of(), List.of(tensor("y" + depth, DataType.FLOAT, 2)));
        for (int d = depth - 1; d >= 0; d--) {
            String out = d == 0 ? "y" : "y" + d;
            GraphProto orElse = graph("e" + d, List.of(node("Neg", List.of("x"), List.of("e" + d))), List.of(),
                    List.of(tensor("e" + d, DataType.FLOAT, 2)));
            NodeProto ifNode = named(node("If", List.of("cond"), List.of(out),
                    Models.graph("then_branch", body), Models.graph("else_branch", orElse)), "if" + d);
            if (d == 0) {
                return model(graph("main", List.of(ifNode), List.of(tensor("cond", DataType.BOOL),
                        tensor("x", DataType.FLOAT, 2)), List.of(tensor("y", DataType.FLOAT, 2))), 13);
            }
            body = graph("b" + d, List.of(ifNode), List.of(), List.of(tensor(out, DataType.FLOAT, 2)));
        }
        throw new AssertionError("depth must be positive");
    }

    @Test
    void graphsNested1000DeepAreRefusedAtLoadAndAtPrepare() {
        ModelProto deep = nestedIfs(1000);
        refused(deep, "hostile.onnx", "nests graphs more than " + ModelValidator.MAX_GRAPH_DEPTH);
        // from bytes the protobuf nesting limit stops it first
        OnnxFormatException e = assertThrows(OnnxFormatException.class,
                () -> ModelIO.parse(deep.toByteArray(), "deep.onnx", null));
        assertTrue(e.getMessage().contains("deep.onnx"), e.getMessage());
        // a sane depth still runs
        SingaRep rep = SingaBackend.prepare(nestedIfs(20), CpuDevice.get());
        Tensor y = rep.run(List.of(Tensor.of(new boolean[] {true}), Tensor.of(new float[] {1, 2}, 2))).get(0);
        assertEquals(4f, y.getDouble(1));
    }

    /** Loops nested {@code depth} deep; each body runs once (M = 1 from the main graph) and passes cond on. */
    private static ModelProto nestedLoops(int depth) {
        List<dev.sonnx.runtime.onnx.proto.Onnx.ValueInfoProto> bodyInputs = List.of(tensor("i", DataType.INT64),
                tensor("c", DataType.BOOL));
        GraphProto body = graph("l" + depth, List.of(node("And", List.of("c", "c"), List.of("c_out"))), bodyInputs,
                List.of(tensor("c_out", DataType.BOOL)));
        for (int d = depth - 1; d >= 1; d--) {
            NodeProto loop = named(node("Loop", List.of("m", "c"), List.of(), Models.graph("body", body)), "loop" + d);
            body = graph("l" + d, List.of(loop, node("And", List.of("c", "c"), List.of("c_out"))), bodyInputs,
                    List.of(tensor("c_out", DataType.BOOL)));
        }
        NodeProto top = named(node("Loop", List.of("m", "cond"), List.of(), Models.graph("body", body)), "loop0");
        return model(graph("main", List.of(top), List.of(tensor("m", DataType.INT64), tensor("cond", DataType.BOOL)),
                List.of()), 13);
    }

    @Test
    void loopsNested1000DeepAreRefusedAndShallowOnesRun() {
        refused(nestedLoops(1000), "hostile.onnx", "nests graphs more than " + ModelValidator.MAX_GRAPH_DEPTH);
        SingaRep rep = SingaBackend.prepare(nestedLoops(30), CpuDevice.get());
        assertEquals(List.of(), rep.run(List.of(Tensor.scalar(1L), Tensor.of(new boolean[] {true}))));
    }

    @Test
    void recursiveAndExplodingFunctionsAreRefused() {
        OperatorSetIdProto local = OperatorSetIdProto.newBuilder().setDomain("local").setVersion(1).build();
        FunctionProto loop = FunctionProto.newBuilder().setName("F").setDomain("local").addInput("a").addOutput("b")
                .addNode(NodeProto.newBuilder().setOpType("F").setDomain("local").addInput("a").addOutput("b"))
                .addOpsetImport(OperatorSetIdProto.newBuilder().setVersion(13)).build();
        GraphProto g = graph("g", List.of(NodeProto.newBuilder().setOpType("F").setDomain("local").addInput("x")
                .addOutput("y").build()), List.of(tensor("x", DataType.FLOAT, 2)),
                List.of(tensor("y", DataType.FLOAT, 2)));
        refused(model(g, 13).toBuilder().addOpsetImport(local).addFunctions(loop).build(), "hostile.onnx",
                "'F' calls itself");

        // F0 calls F1 twice, F1 calls F2 twice... 30 levels: 2^30 nodes if expanded
        ModelProto.Builder m = model(g.toBuilder().setNode(0, g.getNode(0).toBuilder().setOpType("F0")).build(), 13)
                .toBuilder().addOpsetImport(local);
        for (int i = 0; i < 30; i++) {
            String callee = i == 29 ? "Neg" : "F" + (i + 1);
            String domain = i == 29 ? "" : "local";
            m.addFunctions(FunctionProto.newBuilder().setName("F" + i).setDomain("local").addInput("a").addOutput("b")
                    .addNode(NodeProto.newBuilder().setOpType(callee).setDomain(domain).addInput("a").addOutput("t"))
                    .addNode(NodeProto.newBuilder().setOpType(callee).setDomain(domain).addInput("t").addOutput("b"))
                    .addOpsetImport(OperatorSetIdProto.newBuilder().setVersion(13)));
        }
        ModelProto exploding = m.build();
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> refused(exploding, "hostile.onnx", "more than "
                + FunctionInliner.MAX_INLINED_NODES + " nodes"));
    }

    @Test
    void aLongChainInReverseFileOrderPreparesInLinearTime() {
        int n = 50_000;
        List<NodeProto> nodes = new ArrayList<>(n);
        for (int i = n - 1; i >= 0; i--) {
            nodes.add(node("Neg", List.of(i == 0 ? "x" : "v" + (i - 1)), List.of(i == n - 1 ? "y" : "v" + i)));
        }
        GraphProto g = graph("chain", nodes, List.of(tensor("x", DataType.FLOAT, 1)),
                List.of(tensor("y", DataType.FLOAT, 1)));
        SingaRep rep = assertTimeoutPreemptively(Duration.ofSeconds(60),
                () -> SingaBackend.prepare(model(g, 13), CpuDevice.get()));
        assertEquals(3f, rep.run(List.of(Tensor.of(new float[] {3}, 1))).get(0).getDouble(0), "an even number of Negs");
    }

    @Test
    void anUnboundedLoopStopsAtTheTimeLimitNamingTheLoop() {
        // Loop with no trip count and a body that keeps cond true: runs forever without a limit
        GraphProto body = graph("body", List.of(node("And", List.of("c", "c"), List.of("c_out"))),
                List.of(tensor("i", DataType.INT64), tensor("c", DataType.BOOL)),
                List.of(tensor("c_out", DataType.BOOL)));
        GraphProto orLoop = graph("g", List.of(named(node("Loop", List.of("", "cond"), List.of(),
                Models.graph("body", body)), "forever")), List.of(tensor("cond", DataType.BOOL)), List.of());
        SingaRep rep = SingaBackend.prepare(model(orLoop, 13), CpuDevice.get(),
                SingaBackend.PrepareOptions.DEFAULTS.timeLimit(Duration.ofMillis(300)));
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> refused(
                () -> rep.run(List.of(Tensor.of(new boolean[] {true}))), "'forever'", "time limit"));

        // an interrupted thread stops too (Spark cancels tasks by interrupting them)
        SingaRep unlimited = SingaBackend.prepare(model(orLoop, 13), CpuDevice.get());
        Thread.currentThread().interrupt();
        try {
            refused(() -> unlimited.run(List.of(Tensor.of(new boolean[] {true}))), "interrupted");
        } finally {
            Thread.interrupted();
        }
    }

    @Test
    void aClusterCanBoundEveryRunWithASystemProperty() {
        String saved = System.getProperty("sonnx.maxRunMillis");
        try {
            System.setProperty("sonnx.maxRunMillis", "1500");
            assertEquals(1_500_000_000L, SingaBackend.PrepareOptions.timeLimitFromProperty());
            for (String off : List.of("0", "-5", "soon")) {
                System.setProperty("sonnx.maxRunMillis", off);
                assertEquals(0, SingaBackend.PrepareOptions.timeLimitFromProperty(), off);
            }
            System.setProperty("sonnx.maxRunMillis", Long.toString(Long.MAX_VALUE));
            assertTrue(SingaBackend.PrepareOptions.timeLimitFromProperty() > 0, "no overflow");
        } finally {
            if (saved == null) {
                System.clearProperty("sonnx.maxRunMillis");
            } else {
                System.setProperty("sonnx.maxRunMillis", saved);
            }
        }
    }

    @Test
    void aConstantLoopTooSlowToFoldIsLeftToTheRun() {
        // every input is constant, so prepare would fold the Loop: it must not hang there
        GraphProto body = graph("body", List.of(node("And", List.of("c", "c"), List.of("c_out"))),
                List.of(tensor("i", DataType.INT64), tensor("c", DataType.BOOL)),
                List.of(tensor("c_out", DataType.BOOL)));
        GraphProto g = graph("g", List.of(named(node("Loop", List.of("m", "cond"), List.of(),
                Models.graph("body", body)), "forever"), node("Neg", List.of("x"), List.of("y"))),
                List.of(tensor("x", DataType.FLOAT, 1)), List.of(tensor("y", DataType.FLOAT, 1)),
                "m", Tensor.scalar(Long.MAX_VALUE), "cond", Tensor.of(new boolean[] {true}));
        SingaRep rep = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> SingaBackend.prepare(model(g, 13),
                CpuDevice.get(), SingaBackend.PrepareOptions.DEFAULTS.timeLimit(Duration.ofMillis(200))));
        refused(() -> rep.run(List.of(Tensor.of(new float[] {1}, 1))), "'forever'", "time limit");
    }
}
