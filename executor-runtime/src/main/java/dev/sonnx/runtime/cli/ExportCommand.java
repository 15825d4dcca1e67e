package dev.sonnx.runtime.cli;

import dev.sonnx.runtime.backend.SingaBackend;
import dev.sonnx.runtime.backend.SingaRep;
import dev.sonnx.runtime.cpu.CpuDevice;
import dev.sonnx.runtime.export.SingaFrontend;
import dev.sonnx.runtime.onnx.ModelIO;
import dev.sonnx.runtime.onnx.proto.Onnx.ModelProto;
import dev.sonnx.runtime.train.Checkpoints;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Set;

/**
 * {@code sonnx export}: loads a model (or a training checkpoint, whose optimizer state it drops),
 * prepares it, rebuilds it through {@link SingaFrontend} at the chosen opset and writes it atomically.
 */
final class ExportCommand implements Main.Command {

    @Override
    public String usage() {
        return "export --model IN.onnx --out OUT.onnx [--opset N]";
    }

    @Override
    public int run(String[] argv, PrintStream out) {
        Args a = new Args(argv, Set.of());
        Path in = Path.of(a.require("model"));
        Path target = Path.of(a.require("out"));
        int opset = a.getInt("opset", SingaFrontend.DEFAULT_OPSET);
        a.checkAllUsed();
        ModelProto loaded = ModelIO.load(in);
        long step = Checkpoints.step(loaded);
        ModelProto model = Checkpoints.stripTrainingState(loaded);
        SingaRep rep = SingaBackend.prepare(model, CpuDevice.get(),
                SingaBackend.PrepareOptions.DEFAULTS.named(in.toString()).foldConstants(false));
        ModelProto exported = SingaFrontend.toOnnx(rep, opset);
        ModelIO.save(exported, target);
        out.println("wrote " + target + ": opset " + opset + ", " + exported.getGraph().getNodeCount() + " nodes, "
                + exported.getGraph().getInitializerCount() + " initializers"
                + (step > 0 ? " (from the checkpoint of step " + step + ")" : ""));
        return 0;
    }
}
