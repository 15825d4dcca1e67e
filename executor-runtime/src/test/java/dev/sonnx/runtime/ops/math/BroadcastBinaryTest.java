package dev.sonnx.runtime.ops.math;

import static dev.sonnx.runtime.testing.TestTensors.random;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sonnx.runtime.backend.SingaBackend;
import dev.sonnx.runtime.cpu.CpuDevice;
import dev.sonnx.runtime.onnx.proto.Onnx.GraphProto;
import dev.sonnx.runtime.onnx.proto.Onnx.ModelProto;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.testing.Models;
import dev.sonnx.runtime.testing.OrtReference;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * float32 Add, Sub, Mul and Div where one operand broadcasts with short rows (oneDNN's binary
 * primitive: a channels-last image times its channel weights, a per-channel bias) and where the
 * broadcast one comes first (swapped for Add and Mul, the Java loops for Sub and Div), bit for bit
 * against ONNX Runtime: each element is one IEEE operation in both.
 */
class BroadcastBinaryTest {

    private static ModelProto binary(String op, int[] a, int[] b) {
        GraphProto g = GraphProto.newBuilder().setName(op)
                .addNode(Models.node(op, op, new String[] {"a", "b"}, new String[] {"y"}))
                .addInput(Models.tensorInfo("a", DataType.FLOAT, a))
                .addInput(Models.tensorInfo("b", DataType.FLOAT, b))
                .addOutput(Models.tensorInfoAnyShape("y", DataType.FLOAT)).build();
        return Models.model(g, 14);
    }

    private static int[] dims(String s) {
        return java.util.Arrays.stream(s.split("x")).mapToInt(Integer::parseInt).toArray();
    }

    @ParameterizedTest
    @CsvSource({
        "Mul, 2x24x24x40, 2x1x1x40",
        "Mul, 2x1x1x40, 2x24x24x40",
        "Add, 2x24x24x40, 40",
        "Add, 40, 2x24x24x40",
        "Sub, 2x24x24x40, 1x1x24x40",
        "Sub, 2x1x1x40, 2x24x24x40",
        "Div, 3x20x20x33, 3x1x20x1",
        "Div, 1x33, 3x20x20x33",
        "Mul, 4x64x70, 4x64x1",
    })
    void matchesOnnxRuntimeBitForBit(String op, String aDims, String bDims) {
        int[] a = dims(aDims);
        int[] b = dims(bDims);
        Tensor x = random(1, a);
        Tensor w = random(2, b);
        ModelProto m = binary(op, a, b);
        Tensor expected = OrtReference.run(m, List.of("a", "b"), List.of(x, w)).get(0);
        var rep = SingaBackend.prepare(m, CpuDevice.get());
        // twice: the second run takes the shapes' cached plan (and, where it applies, oneDNN's primitive)
        for (int run = 0; run < 2; run++) {
            Tensor actual = rep.run(List.of(x, w)).get(0);
            assertEquals(java.util.Arrays.toString(expected.shape()), java.util.Arrays.toString(actual.shape()));
            for (int i = 0; i < expected.size(); i++) {
                assertEquals(Float.floatToIntBits(expected.getFloat(i)), Float.floatToIntBits(actual.getFloat(i)),
                        op + " element " + i + ": " + actual.getFloat(i) + ", expected " + expected.getFloat(i));
            }
        }
    }
}
