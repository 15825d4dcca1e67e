package dev.sonnx.runtime.ops.control;

import dev.sonnx.runtime.testing.Models;
import static dev.sonnx.runtime.testing.Models.anyShape;
import static dev.sonnx.runtime.testing.Models.graph;
import static dev.sonnx.runtime.testing.Models.node;
import static dev.sonnx.runtime.testing.Models.run;
import static dev.sonnx.runtime.testing.Models.sequenceType;
import static dev.sonnx.runtime.testing.Models.tensor;
import static dev.sonnx.runtime.testing.Models.value;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sonnx.runtime.onnx.proto.Onnx.GraphProto;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.SequenceValue;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import dev.sonnx.runtime.testing.OpTester;
import dev.sonnx.runtime.testing.TestContext;
import java.util.List;
import org.junit.jupiter.api.Test;

class SequenceOpsTest {
    private static final Tensor A = Tensor.of(new float[] {1, 2}, 2);
    private static final Tensor B = Tensor.of(new float[] {3}, 1);
    private static final Tensor C = Tensor.scalar(4f);

    private static Value[] forward(Operator op, Value... inputs) {
        return op.forward(inputs, new TestContext(false));
    }

    private static SequenceValue seq(Tensor... items) {
        return new SequenceValue(items[0].dtype(), List.of(items));
    }

    @Test
    void constructKeepsOrderAndType() {
        SequenceValue s = (SequenceValue) forward(OpTester.of("SequenceConstruct", 11).inputs(3).build(), A, B, C)[0];
        assertEquals(DataType.FLOAT, s.elementType());
        assertEquals(List.of(A, B, C), s.items());
        Exception e = assertThrows(IllegalArgumentException.class, () -> forward(
                OpTester.of("SequenceConstruct", 11).inputs(2).build(), A, Tensor.scalar(1L)));
        assertTrue(e.getMessage().contains("input 1 has type int64, input 0 has float"), e.getMessage());
    }

    @Test
    void emptyHasTheRequestedType() {
        SequenceValue f = (SequenceValue) forward(OpTester.of("SequenceEmpty", 11).inputs(0).build())[0];
        assertEquals(0, f.size());
        assertEquals(DataType.FLOAT, f.elementType());
        SequenceValue i = (SequenceValue) forward(OpTester.of("SequenceEmpty", 11).inputs(0)
                .attr("dtype", DataType.INT32.code()).build())[0];
        assertEquals(DataType.INT32, i.elementType());
    }

    @Test
    void atCountsNegativePositionsFromTheBack() {
        Operator at = OpTester.of("SequenceAt", 11).inputs(2).build();
        assertSame(B, forward(at, seq(A, B, C), Tensor.scalar(1L))[0]);
        assertSame(C, forward(at, seq(A, B, C), Tensor.of(new int[] {-1}))[0]);
        assertSame(A, forward(at, seq(A, B, C), Tensor.of(new int[] {-3}))[0]);
        Exception e = assertThrows(IllegalArgumentException.class, () -> forward(at, seq(A, B, C), Tensor.scalar(3L)));
        assertTrue(e.getMessage().contains("position 3 is out of range [-3, 2]"), e.getMessage());
    }

    @Test
    void eraseDefaultsToTheLast() {
        Operator erase = OpTester.of("SequenceErase", 11).inputs(2).build();
        assertEquals(List.of(A, C), ((SequenceValue) forward(erase, seq(A, B, C), Tensor.scalar(-2L))[0]).items());
        Operator eraseLast = OpTester.of("SequenceErase", 11).inputs(1).build();
        assertEquals(List.of(A, B), ((SequenceValue) forward(eraseLast, seq(A, B, C))[0]).items());
        assertThrows(IllegalArgumentException.class,
                () -> forward(eraseLast, new SequenceValue(DataType.FLOAT, List.of())));
    }

    @Test
    void insertBeforePositionOrAppend() {
        Operator insert = OpTester.of("SequenceInsert", 11).inputs(3).build();
        assertEquals(List.of(C, A, B), ((SequenceValue) forward(insert, seq(A, B), C, Tensor.scalar(0L))[0]).items());
        assertEquals(List.of(A, C, B), ((SequenceValue) forward(insert, seq(A, B), C, Tensor.scalar(-1L))[0]).items());
        assertEquals(List.of(A, B, C), ((SequenceValue) forward(insert, seq(A, B), C, Tensor.scalar(2L))[0]).items());
        Operator append = OpTester.of("SequenceInsert", 11).inputs(2).build();
        SequenceValue s = (SequenceValue) forward(append, new SequenceValue(DataType.FLOAT, List.of()), C)[0];
        assertEquals(List.of(C), s.items());
        assertThrows(IllegalArgumentException.class, () -> forward(insert, seq(A, B), C, Tensor.scalar(3L)));
        Exception e = assertThrows(IllegalArgumentException.class,
                () -> forward(append, seq(A, B), Tensor.scalar(1L)));
        assertTrue(e.getMessage().contains("the sequence holds float"), e.getMessage());
    }

    @Test
    void lengthIsAnInt64Scalar() {
        Tensor n = forward(OpTester.of("SequenceLength", 11).inputs(1).build(), seq(A, B, C))[0].asTensor();
        assertEquals(DataType.INT64, n.dtype());
        assertEquals(0, n.rank());
        assertEquals(3, n.getLong(0));
    }

    // ------------------------------------------------------------------ SplitToSequence

    private static final Tensor M = Tensor.of(new float[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 2, 5);

    @Test
    void splitIntoUnitsWithOrWithoutTheAxis() {
        SequenceValue kept = (SequenceValue) forward(OpTester.of("SplitToSequence", 11).inputs(1)
                .attr("axis", 1).build(), M)[0];
        assertEquals(5, kept.size());
        assertArrayEquals(new int[] {2, 1}, kept.get(1).asTensor().shape());
        assertArrayEquals(new float[] {2, 7}, kept.get(1).asTensor().toFloatArray());
        SequenceValue dropped = (SequenceValue) forward(OpTester.of("SplitToSequence", 11).inputs(1)
                .attr("axis", -1).attr("keepdims", 0).build(), M)[0];
        assertArrayEquals(new int[] {2}, dropped.get(4).asTensor().shape());
        assertArrayEquals(new float[] {5, 10}, dropped.get(4).asTensor().toFloatArray());
    }

    @Test
    void splitByScalarLengthLeavesAShorterLastPiece() {
        SequenceValue s = (SequenceValue) forward(OpTester.of("SplitToSequence", 11).inputs(2)
                .attr("axis", 1).attr("keepdims", 0).build(), M, Tensor.scalar(2L))[0];
        assertEquals(3, s.size());
        assertArrayEquals(new float[] {1, 2, 6, 7}, s.get(0).asTensor().toFloatArray());
        assertArrayEquals(new int[] {2, 1}, s.get(2).asTensor().shape());
        assertArrayEquals(new float[] {5, 10}, s.get(2).asTensor().toFloatArray());
    }

    @Test
    void splitByListOfLengths() {
        Operator op = OpTester.of("SplitToSequence", 11).inputs(2).attr("axis", 1).build();
        SequenceValue s = (SequenceValue) forward(op, M, Tensor.of(new int[] {1, 0, 4}, 3))[0];
        assertArrayEquals(new int[] {2, 1}, s.get(0).asTensor().shape());
        assertArrayEquals(new int[] {2, 0}, s.get(1).asTensor().shape());
        assertArrayEquals(new float[] {2, 3, 4, 5, 7, 8, 9, 10}, s.get(2).asTensor().toFloatArray());
        Exception e = assertThrows(IllegalArgumentException.class,
                () -> forward(op, M, Tensor.of(new long[] {1, 2}, 2)));
        assertTrue(e.getMessage().contains("sum to 3, the axis has length 5"), e.getMessage());
    }

    @Test
    void splitStrings() {
        Tensor words = Tensor.of(new String[] {"a", "b", "c"}, 3);
        SequenceValue s = (SequenceValue) forward(OpTester.of("SplitToSequence", 11).inputs(1)
                .attr("keepdims", 0).build(), words)[0];
        assertEquals("c", s.get(2).asTensor().getString(0));
        assertEquals(0, s.get(2).asTensor().rank());
    }

    // ------------------------------------------------------------------ ConcatFromSequence

    @Test
    void concatAlongAnExistingAxis() {
        Tensor p = Tensor.of(new float[] {1, 2, 3, 4}, 2, 2);
        Tensor q = Tensor.of(new float[] {5, 6}, 2, 1);
        Tensor y = forward(OpTester.of("ConcatFromSequence", 11).inputs(1).attr("axis", -1).build(), seq(p, q))[0]
                .asTensor();
        assertArrayEquals(new int[] {2, 3}, y.shape());
        assertArrayEquals(new float[] {1, 2, 5, 3, 4, 6}, y.toFloatArray());
        Exception e = assertThrows(IllegalArgumentException.class, () -> forward(
                OpTester.of("ConcatFromSequence", 11).inputs(1).attr("axis", 0).build(), seq(p, q)));
        assertTrue(e.getMessage().contains("outside axis 0"), e.getMessage());
    }

    @Test
    void concatAlongANewAxis() {
        Tensor p = Tensor.of(new long[] {1, 2}, 2);
        Tensor q = Tensor.of(new long[] {3, 4}, 2);
        Tensor front = forward(OpTester.of("ConcatFromSequence", 11).inputs(1).attr("axis", 0)
                .attr("new_axis", 1).build(), seq(p, q))[0].asTensor();
        assertArrayEquals(new int[] {2, 2}, front.shape());
        assertArrayEquals(new long[] {1, 2, 3, 4}, front.toLongArray());
        // With new_axis, axis may be the rank itself (-1 counts the new axis too).
        Tensor back = forward(OpTester.of("ConcatFromSequence", 11).inputs(1).attr("axis", -1)
                .attr("new_axis", 1).build(), seq(p, q))[0].asTensor();
        assertArrayEquals(new long[] {1, 3, 2, 4}, back.toLongArray());
        Tensor last = forward(OpTester.of("ConcatFromSequence", 11).inputs(1).attr("axis", 1)
                .attr("new_axis", 1).build(), seq(p, q))[0].asTensor();
        assertArrayEquals(new long[] {1, 3, 2, 4}, last.toLongArray());
    }

    @Test
    void concatOfAnEmptySequenceIsAnError() {
        Exception e = assertThrows(IllegalArgumentException.class, () -> forward(
                OpTester.of("ConcatFromSequence", 11).inputs(1).attr("axis", 0).build(),
                new SequenceValue(DataType.FLOAT, List.of())));
        assertTrue(e.getMessage().contains("empty"), e.getMessage());
    }

    // ------------------------------------------------------------------ SequenceMap

    /** SequenceMap(xs, ys, k): out0 = x + k, out1 = x * y per item. */
    private static GraphProto mapModel() {
        GraphProto body = graph("body", List.of(
                        node("Add", List.of("x", "k"), List.of("sum")),
                        node("Mul", List.of("x", "y"), List.of("product"))),
                List.of(value("x", anyShape(DataType.FLOAT)), value("y", anyShape(DataType.FLOAT)),
                        value("k", anyShape(DataType.FLOAT))),
                List.of(value("sum", anyShape(DataType.FLOAT)), value("product", anyShape(DataType.FLOAT))));
        return graph("main", List.of(node("SequenceMap", List.of("xs", "ys", "k"), List.of("sums", "products"),
                        Models.graph("body", body))),
                List.of(value("xs", sequenceType(DataType.FLOAT)), value("ys", sequenceType(DataType.FLOAT)),
                        tensor("k", DataType.FLOAT)),
                List.of(value("sums", sequenceType(DataType.FLOAT)), value("products", sequenceType(DataType.FLOAT))));
    }

    @Test
    void sequenceMapZipsSequencesAndBroadcastsTensors() {
        SequenceValue xs = seq(Tensor.of(new float[] {1, 2}, 2), Tensor.of(new float[] {3}, 1));
        SequenceValue ys = seq(Tensor.of(new float[] {10, 20}, 2), Tensor.of(new float[] {5}, 1));
        List<Value> out = run(mapModel(), 17, xs, ys, Tensor.scalar(100f));
        SequenceValue sums = (SequenceValue) out.get(0);
        SequenceValue products = (SequenceValue) out.get(1);
        assertArrayEquals(new float[] {101, 102}, sums.get(0).asTensor().toFloatArray());
        assertArrayEquals(new float[] {103}, sums.get(1).asTensor().toFloatArray());
        assertArrayEquals(new float[] {10, 40}, products.get(0).asTensor().toFloatArray());
        assertArrayEquals(new float[] {15}, products.get(1).asTensor().toFloatArray());
    }

    @Test
    void sequenceMapOfEmptySequencesGivesTypedEmptySequences() {
        SequenceValue none = new SequenceValue(DataType.FLOAT, List.of());
        List<Value> out = run(mapModel(), 17, none, none, Tensor.scalar(1f));
        assertEquals(0, ((SequenceValue) out.get(0)).size());
        assertEquals(DataType.FLOAT, ((SequenceValue) out.get(1)).elementType());
    }

    @Test
    void sequenceMapNeedsSequencesOfOneLength() {
        SequenceValue xs = seq(A, A);
        Exception e = assertThrows(RuntimeException.class, () -> run(mapModel(), 17, xs, seq(A), C));
        assertTrue(e.getMessage().contains("sequence of 1 items, input_sequence has 2"), e.getMessage());
    }
}
