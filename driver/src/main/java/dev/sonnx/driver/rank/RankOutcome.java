package dev.sonnx.driver.rank;

import java.io.Serializable;
import java.util.List;

/**
 * What one rank hands back to the driver: its exported model (rank 0 always; every rank when the
 * driver must average, as for partialUpdate), the steps it ran, its metrics (rank 0), or the failure
 * every rank agreed on (bad data, divergence) that retrying the stage would only repeat.
 */
public record RankOutcome(int rank, byte[] model, long steps, long resumedFrom, int badRows,
                          List<StepMetrics> metrics, RankFailure failure, String executor) implements Serializable {

    public RankOutcome(int rank, byte[] model, long steps, long resumedFrom, int badRows, List<StepMetrics> metrics,
                       RankFailure failure) {
        this(rank, model, steps, resumedFrom, badRows, metrics, failure, null);
    }

    public static RankOutcome failed(int rank, long steps, int badRows, List<StepMetrics> metrics,
                                     RankFailure failure) {
        return new RankOutcome(rank, null, steps, 0, badRows, metrics, failure);
    }

    /** This outcome, noting the executor that ran the rank. */
    public RankOutcome ranOn(String executorId) {
        return new RankOutcome(rank, model, steps, resumedFrom, badRows, metrics, failure, executorId);
    }
}
