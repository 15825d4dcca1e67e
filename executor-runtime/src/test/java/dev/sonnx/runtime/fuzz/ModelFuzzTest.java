package dev.sonnx.runtime.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.AfterAll;

/**
 * Coverage-guided fuzzing of {@code ModelIO.parse} + {@code SingaBackend.prepare} + a run (see
 * {@link ModelFuzzing}). In the normal test run Jazzer only replays the committed inputs under
 * {@code src/test/resources/dev/sonnx/runtime/fuzz/ModelFuzzTestInputs/<method>/} (small valid models
 * and past findings); {@code bin/fuzz DURATION} fuzzes for real ({@code JAZZER_FUZZ=1}).
 */
class ModelFuzzTest {

    /** After fuzzing ({@code JAZZER_FUZZ} set), where the inputs ended: bin/fuzz reports this line. */
    @AfterAll
    static void reportOutcomes() {
        String fuzzing = System.getenv("JAZZER_FUZZ");
        if (fuzzing != null && !fuzzing.isEmpty()) {
            System.err.println("sonnx fuzz outcomes: " + ModelFuzzing.outcomes());
        }
    }

    /** Raw bytes: mostly the protobuf parser and the loader's checks. */
    @FuzzTest(maxDuration = "5m")
    void prepareAndRun(byte[] data) {
        ModelFuzzing.exercise(data);
    }

    /**
     * Seed models mutated structurally (see {@link ModelMutator}), run on fuzzer-chosen values:
     * prepare's checks and the kernels.
     */
    @FuzzTest(maxDuration = "5m")
    void mutatedModels(FuzzedDataProvider data) {
        ModelFuzzing.exercise(ModelMutator.mutate(data), t -> ModelMutator.fill(t, data));
    }
}
