package dev.sonnx.runtime.cli;

import dev.sonnx.runtime.backend.ModelValidator;
import dev.sonnx.runtime.backend.Opsets;
import dev.sonnx.runtime.onnx.ModelIO;
import dev.sonnx.runtime.onnx.TypeText;
import dev.sonnx.runtime.onnx.proto.Onnx.GraphProto;
import dev.sonnx.runtime.onnx.proto.Onnx.ModelProto;
import dev.sonnx.runtime.onnx.proto.Onnx.NodeProto;
import dev.sonnx.runtime.onnx.proto.Onnx.OperatorSetIdProto;
import dev.sonnx.runtime.onnx.proto.Onnx.TensorProto;
import dev.sonnx.runtime.onnx.proto.Onnx.ValueInfoProto;
import dev.sonnx.runtime.ops.OpRegistry;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/** {@code sonnx info MODEL.onnx}: what a model is and whether sonnx can run it. */
final class InfoCommand implements Main.Command {

    @Override
    public String usage() {
        return "info MODEL.onnx | info --device D";
    }

    @Override
    public int run(String[] argv, PrintStream out) {
        Args a = new Args(argv, Set.of());
        String device = a.get("device", null);
        a.checkAllUsed();
        if (device != null && a.positionals().isEmpty()) {
            out.println(dev.sonnx.runtime.tensor.Device.parse(device).describe());
            return 0;
        }
        if (a.positionals().size() != 1) {
            throw new Args.UsageException("give exactly one model file");
        }
        Path file = Path.of(a.positionals().get(0));
        ModelProto m = ModelIO.load(file);
        GraphProto g = m.getGraph();
        out.println("model:      " + file);
        out.println("ir_version: " + m.getIrVersion());
        out.println("producer:   " + (m.getProducerName() + " " + m.getProducerVersion()).trim());
        StringBuilder ops = new StringBuilder();
        for (OperatorSetIdProto o : m.getOpsetImportList()) {
            ops.append(ops.length() > 0 ? ", " : "").append(o.getDomain().isEmpty() ? "ai.onnx" : o.getDomain())
                    .append(' ').append(o.getVersion());
        }
        out.println("opsets:     " + ops);
        Set<String> initializers = new HashSet<>();
        long params = 0;
        for (TensorProto t : g.getInitializerList()) {
            initializers.add(t.getName());
            long n = 1;
            for (long d : t.getDimsList()) {
                n *= d;
            }
            params += n;
        }
        out.println("inputs:");
        for (ValueInfoProto v : g.getInputList()) {
            if (!initializers.contains(v.getName())) {
                out.println("  " + v.getName() + ": " + TypeText.of(v.getType()));
            }
        }
        out.println("outputs:");
        for (ValueInfoProto v : g.getOutputList()) {
            out.println("  " + v.getName() + ": " + TypeText.of(v.getType()));
        }
        out.println("parameters: " + params + " in " + g.getInitializerCount() + " initializers");
        Map<String, Integer> histogram = new TreeMap<>();
        Set<String> unsupported = new TreeSet<>();
        Opsets opsets = ModelValidator.check(m, file.toString());
        OpRegistry registry = OpRegistry.standard();
        countOps(g, opsets, registry, histogram, unsupported);
        out.println("nodes:      " + g.getNodeCount());
        out.println("operators:");
        histogram.forEach((op, count) -> out.println("  " + op + " x" + count));
        out.println("unsupported: " + (unsupported.isEmpty() ? "none" : String.join(", ", unsupported)));
        return 0;
    }

    private static void countOps(GraphProto g, Opsets opsets, OpRegistry registry, Map<String, Integer> histogram,
                                 Set<String> unsupported) {
        for (NodeProto n : g.getNodeList()) {
            String domain = Opsets.normalize(n.getDomain());
            String key = (domain.isEmpty() ? "" : domain + ".") + n.getOpType();
            histogram.merge(key, 1, Integer::sum);
            int v = opsets.version(domain);
            if (v < 0 || !registry.supports(domain, n.getOpType(), v)) {
                unsupported.add(key + " (opset " + v + ")");
            }
            n.getAttributeList().forEach(attr -> {
                if (attr.hasG()) {
                    countOps(attr.getG(), opsets, registry, histogram, unsupported);
                }
                attr.getGraphsList().forEach(sub -> countOps(sub, opsets, registry, histogram, unsupported));
            });
        }
    }
}
