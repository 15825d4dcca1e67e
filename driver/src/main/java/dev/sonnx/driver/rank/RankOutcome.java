package dev.sonnx.driver.rank;

import java.io.Serializable;
import java.util.List;

/**
 * What one rank hands back to the driver: its exported model (rank 0 always; every rank when the
 * driver must average, as for partialUpdate), the steps it ran, and its metrics.
 */
public record RankOutcome(int rank, byte[] model, long steps, long resumedFrom, int badRows,
                          List<StepMetrics> metrics) implements Serializable {
}
