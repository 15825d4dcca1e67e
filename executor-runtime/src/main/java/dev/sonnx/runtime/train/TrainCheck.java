package dev.sonnx.runtime.train;

import dev.sonnx.runtime.conformance.Tolerance;
import dev.sonnx.runtime.conformance.ValueComparator;
import dev.sonnx.runtime.cpu.CpuDevice;
import dev.sonnx.runtime.model.SonnxModel;
import dev.sonnx.runtime.opt.DistOpt;
import dev.sonnx.runtime.opt.DistOption;
import dev.sonnx.runtime.opt.Optimizer;
import dev.sonnx.runtime.opt.SGD;
import dev.sonnx.runtime.tensor.Tensor;
import java.io.PrintStream;
import java.util.List;

/**
 * Retrains a {@link TrainReference} with its settings and compares, step by step, the loss before
 * each update (within 1e-4 relative) and the final logits in evaluation mode (1e-4 + 1e-3 |e|).
 */
public final class TrainCheck {
    /** Loss agreement per step. */
    public static final double LOSS_RTOL = 1e-4;

    /** What a check found. */
    public record Result(double[] losses, Tensor finalLogits, int passed, int failed) {
    }

    private TrainCheck() {
    }

    /** Trains on one process; {@code distOption} other than fp32 goes through a one-rank DistOpt. */
    public static Result run(TrainReference ref, String distOption, float spars, PrintStream out) {
        SonnxModel model = new SonnxModel(ref.model(), CpuDevice.get());
        model.compile(List.of(ref.x()), true, true, false);
        Optimizer sgd = new SGD(ref.lr(), ref.momentum(), ref.weightDecay());
        model.setOptimizer(DistOption.parse(distOption) == DistOption.FP32 ? sgd : new DistOpt(sgd));
        double[] losses = new double[ref.steps()];
        for (int i = 0; i < ref.steps(); i++) {
            losses[i] = model.trainOneBatch(ref.x(), ref.y(), distOption, spars)[1].getDouble(0);
        }
        Tensor logits = model.predict(ref.x()).get(0);
        return report(ref, losses, logits, out);
    }

    /** Prints one line per step and for the final logits, then {@code N passed, M failed}. */
    public static Result report(TrainReference ref, double[] losses, Tensor logits, PrintStream out) {
        int passed = 0;
        for (int i = 0; i < ref.steps(); i++) {
            double expected = ref.losses()[i];
            boolean ok = Math.abs(losses[i] - expected) <= LOSS_RTOL * Math.abs(expected);
            passed += ok ? 1 : 0;
            out.printf("step %d: loss ours=%.7f ref=%.7f %s%n", i, losses[i], expected, ok ? "PASS" : "FAIL");
        }
        String diff = ValueComparator.difference(logits, ref.finalLogits(), Tolerance.ZOO);
        passed += diff == null ? 1 : 0;
        out.println("final logits: " + (diff == null ? "PASS" : "FAIL " + diff));
        int failed = ref.steps() + 1 - passed;
        out.println(passed + " passed, " + failed + " failed");
        return new Result(losses, logits, passed, failed);
    }
}
