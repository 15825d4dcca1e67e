package dev.sonnx.runtime.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.sonnx.runtime.conformance.Tolerance;
import dev.sonnx.runtime.conformance.ValueComparator;
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
        TrainReference ref = TrainReference.load(SharedData.trainRef(name));
        TrainCheck.Result r = TrainCheck.run(ref, "fp32", 0, new PrintStream(new ByteArrayOutputStream()));
        for (int i = 0; i < ref.steps(); i++) {
            double expected = ref.losses()[i];
            assertEquals(expected, r.losses()[i], 1e-4 * Math.abs(expected), name + " step " + i);
        }
        assertNull(ValueComparator.difference(r.finalLogits(), ref.finalLogits(), Tolerance.ZOO), name + " final logits");
        assertEquals(ref.steps() + 1, r.passed());
    }
}
