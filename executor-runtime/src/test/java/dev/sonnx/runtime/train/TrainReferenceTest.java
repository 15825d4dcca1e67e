package dev.sonnx.runtime.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.sonnx.runtime.conformance.Tolerance;
import dev.sonnx.runtime.conformance.ValueComparator;
import dev.sonnx.runtime.onnx.proto.Onnx.GraphProto;
import dev.sonnx.runtime.onnx.proto.Onnx.ModelProto;
import dev.sonnx.runtime.onnx.proto.Onnx.TensorProto;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.testing.Models;
import dev.sonnx.runtime.testing.SharedData;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Fine-tuning reproduces PyTorch's trajectories step by step (../shared/train-ref). */
class TrainReferenceTest {

    @ParameterizedTest
    @ValueSource(strings = {"mlp", "cnn-bn"})
    void lossesAndFinalLogitsMatchPyTorch(String name) {
        assertTrajectory(TrainReference.load(SharedData.trainRef(name)), name);
    }

    /**
     * The same model written as IR 3 writes it, every weight a graph input too: prepare reads them
     * as constants (as ONNX Runtime does below IR 4), and training must still update each of them.
     */
    @ParameterizedTest
    @ValueSource(strings = {"mlp", "cnn-bn"})
    void irThreeModelsTrainAsPyTorchDid(String name) {
        TrainReference ref = TrainReference.load(SharedData.trainRef(name));
        GraphProto.Builder g = ref.model().getGraph().toBuilder();
        for (TensorProto t : ref.model().getGraph().getInitializerList()) {
            g.addInput(Models.tensorInfo(t.getName(), DataType.fromCode(t.getDataType()),
                    t.getDimsList().stream().mapToInt(Long::intValue).toArray()));
        }
        ModelProto ir3 = ref.model().toBuilder().setIrVersion(3).setGraph(g).build();
        assertTrajectory(new TrainReference(ref.dir(), ir3, ref.x(), ref.y(), ref.lr(), ref.momentum(),
                ref.weightDecay(), ref.steps(), ref.losses(), ref.finalLogits()), name + " as IR 3");
    }

    private static void assertTrajectory(TrainReference ref, String name) {
        TrainCheck.Result r = TrainCheck.run(ref, "fp32", 0, new PrintStream(new ByteArrayOutputStream()));
        for (int i = 0; i < ref.steps(); i++) {
            double expected = ref.losses()[i];
            assertEquals(expected, r.losses()[i], 1e-4 * Math.abs(expected), name + " step " + i);
        }
        assertNull(ValueComparator.difference(r.finalLogits(), ref.finalLogits(), Tolerance.ZOO), name + " final logits");
        assertEquals(ref.steps() + 1, r.passed());
    }
}
