package dev.sonnx.runtime.ops.control;

import dev.sonnx.runtime.testing.Models;
import static dev.sonnx.runtime.testing.Models.anyShape;
import static dev.sonnx.runtime.testing.Models.graph;
import static dev.sonnx.runtime.testing.Models.integer;
import static dev.sonnx.runtime.testing.Models.ints;
import static dev.sonnx.runtime.testing.Models.node;
import static dev.sonnx.runtime.testing.Models.run;
import static dev.sonnx.runtime.testing.Models.tensor;
import static dev.sonnx.runtime.testing.Models.value;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sonnx.runtime.SonnxException;
import dev.sonnx.runtime.onnx.proto.Onnx.AttributeProto;
import dev.sonnx.runtime.onnx.proto.Onnx.GraphProto;
import dev.sonnx.runtime.onnx.proto.Onnx.ValueInfoProto;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ScanTest {

    /** The running-sum body over float[2] elements: sum_out = sum_in + next, scan_out = sum_out * 1. */
    private static GraphProto sumBody() {
        return graph("body", List.of(
                        node("Add", List.of("sum_in", "next"), List.of("sum_out")),
                        node("Mul", List.of("sum_out", "one"), List.of("scan_out"))),
                List.of(tensor("sum_in", DataType.FLOAT, 2), tensor("next", DataType.FLOAT, 2)),
                List.of(tensor("sum_out", DataType.FLOAT, 2), tensor("scan_out", DataType.FLOAT, 2)),
                "one", Tensor.scalar(1f));
    }

    private static GraphProto scan(List<String> inputs, List<ValueInfoProto> graphInputs, AttributeProto... attrs) {
        List<AttributeProto> all = new ArrayList<>(List.of(attrs));
        all.add(Models.graph("body", sumBody()));
        all.add(integer("num_scan_inputs", 1));
        return graph("main", List.of(node("Scan", inputs, List.of("y", "z"), all.toArray(new AttributeProto[0]))),
                graphInputs, List.of(value("y", anyShape(DataType.FLOAT)), value("z", anyShape(DataType.FLOAT))));
    }

    private static final List<ValueInfoProto> STATE_AND_X = List.of(value("initial", anyShape(DataType.FLOAT)),
            value("x", anyShape(DataType.FLOAT)));

    @Test
    void runningSumAlongAxisZero() {
        List<Value> out = run(scan(List.of("initial", "x"), STATE_AND_X), 9,
                Tensor.of(new float[] {0, 0}, 2), Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 3, 2));
        assertArrayEquals(new float[] {9, 12}, out.get(0).asTensor().toFloatArray());
        Tensor z = out.get(1).asTensor();
        assertArrayEquals(new int[] {3, 2}, z.shape());
        assertArrayEquals(new float[] {1, 2, 4, 6, 9, 12}, z.toFloatArray());
    }

    @Test
    void axesAndDirections() {
        // x[2, 3] scanned along its last axis from the end: elements [3, 6], [2, 5], [1, 4].
        Tensor x = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        Tensor zero = Tensor.of(new float[] {0, 0}, 2);
        List<Value> out = run(scan(List.of("initial", "x"), STATE_AND_X, ints("scan_input_axes", -1),
                ints("scan_input_directions", 1), ints("scan_output_axes", 1)), 11, zero, x);
        // Sums [3, 6], [5, 11], [6, 15], stacked along axis 1 in iteration order.
        assertArrayEquals(new float[] {6, 15}, out.get(0).asTensor().toFloatArray());
        Tensor z = out.get(1).asTensor();
        assertArrayEquals(new int[] {2, 3}, z.shape());
        assertArrayEquals(new float[] {3, 5, 6, 6, 11, 15}, z.toFloatArray());

        // The same, prepending each element: the last iteration comes first.
        Tensor reversed = run(scan(List.of("initial", "x"), STATE_AND_X, ints("scan_input_axes", 1),
                ints("scan_input_directions", 1), ints("scan_output_axes", -1),
                ints("scan_output_directions", 1)), 11, zero, x).get(1).asTensor();
        assertArrayEquals(new float[] {6, 5, 3, 15, 11, 6}, reversed.toFloatArray());
    }

    @Test
    void negativeAxesNeedOpset11() {
        Exception e = assertThrows(SonnxException.class,
                () -> Models.prepare(scan(List.of("initial", "x"), STATE_AND_X, ints("scan_input_axes", -1)), 9));
        assertTrue(e.getMessage().contains("negative axes are allowed from opset 11"), e.getMessage());
    }

    @Test
    void bidirectionalZipOfOneInput() {
        // Two scan inputs, both x, one read backwards: y[t] = x[t] * x[2 - t].
        GraphProto body = graph("body", List.of(node("Mul", List.of("a", "b"), List.of("p"))),
                List.of(tensor("a", DataType.FLOAT), tensor("b", DataType.FLOAT)), List.of(tensor("p", DataType.FLOAT)));
        GraphProto g = graph("main", List.of(node("Scan", List.of("x", "x"), List.of("y"),
                        Models.graph("body", body), integer("num_scan_inputs", 2), ints("scan_input_directions", 0, 1))),
                List.of(tensor("x", DataType.FLOAT, 3)), List.of(tensor("y", DataType.FLOAT, 3)));
        Tensor y = run(g, 16, Tensor.of(new float[] {1, 2, 3}, 3)).get(0).asTensor();
        assertArrayEquals(new float[] {3, 4, 3}, y.toFloatArray());
    }

    @Test
    void emptySequenceKeepsTheStateAndDeclaredElementShape() {
        List<Value> out = run(scan(List.of("initial", "x"), STATE_AND_X), 9,
                Tensor.of(new float[] {5, 6}, 2), Tensor.zeros(DataType.FLOAT, 0, 2));
        assertArrayEquals(new float[] {5, 6}, out.get(0).asTensor().toFloatArray());
        assertArrayEquals(new int[] {0, 2}, out.get(1).asTensor().shape());
    }

    @Test
    void scanInputsMustHaveOneLength() {
        GraphProto body = graph("body", List.of(node("Mul", List.of("a", "b"), List.of("p"))),
                List.of(tensor("a", DataType.FLOAT), tensor("b", DataType.FLOAT)), List.of(tensor("p", DataType.FLOAT)));
        GraphProto g = graph("main", List.of(node("Scan", List.of("x", "w"), List.of("y"),
                        Models.graph("body", body), integer("num_scan_inputs", 2))),
                List.of(value("x", anyShape(DataType.FLOAT)), value("w", anyShape(DataType.FLOAT))),
                List.of(value("y", anyShape(DataType.FLOAT))));
        Exception e = assertThrows(SonnxException.class,
                () -> run(g, 9, Tensor.of(new float[] {1, 2, 3}, 3), Tensor.of(new float[] {1, 2}, 2)));
        assertTrue(e.getMessage().contains("has 2 steps along axis 0, scan input 0 has 3"), e.getMessage());
    }

    // ------------------------------------------------------------------ Scan-8

    private static GraphProto scan8(String lengths, long direction) {
        return graph("main", List.of(node("Scan", List.of(lengths, "initial", "x"), List.of("y", "z"),
                        Models.graph("body", sumBody()), integer("num_scan_inputs", 1), ints("directions", direction))),
                List.of(tensor("lens", DataType.INT64, 2), tensor("initial", DataType.FLOAT, 2, 2),
                        tensor("x", DataType.FLOAT, 2, 3, 2)),
                List.of(value("y", anyShape(DataType.FLOAT)), value("z", anyShape(DataType.FLOAT))));
    }

    private static final Tensor INITIAL = Tensor.of(new float[] {0, 0, 100, 100}, 2, 2);
    private static final Tensor X = Tensor.of(new float[] {1, 2, 3, 4, 5, 6, 10, 20, 30, 40, 50, 60}, 2, 3, 2);

    @Test
    void scan8RunsEachBatchEntryOnItsOwn() {
        List<Value> out = run(scan8("", 0), 8, Tensor.of(new long[] {3, 3}, 2), INITIAL, X);
        assertArrayEquals(new float[] {9, 12, 190, 220}, out.get(0).asTensor().toFloatArray());
        Tensor z = out.get(1).asTensor();
        assertArrayEquals(new int[] {2, 3, 2}, z.shape());
        assertArrayEquals(new float[] {1, 2, 4, 6, 9, 12, 110, 120, 140, 160, 190, 220}, z.toFloatArray());
    }

    @Test
    void scan8SequenceLengthsAndReverseDirection() {
        // Entry 0 reads steps 2, 1, 0; entry 1 only its first step. Missing steps stay zero.
        List<Value> out = run(scan8("lens", 1), 8, Tensor.of(new long[] {3, 1}, 2), INITIAL, X);
        assertArrayEquals(new float[] {9, 12, 110, 120}, out.get(0).asTensor().toFloatArray());
        Tensor z = out.get(1).asTensor();
        assertArrayEquals(new int[] {2, 3, 2}, z.shape());
        assertArrayEquals(new float[] {5, 6, 8, 10, 9, 12, 110, 120, 0, 0, 0, 0}, z.toFloatArray());
    }

    @Test
    void scan8RefusesLengthsBeyondTheSequence() {
        Exception e = assertThrows(SonnxException.class,
                () -> run(scan8("lens", 0), 8, Tensor.of(new long[] {4, 1}, 2), INITIAL, X));
        assertTrue(e.getMessage().contains("sequence_lens[0] = 4 is outside [0, 3]"), e.getMessage());
    }
}
