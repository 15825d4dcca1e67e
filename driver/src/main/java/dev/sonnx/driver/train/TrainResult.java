package dev.sonnx.driver.train;

import dev.sonnx.driver.rank.StepMetrics;
import dev.sonnx.runtime.onnx.proto.Onnx.ModelProto;
import java.util.List;

/**
 * The outcome of a distributed fine-tuning run: the merged model, the steps run (and the step a
 * retried stage resumed from), the metrics of each step, rows skipped as unreadable, and the wall time.
 */
public record TrainResult(ModelProto model, long steps, long resumedFromStep, List<StepMetrics> metrics,
                          long badRows, double seconds) {
}
