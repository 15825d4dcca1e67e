package dev.sonnx.runtime.ops.control;

import dev.sonnx.runtime.testing.Models;
import static dev.sonnx.runtime.testing.Models.anyShape;
import static dev.sonnx.runtime.testing.Models.bool;
import static dev.sonnx.runtime.testing.Models.graph;
import static dev.sonnx.runtime.testing.Models.node;
import static dev.sonnx.runtime.testing.Models.optionalType;
import static dev.sonnx.runtime.testing.Models.run;
import static dev.sonnx.runtime.testing.Models.sequenceType;
import static dev.sonnx.runtime.testing.Models.tensor;
import static dev.sonnx.runtime.testing.Models.type;
import static dev.sonnx.runtime.testing.Models.value;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sonnx.runtime.SonnxException;
import dev.sonnx.runtime.onnx.proto.Onnx.GraphProto;
import dev.sonnx.runtime.onnx.proto.Onnx.ValueInfoProto;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.OptionalValue;
import dev.sonnx.runtime.tensor.SequenceValue;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import java.util.List;
import org.junit.jupiter.api.Test;

class IfTest {

    /** then: x + 10 (a branch initializer), else: x * x; both read x from the enclosing graph. */
    private static GraphProto addOrSquare() {
        return addOrSquare(tensor("cond", DataType.BOOL));
    }

    private static GraphProto addOrSquare(ValueInfoProto cond) {
        GraphProto thenBranch = graph("then", List.of(node("Add", List.of("x", "ten"), List.of("t"))), List.of(),
                List.of(tensor("t", DataType.FLOAT, 3)), "ten", Tensor.scalar(10f));
        GraphProto elseBranch = graph("else", List.of(node("Mul", List.of("x", "x"), List.of("e"))), List.of(),
                List.of(tensor("e", DataType.FLOAT, 3)));
        return graph("main", List.of(node("If", List.of("cond"), List.of("y"),
                        Models.graph("then_branch", thenBranch), Models.graph("else_branch", elseBranch))),
                List.of(cond, tensor("x", DataType.FLOAT, 3)),
                List.of(tensor("y", DataType.FLOAT, 3)));
    }

    @Test
    void runsTheBranchTheConditionPicks() {
        Tensor x = Tensor.of(new float[] {1, -2, 3}, 3);
        Tensor then = run(addOrSquare(), 11, bool(true), x).get(0).asTensor();
        assertArrayEquals(new float[] {11, 8, 13}, then.toFloatArray());
        Tensor other = run(addOrSquare(), 11, bool(false), x).get(0).asTensor();
        assertArrayEquals(new float[] {1, 4, 9}, other.toFloatArray());
    }

    @Test
    void conditionMayBeAOneElementTensor() {
        Tensor cond = Tensor.of(new boolean[] {false}, 1);
        Tensor y = run(addOrSquare(value("cond", anyShape(DataType.BOOL))), 7, cond, Tensor.of(new float[] {2, 2, 2}, 3)).get(0).asTensor();
        assertArrayEquals(new float[] {4, 4, 4}, y.toFloatArray());
    }

    @Test
    void conditionMustBeBoolean() {
        Exception e = assertThrows(SonnxException.class,
                () -> run(addOrSquare(), 11, Tensor.of(new float[] {1f}), Tensor.of(new float[] {1, 2, 3}, 3)));
        assertTrue(e.getMessage().contains("cond"), e.getMessage());
    }

    @Test
    void nestedIfReadsTheOutermostScope() {
        // outer If(c1) then: inner If(c2) then: x + x, else: x * x; outer else: x - x.
        GraphProto innerThen = graph("it", List.of(node("Add", List.of("x", "x"), List.of("a"))), List.of(),
                List.of(tensor("a", DataType.FLOAT, 2)));
        GraphProto innerElse = graph("ie", List.of(node("Mul", List.of("x", "x"), List.of("m"))), List.of(),
                List.of(tensor("m", DataType.FLOAT, 2)));
        GraphProto outerThen = graph("ot", List.of(node("If", List.of("c2"), List.of("inner"),
                        Models.graph("then_branch", innerThen), Models.graph("else_branch", innerElse))), List.of(),
                List.of(tensor("inner", DataType.FLOAT, 2)));
        GraphProto outerElse = graph("oe", List.of(node("Sub", List.of("x", "x"), List.of("s"))), List.of(),
                List.of(tensor("s", DataType.FLOAT, 2)));
        GraphProto g = graph("main", List.of(node("If", List.of("c1"), List.of("y"),
                        Models.graph("then_branch", outerThen), Models.graph("else_branch", outerElse))),
                List.of(tensor("c1", DataType.BOOL), tensor("c2", DataType.BOOL), tensor("x", DataType.FLOAT, 2)),
                List.of(tensor("y", DataType.FLOAT, 2)));
        Tensor x = Tensor.of(new float[] {3, 5}, 2);
        assertArrayEquals(new float[] {6, 10}, run(g, 13, bool(true), bool(true), x).get(0).asTensor().toFloatArray());
        assertArrayEquals(new float[] {9, 25}, run(g, 13, bool(true), bool(false), x).get(0).asTensor().toFloatArray());
        assertArrayEquals(new float[] {0, 0}, run(g, 13, bool(false), bool(true), x).get(0).asTensor().toFloatArray());
    }

    /** then: a sequence [x, x + x]; else: an empty float sequence. */
    private static GraphProto sequenceBranches() {
        GraphProto thenBranch = graph("then", List.of(node("Add", List.of("x", "x"), List.of("x2")),
                        node("SequenceConstruct", List.of("x", "x2"), List.of("seq"))), List.of(),
                List.of(value("seq", sequenceType(DataType.FLOAT))));
        GraphProto elseBranch = graph("else", List.of(node("SequenceEmpty", List.of(), List.of("none"))), List.of(),
                List.of(value("none", sequenceType(DataType.FLOAT))));
        return graph("main", List.of(node("If", List.of("cond"), List.of("y"),
                        Models.graph("then_branch", thenBranch), Models.graph("else_branch", elseBranch))),
                List.of(tensor("cond", DataType.BOOL), tensor("x", DataType.FLOAT, 2)),
                List.of(value("y", sequenceType(DataType.FLOAT))));
    }

    @Test
    void version13BranchesReturnSequences() {
        Tensor x = Tensor.of(new float[] {1, 2}, 2);
        SequenceValue s = (SequenceValue) run(sequenceBranches(), 13, bool(true), x).get(0);
        assertEquals(2, s.size());
        assertArrayEquals(new float[] {1, 2}, s.get(0).asTensor().toFloatArray());
        assertArrayEquals(new float[] {2, 4}, s.get(1).asTensor().toFloatArray());
        SequenceValue empty = (SequenceValue) run(sequenceBranches(), 13, bool(false), x).get(0);
        assertEquals(0, empty.size());
        assertEquals(DataType.FLOAT, empty.elementType());
    }

    @Test
    void version11RefusesSequences() {
        Exception e = assertThrows(SonnxException.class,
                () -> run(sequenceBranches(), 11, bool(true), Tensor.of(new float[] {1, 2}, 2)));
        assertTrue(e.getMessage().contains("opset 13"), e.getMessage());
    }

    @Test
    void version16BranchesReturnOptionals() {
        GraphProto thenBranch = graph("then", List.of(node("Optional", List.of(), List.of("nothing"),
                        type("type", anyShape(DataType.FLOAT)))), List.of(),
                List.of(value("nothing", optionalType(anyShape(DataType.FLOAT)))));
        GraphProto elseBranch = graph("else", List.of(node("Optional", List.of("x"), List.of("some"))), List.of(),
                List.of(value("some", optionalType(anyShape(DataType.FLOAT)))));
        GraphProto g = graph("main", List.of(node("If", List.of("cond"), List.of("y"),
                        Models.graph("then_branch", thenBranch), Models.graph("else_branch", elseBranch))),
                List.of(tensor("cond", DataType.BOOL), tensor("x", DataType.FLOAT, 2)),
                List.of(value("y", optionalType(anyShape(DataType.FLOAT)))));
        Tensor x = Tensor.of(new float[] {7, 8}, 2);
        OptionalValue empty = (OptionalValue) run(g, 16, bool(true), x).get(0);
        assertFalse(empty.isPresent());
        Value some = ((OptionalValue) run(g, 16, bool(false), x).get(0)).value();
        assertArrayEquals(new float[] {7, 8}, some.asTensor().toFloatArray());
        assertThrows(SonnxException.class, () -> run(g, 15, bool(false), x));
    }

    @Test
    void branchOutputCountMustMatchTheNode() {
        GraphProto thenBranch = graph("then", List.of(node("Add", List.of("x", "x"), List.of("a")),
                        node("Mul", List.of("x", "x"), List.of("b"))), List.of(),
                List.of(tensor("a", DataType.FLOAT, 1), tensor("b", DataType.FLOAT, 1)));
        GraphProto elseBranch = graph("else", List.of(node("Sub", List.of("x", "x"), List.of("c"))), List.of(),
                List.of(tensor("c", DataType.FLOAT, 1)));
        GraphProto g = graph("main", List.of(node("If", List.of("cond"), List.of("y"),
                        Models.graph("then_branch", thenBranch), Models.graph("else_branch", elseBranch))),
                List.of(tensor("cond", DataType.BOOL), tensor("x", DataType.FLOAT, 1)),
                List.of(tensor("y", DataType.FLOAT, 1)));
        Exception e = assertThrows(SonnxException.class, () -> Models.prepare(g, 11));
        assertTrue(e.getMessage().contains("then_branch has 2 outputs, the node 1"), e.getMessage());
    }

    @Test
    void constantConditionAndSelfContainedBranches() {
        // cond is an initializer and the branches read nothing from outside, so prepare may fold the If.
        GraphProto thenBranch = graph("then", List.of(node("Add", List.of("k", "k"), List.of("t"))), List.of(),
                List.of(tensor("t", DataType.FLOAT)), "k", Tensor.scalar(4f));
        GraphProto elseBranch = graph("else", List.of(node("Sub", List.of("k", "k"), List.of("e"))), List.of(),
                List.of(tensor("e", DataType.FLOAT)), "k", Tensor.scalar(4f));
        GraphProto g = graph("main", List.of(node("If", List.of("cond"), List.of("y"),
                        Models.graph("then_branch", thenBranch), Models.graph("else_branch", elseBranch))),
                List.of(), List.of(tensor("y", DataType.FLOAT)), "cond", bool(true));
        assertEquals(8f, run(g, 11).get(0).asTensor().getFloat(0));
    }
}
