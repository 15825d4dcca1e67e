package dev.sonnx.runtime.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sonnx.runtime.SonnxException;
import dev.sonnx.runtime.cpu.CpuDevice;
import dev.sonnx.runtime.onnx.proto.Onnx.GraphProto;
import dev.sonnx.runtime.onnx.proto.Onnx.ModelProto;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.testing.Models;
import java.util.List;
import org.junit.jupiter.api.Test;

class SingaBackendTest {

    @Test
    void unsupportedOperatorsAreListedTogetherWithNodeAndOpset() {
        GraphProto g = GraphProto.newBuilder().setName("g")
                .addNode(Models.node("FancyOp", "first", new String[] {"x"}, new String[] {"a"}))
                .addNode(Models.node("Add", "ok", new String[] {"a", "a"}, new String[] {"b"}))
                .addNode(Models.node("OtherOp", "second", new String[] {"b"}, new String[] {"y"}))
                .addInput(Models.tensorInfo("x", DataType.FLOAT, 2))
                .addOutput(Models.tensorInfo("y", DataType.FLOAT, 2))
                .build();
        UnsupportedOperatorException e = assertThrows(UnsupportedOperatorException.class,
                () -> SingaBackend.prepare(Models.model(g, 13), CpuDevice.get()));
        assertEquals(2, e.nodes().size());
        assertTrue(e.nodes().get(0).contains("'first'") && e.nodes().get(0).contains("FancyOp")
                && e.nodes().get(0).contains("13"), e.nodes().get(0));
        assertTrue(e.nodes().get(1).contains("'second'") && e.nodes().get(1).contains("OtherOp"));
    }

    @Test
    void runsAModelAndChecksFeeds() {
        ModelProto m = Models.addWeight(Tensor.of(new float[] {1, 2, 3}, 3));
        SingaRep rep = SingaBackend.prepare(m, CpuDevice.get());
        assertEquals(List.of("x"), rep.inputNames());
        Tensor y = rep.run(List.of(Tensor.of(new float[] {10, 20, 30}, 3))).get(0);
        assertArrayEquals(new float[] {11, 22, 33}, y.toFloatArray());

        SonnxException wrongType = assertThrows(SonnxException.class,
                () -> rep.run(List.of(Tensor.of(new long[] {1, 2, 3}, 3))));
        assertTrue(wrongType.getMessage().contains("'x'") && wrongType.getMessage().contains("float[3]")
                && wrongType.getMessage().contains("int64[3]"), wrongType.getMessage());
        SonnxException wrongShape = assertThrows(SonnxException.class,
                () -> rep.run(List.of(Tensor.of(new float[] {1, 2}, 2))));
        assertTrue(wrongShape.getMessage().contains("dimension 0 is 2 instead of 3"), wrongShape.getMessage());
        assertThrows(SonnxException.class, () -> rep.run(List.of()));
    }

    @Test
    void danglingEdgesCyclesAndDuplicatesNameTheNode() {
        GraphProto dangling = GraphProto.newBuilder().setName("g")
                .addNode(Models.node("Add", "adder", new String[] {"x", "ghost"}, new String[] {"y"}))
                .addInput(Models.tensorInfo("x", DataType.FLOAT, 1))
                .addOutput(Models.tensorInfo("y", DataType.FLOAT, 1)).build();
        SonnxException e = assertThrows(SonnxException.class,
                () -> SingaBackend.prepare(Models.model(dangling, 13), CpuDevice.get()));
        assertTrue(e.getMessage().contains("'adder'") && e.getMessage().contains("'ghost'"), e.getMessage());

        GraphProto cycle = GraphProto.newBuilder().setName("g")
                .addNode(Models.node("Add", "a", new String[] {"x", "q"}, new String[] {"p"}))
                .addNode(Models.node("Add", "b", new String[] {"x", "p"}, new String[] {"q"}))
                .addInput(Models.tensorInfo("x", DataType.FLOAT, 1))
                .addOutput(Models.tensorInfo("q", DataType.FLOAT, 1)).build();
        e = assertThrows(SonnxException.class, () -> SingaBackend.prepare(Models.model(cycle, 13), CpuDevice.get()));
        assertTrue(e.getMessage().contains("cycle"), e.getMessage());

        GraphProto duplicate = GraphProto.newBuilder().setName("g")
                .addNode(Models.node("Add", "a", new String[] {"x", "x"}, new String[] {"y"}))
                .addNode(Models.node("Add", "b", new String[] {"x", "x"}, new String[] {"y"}))
                .addInput(Models.tensorInfo("x", DataType.FLOAT, 1))
                .addOutput(Models.tensorInfo("y", DataType.FLOAT, 1)).build();
        e = assertThrows(SonnxException.class,
                () -> SingaBackend.prepare(Models.model(duplicate, 13), CpuDevice.get()));
        assertTrue(e.getMessage().contains("'y'") && e.getMessage().contains("twice"), e.getMessage());
    }

    @Test
    void irVersionAndOpsetAreChecked() {
        ModelProto m = Models.addWeight(Tensor.of(new float[] {1}, 1));
        SonnxException e = assertThrows(SonnxException.class,
                () -> SingaBackend.prepare(m.toBuilder().clearIrVersion().build(), CpuDevice.get()));
        assertTrue(e.getMessage().contains("IR version"), e.getMessage());
        ModelProto future = m.toBuilder().setOpsetImport(0, m.getOpsetImport(0).toBuilder().setVersion(99)).build();
        e = assertThrows(SonnxException.class, () -> SingaBackend.prepare(future, CpuDevice.get()));
        assertTrue(e.getMessage().contains("opset 99"), e.getMessage());
        ModelProto strange = m.toBuilder().addOpsetImport(
                dev.sonnx.runtime.onnx.proto.Onnx.OperatorSetIdProto.newBuilder().setDomain("com.example").setVersion(1))
                .build();
        e = assertThrows(SonnxException.class, () -> SingaBackend.prepare(strange, CpuDevice.get()));
        assertTrue(e.getMessage().contains("com.example"), e.getMessage());
    }
}
