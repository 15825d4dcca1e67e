package dev.sonnx.runtime.backend;

import dev.sonnx.runtime.SonnxException;
import dev.sonnx.runtime.onnx.proto.Onnx.AttributeProto;
import dev.sonnx.runtime.onnx.proto.Onnx.FunctionProto;
import dev.sonnx.runtime.onnx.proto.Onnx.GraphProto;
import dev.sonnx.runtime.onnx.proto.Onnx.ModelProto;
import dev.sonnx.runtime.onnx.proto.Onnx.NodeProto;
import dev.sonnx.runtime.onnx.proto.Onnx.OperatorSetIdProto;
import java.util.List;
import java.util.Set;

/** Checks at load what does not need the graph compiled: IR version, opset imports, nesting depth. */
public final class ModelValidator {
    /** The newest IR version whose files sonnx reads (IR 11: ONNX 1.18). */
    public static final long MAX_IR_VERSION = 11;
    /** The deepest nesting of graphs (the main graph is level 1, a Loop body in it level 2...). */
    public static final int MAX_GRAPH_DEPTH = 64;

    private static final Set<String> KNOWN_DOMAINS = Set.of("", "ai.onnx", "ai.onnx.ml",
            "ai.onnx.preview.training", "com.microsoft");

    /** The prefix of the attributes that sonnx's inference rewrites put on standard operators. */
    static final String INTERNAL_ATTRIBUTES = "dev.sonnx.";

    private ModelValidator() {
    }

    /** The model's opsets, after checking its IR version and imports; errors name the model. */
    public static Opsets check(ModelProto model, String name) {
        long ir = model.getIrVersion();
        if (!model.hasIrVersion() || ir <= 0) {
            throw new SonnxException("model " + name + " has no IR version (ir_version = " + ir + ")");
        }
        if (ir > MAX_IR_VERSION) {
            throw new SonnxException("model " + name + " has IR version " + ir + "; sonnx reads up to "
                    + MAX_IR_VERSION);
        }
        for (OperatorSetIdProto o : model.getOpsetImportList()) {
            String d = Opsets.normalize(o.getDomain());
            boolean localFunctions = model.getFunctionsList().stream().anyMatch(f -> f.getDomain().equals(d));
            if (!KNOWN_DOMAINS.contains(d) && !localFunctions) {
                throw new SonnxException("model " + name + " imports unknown operator domain '" + o.getDomain()
                        + "' (version " + o.getVersion() + ")");
            }
            if (d.isEmpty() && (o.getVersion() < 1 || o.getVersion() > Opsets.MAX_ONNX_OPSET)) {
                throw new SonnxException("model " + name + " imports ONNX opset " + o.getVersion()
                        + "; sonnx supports opsets 1 to " + Opsets.MAX_ONNX_OPSET);
            }
        }
        Opsets opsets = new Opsets(model.getOpsetImportList(), ir);
        if (opsets.all().isEmpty()) {
            throw new SonnxException("model " + name + " imports no operator set");
        }
        checkNesting(model.getGraph().getNodeList(), 1, name);
        for (FunctionProto f : model.getFunctionsList()) {
            checkNesting(f.getNodeList(), 1, name);
        }
        return opsets;
    }

    /**
     * Refuses graphs nested deeper than {@link #MAX_GRAPH_DEPTH} (If inside Loop inside If...): compiling,
     * checking and running a body recurses once per level, so a hostile depth would overflow the stack.
     * The walk itself stops at the limit. Refuses too the attributes that only sonnx's inference
     * rewrites set ({@value #INTERNAL_ATTRIBUTES}...): they change what a standard operator computes.
     */
    private static void checkNesting(List<NodeProto> nodes, int depth, String model) {
        for (NodeProto n : nodes) {
            for (AttributeProto a : n.getAttributeList()) {
                if (a.getName().startsWith(INTERNAL_ATTRIBUTES)) {
                    throw new SonnxException("model " + model + ": " + Labels.of(n) + " carries attribute '"
                            + a.getName() + "', which only sonnx's own inference plans set");
                }
                if (!a.hasG() && a.getGraphsCount() == 0) {
                    continue;
                }
                if (depth >= MAX_GRAPH_DEPTH) {
                    throw new SonnxException("model " + model + ": " + Labels.of(n) + " nests graphs more"
                            + " than " + MAX_GRAPH_DEPTH + " levels deep (attribute '" + a.getName() + "')");
                }
                if (a.hasG()) {
                    checkNesting(a.getG().getNodeList(), depth + 1, model);
                }
                for (GraphProto g : a.getGraphsList()) {
                    checkNesting(g.getNodeList(), depth + 1, model);
                }
            }
        }
    }
}
