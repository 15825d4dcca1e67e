package dev.sonnx.driver.rank;

import java.io.Serializable;

/** One training step as the driver reports it: loss averaged over ranks and samples per second. */
public record StepMetrics(long step, int epoch, double loss, double samplesPerSecond, double learningRate)
        implements Serializable {
}
