package dev.sonnx.runtime.cli;

import dev.sonnx.runtime.backend.SingaBackend;
import dev.sonnx.runtime.backend.SingaRep;
import dev.sonnx.runtime.onnx.ModelIO;
import dev.sonnx.runtime.onnx.ValueProtos;
import dev.sonnx.runtime.onnx.proto.Onnx.ModelProto;
import dev.sonnx.runtime.onnx.proto.Onnx.ValueInfoProto;
import dev.sonnx.runtime.tensor.Device;
import dev.sonnx.runtime.tensor.Value;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** {@code sonnx run}: runs a model on {@code input_N.pb} files and writes {@code output_N.pb} files. */
final class RunCommand implements Main.Command {

    @Override
    public String usage() {
        return "run --model MODEL.onnx --inputs DIR [--outputs DIR] [--device cpu] [--threads N]";
    }

    @Override
    public int run(String[] argv, PrintStream out) {
        Args a = new Args(argv, Set.of());
        Path modelFile = Path.of(a.require("model"));
        Path inputs = Path.of(a.require("inputs"));
        String outDir = a.get("outputs", null);
        Device device = Device.parse(a.get("device", "cpu"));
        Main.applyRunOptions(a);
        a.checkAllUsed();

        ModelProto model = ModelIO.load(modelFile);
        SingaRep rep = SingaBackend.prepare(model, device, SingaBackend.PrepareOptions.DEFAULTS.named(modelFile.toString()));
        List<Value> feeds = new ArrayList<>();
        List<ValueInfoProto> declared = rep.inputs();
        for (int i = 0; i < declared.size(); i++) {
            Path f = inputs.resolve("input_" + i + ".pb");
            if (!Files.exists(f)) {
                throw new Args.UsageException("missing " + f + " for input '" + declared.get(i).getName() + "'");
            }
            feeds.add(ValueProtos.read(f, declared.get(i).getType()));
        }
        long start = System.nanoTime();
        List<Value> results = rep.runValues(feeds, -1, false, null, null);
        double ms = (System.nanoTime() - start) / 1e6;
        for (int i = 0; i < results.size(); i++) {
            String name = rep.outputNames().get(i);
            out.println(name + ": " + results.get(i).describe());
            if (outDir != null) {
                ValueProtos.write(Path.of(outDir).resolve("output_" + i + ".pb"), results.get(i), name);
            }
        }
        out.printf("ran in %.1f ms%n", ms);
        return 0;
    }
}
