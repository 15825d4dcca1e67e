package dev.sonnx.runtime.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sonnx.runtime.testing.SharedData;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Data-parallel training over the TCP ring (ranks as threads, each on an equal slice of the batch)
 * against the single-process PyTorch reference of ../shared/train-ref/mlp.
 */
class DataParallelTest {
    private static final PrintStream QUIET = new PrintStream(new ByteArrayOutputStream());

    private static TrainReference mlp() {
        return TrainReference.load(SharedData.trainRef("mlp"));
    }

    @ParameterizedTest
    @CsvSource({"2, fp32, 1e-4", "4, fp32, 1e-4", "2, fp16, 1e-2", "4, fp16, 1e-2"})
    void reproducesTheSingleProcessTrajectory(int ranks, String option, double rtol) {
        TrainReference ref = mlp();
        TrainCheck.Result r = TrainCheck.runRanks(ref, ranks, option, 0, QUIET);
        for (int i = 0; i < ref.steps(); i++) {
            double expected = ref.losses()[i];
            assertEquals(expected, r.losses()[i], rtol * Math.abs(expected), ranks + " ranks " + option + " step " + i);
        }
    }

    /** The lossy modes still train: over 50 steps the loss falls well below where it started. */
    @ParameterizedTest
    @CsvSource({"partialUpdate, 0", "sparseTopK, 0.05", "sparseThreshold, 0.002"})
    void lossyModesLowerTheLoss(String option, float spars) {
        TrainReference ref = mlp();
        TrainReference longer = new TrainReference(ref.dir(), ref.model(), ref.x(), ref.y(), ref.lr(), ref.momentum(),
                ref.weightDecay(), 50, new double[50], ref.finalLogits());
        TrainCheck.Result r = TrainCheck.runRanks(longer, 2, option, spars, QUIET);
        double first = r.losses()[0];
        double last = r.losses()[49];
        assertTrue(last < 0.8 * first, option + ": loss went from " + first + " to " + last);
    }

    @Test
    void oneRankMatchesTheReferenceInEveryExactMode() {
        TrainReference ref = mlp();
        for (String option : new String[] {"fp32", "partialUpdate"}) {
            TrainCheck.Result r = TrainCheck.run(ref, option, 0, QUIET);
            assertEquals(ref.steps() + 1, r.passed(), option);
        }
    }
}
