package dev.sonnx.runtime.cli;

import dev.sonnx.runtime.tensor.Device;
import dev.sonnx.runtime.train.TrainCheck;
import dev.sonnx.runtime.train.TrainReference;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Set;

/** {@code sonnx train-check DIR}: retrains a reference trajectory and compares every step. */
final class TrainCheckCommand implements Main.Command {

    @Override
    public String usage() {
        return "train-check DIR [--ranks N] [--dist-option fp32|fp16|partialUpdate|sparseTopK|sparseThreshold]"
                + " [--spars S] [--threads N] [--precision fp32|mixed] [--device cpu|cuda:N]";
    }

    @Override
    public int run(String[] argv, PrintStream out) {
        Args a = new Args(argv, Set.of());
        int ranks = a.getInt("ranks", 1);
        String option = a.get("dist-option", "fp32");
        float spars = (float) a.getDouble("spars", 0.05);
        String device = a.get("device", "cpu");
        Main.applyRunOptions(a);
        a.checkAllUsed();
        if (a.positionals().size() != 1) {
            throw new Args.UsageException("give one training reference folder");
        }
        if (ranks < 1) {
            throw new Args.UsageException("--ranks must be at least 1");
        }
        TrainReference ref = TrainReference.load(Path.of(a.positionals().get(0)));
        Device d = Device.parse(device);
        if (!d.isHost() && ranks != 1) {
            throw new Args.UsageException("--ranks above 1 runs on the CPU; use dist-check for a GPU");
        }
        TrainCheck.Result r = d.isHost() ? TrainCheck.runRanks(ref, ranks, option, spars, out)
                : TrainCheck.run(ref, d, option, spars, null, out);
        return r.failed() == 0 ? 0 : 1;
    }
}
