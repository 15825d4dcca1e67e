package dev.sonnx.runtime.ops.control;

import dev.sonnx.runtime.testing.Models;
import static dev.sonnx.runtime.testing.Models.anyShape;
import static dev.sonnx.runtime.testing.Models.bool;
import static dev.sonnx.runtime.testing.Models.graph;
import static dev.sonnx.runtime.testing.Models.longScalar;
import static dev.sonnx.runtime.testing.Models.node;
import static dev.sonnx.runtime.testing.Models.optionalType;
import static dev.sonnx.runtime.testing.Models.run;
import static dev.sonnx.runtime.testing.Models.sequenceType;
import static dev.sonnx.runtime.testing.Models.tensor;
import static dev.sonnx.runtime.testing.Models.value;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sonnx.runtime.SonnxException;
import dev.sonnx.runtime.onnx.proto.Onnx.GraphProto;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.OptionalValue;
import dev.sonnx.runtime.tensor.SequenceValue;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import java.util.List;
import org.junit.jupiter.api.Test;

class LoopTest {

    /**
     * Loop(M, cond, s0): s = s + i each iteration, scan output 2 * s; cond passes through unchanged
     * (And(cond, cond)).
     */
    private static GraphProto sumLoop() {
        GraphProto body = graph("body", List.of(
                        node("Add", List.of("s_in", "i"), List.of("s_out")),
                        node("And", List.of("c_in", "c_in"), List.of("c_out")),
                        node("Mul", List.of("s_out", "two"), List.of("doubled"))),
                List.of(tensor("i", DataType.INT64), tensor("c_in", DataType.BOOL), tensor("s_in", DataType.INT64)),
                List.of(tensor("c_out", DataType.BOOL), tensor("s_out", DataType.INT64),
                        tensor("doubled", DataType.INT64)),
                "two", longScalar(2));
        return graph("main", List.of(node("Loop", List.of("M", "cond", "s0"), List.of("s", "scan"),
                        Models.graph("body", body))),
                List.of(tensor("M", DataType.INT64), tensor("cond", DataType.BOOL), tensor("s0", DataType.INT64)),
                List.of(tensor("s", DataType.INT64), value("scan", anyShape(DataType.INT64))));
    }

    @Test
    void countedLoopCarriesAndStacksScanOutputs() {
        List<Value> out = run(sumLoop(), 11, longScalar(5), bool(true), longScalar(100));
        // s: 100, 101, 103, 106, 110 after iterations 0..4.
        assertEquals(110, out.get(0).asTensor().getLong(0));
        Tensor scan = out.get(1).asTensor();
        assertArrayEquals(new int[] {5}, scan.shape());
        assertArrayEquals(new long[] {200, 202, 206, 212, 220}, scan.toLongArray());
    }

    @Test
    void zeroTripsReturnInitialValuesAndEmptyScans() {
        for (List<Value> out : List.of(run(sumLoop(), 11, longScalar(0), bool(true), longScalar(7)),
                run(sumLoop(), 11, longScalar(4), bool(false), longScalar(7)))) {
            assertEquals(7, out.get(0).asTensor().getLong(0));
            Tensor scan = out.get(1).asTensor();
            assertEquals(DataType.INT64, scan.dtype());
            assertArrayEquals(new int[] {0}, scan.shape());
        }
    }

    /** Loop(M, "", v0) over float[2]: v = v + v, scan output v * 1. */
    private static GraphProto doublingLoop() {
        GraphProto body = graph("body", List.of(
                        node("Add", List.of("v_in", "v_in"), List.of("v_out")),
                        node("And", List.of("c_in", "c_in"), List.of("c_out")),
                        node("Mul", List.of("v_out", "one"), List.of("copy"))),
                List.of(tensor("i", DataType.INT64), tensor("c_in", DataType.BOOL), tensor("v_in", DataType.FLOAT, 2)),
                List.of(tensor("c_out", DataType.BOOL), tensor("v_out", DataType.FLOAT, 2),
                        tensor("copy", DataType.FLOAT, 2)),
                "one", Tensor.scalar(1f));
        return graph("main", List.of(node("Loop", List.of("M", "", "v0"), List.of("v", "scan"),
                        Models.graph("body", body))),
                List.of(tensor("M", DataType.INT64), tensor("v0", DataType.FLOAT, 2)),
                List.of(tensor("v", DataType.FLOAT, 2), value("scan", anyShape(DataType.FLOAT))));
    }

    @Test
    void scanOutputsOfTensorsGainALeadingIterationAxis() {
        List<Value> out = run(doublingLoop(), 11, longScalar(3), Tensor.of(new float[] {1, 2}, 2));
        assertArrayEquals(new float[] {8, 16}, out.get(0).asTensor().toFloatArray());
        Tensor scan = out.get(1).asTensor();
        assertArrayEquals(new int[] {3, 2}, scan.shape());
        assertArrayEquals(new float[] {2, 4, 4, 8, 8, 16}, scan.toFloatArray());
    }

    @Test
    void emptyScanOutputTakesTheBodysDeclaredShape() {
        List<Value> out = run(doublingLoop(), 11, longScalar(0), Tensor.of(new float[] {1, 2}, 2));
        assertArrayEquals(new float[] {1, 2}, out.get(0).asTensor().toFloatArray());
        Tensor scan = out.get(1).asTensor();
        assertEquals(DataType.FLOAT, scan.dtype());
        assertArrayEquals(new int[] {0, 2}, scan.shape());
    }

    /**
     * A while loop: cond_out = flags[i] (SequenceAt on a sequence from the enclosing graph), n counts
     * the iterations. M and cond are given or omitted per {@code mName} and {@code condName}.
     */
    private static GraphProto whileLoop(String mName, String condName) {
        GraphProto body = graph("body", List.of(
                        node("SequenceAt", List.of("flags", "i"), List.of("c_out")),
                        node("Add", List.of("n_in", "one"), List.of("n_out"))),
                List.of(tensor("i", DataType.INT64), tensor("c_in", DataType.BOOL), tensor("n_in", DataType.INT64)),
                List.of(tensor("c_out", DataType.BOOL), tensor("n_out", DataType.INT64)),
                "one", longScalar(1));
        return graph("main", List.of(node("Loop", List.of(mName, condName, "n0"), List.of("n"),
                        Models.graph("body", body))),
                List.of(value("flags", sequenceType(DataType.BOOL)), tensor("M", DataType.INT64),
                        tensor("cond", DataType.BOOL), tensor("n0", DataType.INT64)),
                List.of(tensor("n", DataType.INT64)));
    }

    private static SequenceValue flags(boolean... f) {
        List<Tensor> items = new java.util.ArrayList<>();
        for (boolean b : f) {
            items.add(bool(b));
        }
        return new SequenceValue(DataType.BOOL, items);
    }

    @Test
    void conditionFromTheBodyEndsTheLoop() {
        SequenceValue f = flags(true, true, false, true);
        // Iterations 0 and 1 return true, iteration 2 returns false: three iterations ran.
        assertEquals(3, run(whileLoop("", "cond"), 13, f, longScalar(99), bool(true), longScalar(0))
                .get(0).asTensor().getLong(0));
        assertEquals(3, run(whileLoop("", ""), 13, f, longScalar(99), bool(true), longScalar(0))
                .get(0).asTensor().getLong(0));
        // M stops it first.
        assertEquals(2, run(whileLoop("M", "cond"), 13, f, longScalar(2), bool(true), longScalar(0))
                .get(0).asTensor().getLong(0));
        // A false initial condition runs nothing.
        assertEquals(0, run(whileLoop("", "cond"), 13, f, longScalar(99), bool(false), longScalar(0))
                .get(0).asTensor().getLong(0));
    }

    /** Loop carrying a sequence: seq = SequenceInsert(seq, i). */
    private static GraphProto sequenceLoop() {
        GraphProto body = graph("body", List.of(
                        node("SequenceInsert", List.of("seq_in", "i"), List.of("seq_out")),
                        node("And", List.of("c_in", "c_in"), List.of("c_out"))),
                List.of(tensor("i", DataType.INT64), tensor("c_in", DataType.BOOL),
                        value("seq_in", sequenceType(DataType.INT64))),
                List.of(tensor("c_out", DataType.BOOL), value("seq_out", sequenceType(DataType.INT64))));
        return graph("main", List.of(node("Loop", List.of("M", "", "seq0"), List.of("seq"),
                        Models.graph("body", body))),
                List.of(tensor("M", DataType.INT64), value("seq0", sequenceType(DataType.INT64))),
                List.of(value("seq", sequenceType(DataType.INT64))));
    }

    @Test
    void version13CarriesSequences() {
        SequenceValue empty = new SequenceValue(DataType.INT64, List.of());
        SequenceValue s = (SequenceValue) run(sequenceLoop(), 13, longScalar(3), empty).get(0);
        assertEquals(3, s.size());
        for (int i = 0; i < 3; i++) {
            assertEquals(i, s.get(i).asTensor().getLong(0));
        }
        Exception e = assertThrows(SonnxException.class, () -> run(sequenceLoop(), 11, longScalar(3), empty));
        assertTrue(e.getMessage().contains("opset 13"), e.getMessage());
    }

    /** Loop carrying an optional: opt = Optional(i). */
    private static GraphProto optionalLoop() {
        GraphProto body = graph("body", List.of(
                        node("Optional", List.of("i"), List.of("opt_out")),
                        node("And", List.of("c_in", "c_in"), List.of("c_out"))),
                List.of(tensor("i", DataType.INT64), tensor("c_in", DataType.BOOL),
                        value("opt_in", optionalType(tensor("x", DataType.INT64).getType()))),
                List.of(tensor("c_out", DataType.BOOL),
                        value("opt_out", optionalType(tensor("x", DataType.INT64).getType()))));
        return graph("main", List.of(node("Loop", List.of("M", "", "opt0"), List.of("opt"),
                        Models.graph("body", body))),
                List.of(tensor("M", DataType.INT64), value("opt0", optionalType(tensor("x", DataType.INT64).getType()))),
                List.of(value("opt", optionalType(tensor("x", DataType.INT64).getType()))));
    }

    @Test
    void version16CarriesOptionals() {
        OptionalValue none = OptionalValue.empty("tensor(int64)");
        OptionalValue last = (OptionalValue) run(optionalLoop(), 16, longScalar(3), none).get(0);
        assertEquals(2, last.value().asTensor().getLong(0));
        OptionalValue untouched = (OptionalValue) run(optionalLoop(), 16, longScalar(0), none).get(0);
        assertFalse(untouched.isPresent());
        Exception e = assertThrows(SonnxException.class, () -> run(optionalLoop(), 15, longScalar(1), none));
        assertTrue(e.getMessage().contains("opset 16"), e.getMessage());
    }

    @Test
    void bodySignatureIsCheckedAtPrepare() {
        GraphProto body = graph("body", List.of(node("And", List.of("c_in", "c_in"), List.of("c_out"))),
                List.of(tensor("i", DataType.INT64), tensor("c_in", DataType.BOOL)),
                List.of(tensor("c_out", DataType.BOOL)));
        GraphProto g = graph("main", List.of(node("Loop", List.of("M", "", "v0"), List.of("v"),
                        Models.graph("body", body))),
                List.of(tensor("M", DataType.INT64), tensor("v0", DataType.FLOAT)),
                List.of(tensor("v", DataType.FLOAT)));
        Exception e = assertThrows(SonnxException.class, () -> Models.prepare(g, 11));
        assertTrue(e.getMessage().contains("body takes 2 inputs"), e.getMessage());
    }

    @Test
    void inconsistentScanOutputShapesAreAnError() {
        Exception e = assertThrows(IllegalArgumentException.class, () -> AxisBlocks.stack(
                List.of(Tensor.of(new float[] {1, 2}, 2), Tensor.of(new float[] {1, 2, 3}, 3)), 0,
                dev.sonnx.runtime.cpu.CpuDevice.get(), "scan output 0 of iteration"));
        assertTrue(e.getMessage().contains("scan output 0 of iteration 1 is float[3]"), e.getMessage());
    }
}
