package dev.sonnx.runtime.backend;

import static dev.sonnx.runtime.testing.Models.graph;
import static dev.sonnx.runtime.testing.Models.model;
import static dev.sonnx.runtime.testing.Models.node;
import static dev.sonnx.runtime.testing.Models.string;
import static dev.sonnx.runtime.testing.Models.tensor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sonnx.runtime.SonnxException;
import dev.sonnx.runtime.cpu.CpuDevice;
import dev.sonnx.runtime.onnx.proto.Onnx.GraphProto;
import dev.sonnx.runtime.onnx.proto.Onnx.NodeProto;
import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.OpRegistry;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.ops.control.ControlOps;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import dev.sonnx.runtime.testing.Models;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A kernel that fails, whatever way it fails, surfaces as a {@link SonnxException} naming the node
 * (and the nodes around it, for bodies), and leaves the prepared model usable.
 */
class RunFailureTest {

    /** Fails as its {@code how} attribute says when its input's first element is negative; else copies it. */
    static final class Boom extends Operator {
        private final String how;

        Boom(Node node) {
            super(node);
            this.how = node.attributes().getString("how", "runtime");
        }

        @Override
        public Value[] forward(Value[] inputs, OpContext ctx) {
            Tensor x = inputs[0].asTensor();
            if (x.getDouble(0) >= 0) {
                return outputs(x);
            }
            return switch (how) {
                case "runtime" -> throw new IllegalStateException("the kernel gave up");
                case "npe" -> outputs(((Tensor) null).reshape(1));
                case "oom" -> outputs(Tensor.of(new float[Integer.MAX_VALUE - 2], 1));
                case "stack" -> outputs(Tensor.scalar(recurse(0)));
                case "null" -> null;
                case "none" -> new Value[0];
                case "sonnx" -> throw new SonnxException("a clear complaint");
                default -> throw new AssertionError(how);
            };
        }

        private static long recurse(long depth) {
            return recurse(depth + 1) + 1;
        }
    }

    /** If and Loop, and Boom. */
    private static final OpRegistry REGISTRY = registry();

    private static OpRegistry registry() {
        OpRegistry r = new OpRegistry();
        new ControlOps().register(r);
        return r.add("Boom", 1, (node, build) -> new Boom(node));
    }

    private static SingaRep prepare(GraphProto g) {
        return SingaBackend.prepare(model(g, 13), CpuDevice.get(),
                SingaBackend.PrepareOptions.DEFAULTS.named("boom.onnx").registry(REGISTRY));
    }

    private static NodeProto boom(String how, String in, String out) {
        return node("Boom", List.of(in), List.of(out), string("how", how)).toBuilder().setName("bomb").build();
    }

    private static GraphProto oneBoom(String how) {
        return graph("g", List.of(boom(how, "x", "y")), List.of(tensor("x", DataType.FLOAT, 1)),
                List.of(tensor("y", DataType.FLOAT, 1)));
    }

    private static final Tensor GOOD = Tensor.of(new float[] {1}, 1);
    private static final Tensor BAD = Tensor.of(new float[] {-1}, 1);

    @ParameterizedTest
    @CsvSource({
        "runtime, IllegalStateException: the kernel gave up",
        "npe, NullPointerException: ",
        "oom, out of memory",
        "stack, stack overflow",
        "null, produced 0 outputs",
        "none, produced 0 outputs",
        "sonnx, a clear complaint"})
    void everyKindOfKernelFailureNamesTheNode(String how, String expected) {
        SingaRep rep = prepare(oneBoom(how));
        SonnxException e = assertThrows(SonnxException.class, () -> rep.run(List.of(BAD)));
        assertTrue(e.getMessage().contains("boom.onnx") && e.getMessage().contains("node 'bomb' (Boom)")
                && e.getMessage().contains(expected), e.getMessage());
        // the prepared model is still usable afterwards
        assertEquals(1f, rep.run(List.of(GOOD)).get(0).getDouble(0));
    }

    @Test
    void aFailureInsideABodyNamesTheEnclosingNodesToo() {
        GraphProto then = graph("then", List.of(boom("runtime", "x", "t")), List.of(),
                List.of(tensor("t", DataType.FLOAT, 1)));
        GraphProto orElse = graph("else", List.of(boom("runtime", "x", "e")), List.of(),
                List.of(tensor("e", DataType.FLOAT, 1)));
        NodeProto ifNode = node("If", List.of("c"), List.of("y"), Models.graph("then_branch", then),
                Models.graph("else_branch", orElse)).toBuilder().setName("branch").build();
        SingaRep rep = prepare(graph("g", List.of(ifNode), List.of(tensor("c", DataType.BOOL),
                tensor("x", DataType.FLOAT, 1)), List.of(tensor("y", DataType.FLOAT, 1))));
        SonnxException e = assertThrows(SonnxException.class,
                () -> rep.run(List.of(Tensor.of(new boolean[] {true}), BAD)));
        assertTrue(e.getMessage().contains("node 'branch' (If)") && e.getMessage().contains("node 'bomb' (Boom)")
                && e.getMessage().contains("the kernel gave up"), e.getMessage());
    }

    @ParameterizedTest
    @CsvSource({
        "runtime, the kernel gave up",
        "none, 'produced 0 outputs, the node declares 1'",
        "null, 'produced 0 outputs, the node declares 1'"})
    void aFailureWhileFoldingAtPrepareNamesTheNode(String how, String expected) {
        // the input is constant, so prepare folds the node
        GraphProto g = graph("g", List.of(boom(how, "k", "y")), List.of(),
                List.of(tensor("y", DataType.FLOAT, 1)), "k", BAD);
        SonnxException e = assertThrows(SonnxException.class, () -> prepare(g));
        assertTrue(e.getMessage().contains("boom.onnx") && e.getMessage().contains("node 'bomb' (Boom)")
                && e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void anOperatorThatCannotBeBuiltNamesTheNode() {
        // the attribute has the wrong type: Attributes refuses it while the operator is built
        NodeProto bad = node("Boom", List.of("x"), List.of("y"), Models.integer("how", 3)).toBuilder()
                .setName("bomb").build();
        SonnxException e = assertThrows(SonnxException.class, () -> prepare(graph("g", List.of(bad),
                List.of(tensor("x", DataType.FLOAT, 1)), List.of(tensor("y", DataType.FLOAT, 1)))));
        assertTrue(e.getMessage().contains("node 'bomb' (Boom)") && e.getMessage().contains("'how'"),
                e.getMessage());
    }
}
