package dev.sonnx.runtime.backend;

import dev.sonnx.runtime.SonnxException;
import dev.sonnx.runtime.onnx.proto.Onnx.AttributeProto;
import dev.sonnx.runtime.onnx.proto.Onnx.FunctionProto;
import dev.sonnx.runtime.onnx.proto.Onnx.GraphProto;
import dev.sonnx.runtime.onnx.proto.Onnx.ModelProto;
import dev.sonnx.runtime.onnx.proto.Onnx.NodeProto;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Expands calls of model-local functions ({@code ModelProto.functions}) into their bodies: formal
 * inputs and outputs become the caller's names, internal names get a unique prefix, and attributes
 * that refer to the caller's ({@code ref_attr_name}) take its values.
 */
final class FunctionInliner {
    private static final int MAX_DEPTH = 32;
    /**
     * The most nodes inlining may produce: a function that calls another twice, 32 levels deep, would
     * otherwise expand into 2^32 nodes.
     */
    static final int MAX_INLINED_NODES = 1 << 18;

    private final Map<String, FunctionProto> functions = new HashMap<>();
    private final String model;
    private int counter;
    private int emitted;

    private FunctionInliner(ModelProto m, String model) {
        this.model = model;
        for (FunctionProto f : m.getFunctionsList()) {
            functions.put(key(f.getDomain(), f.getName()), f);
        }
    }

    static ModelProto inline(ModelProto m, String modelName) {
        if (m.getFunctionsCount() == 0) {
            return m;
        }
        FunctionInliner inliner = new FunctionInliner(m, modelName);
        return m.toBuilder().setGraph(inliner.graph(m.getGraph(), 0)).build();
    }

    private static String key(String domain, String name) {
        return Opsets.normalize(domain) + "/" + name;
    }

    private GraphProto graph(GraphProto g, int depth) {
        GraphProto.Builder b = g.toBuilder().clearNode();
        for (NodeProto n : g.getNodeList()) {
            expand(n, b::addNode, depth);
        }
        return b.build();
    }

    private void expand(NodeProto n, java.util.function.Consumer<NodeProto> sink, int depth) {
        FunctionProto f = functions.get(key(n.getDomain(), n.getOpType()));
        if (f == null) {
            if (++emitted > MAX_INLINED_NODES) {
                throw new SonnxException("model " + model + ": inlining its functions makes more than "
                        + MAX_INLINED_NODES + " nodes (at " + Labels.of(n) + ")");
            }
            sink.accept(withInlinedBodies(n, depth));
            return;
        }
        if (depth > MAX_DEPTH) {
            throw new SonnxException("model " + model + ": function '" + f.getName() + "' calls itself"
                    + " (more than " + MAX_DEPTH + " nested calls)");
        }
        String prefix = (n.getName().isEmpty() ? f.getName() : n.getName()) + "#" + (counter++) + "/";
        Map<String, String> rename = new HashMap<>();
        for (int i = 0; i < f.getInputCount(); i++) {
            rename.put(f.getInput(i), i < n.getInputCount() ? n.getInput(i) : "");
        }
        for (int i = 0; i < f.getOutputCount(); i++) {
            rename.put(f.getOutput(i), i < n.getOutputCount() ? n.getOutput(i) : prefix + f.getOutput(i));
        }
        Map<String, AttributeProto> callerAttrs = new HashMap<>();
        for (AttributeProto a : f.getAttributeProtoList()) {
            callerAttrs.put(a.getName(), a);
        }
        for (AttributeProto a : n.getAttributeList()) {
            callerAttrs.put(a.getName(), a);
        }
        for (NodeProto inner : f.getNodeList()) {
            NodeProto.Builder b = inner.toBuilder().clearInput().clearOutput().clearAttribute();
            b.setName(prefix + inner.getName());
            for (String in : inner.getInputList()) {
                b.addInput(in.isEmpty() ? "" : rename.computeIfAbsent(in, k -> prefix + k));
            }
            for (String out : inner.getOutputList()) {
                b.addOutput(out.isEmpty() ? "" : rename.computeIfAbsent(out, k -> prefix + k));
            }
            for (AttributeProto a : inner.getAttributeList()) {
                if (a.hasRefAttrName() && !a.getRefAttrName().isEmpty()) {
                    AttributeProto v = callerAttrs.get(a.getRefAttrName());
                    if (v != null) {
                        b.addAttribute(v.toBuilder().setName(a.getName()));
                    }
                } else {
                    b.addAttribute(a);
                }
            }
            expand(b.build(), sink, depth + 1);
        }
    }

    private NodeProto withInlinedBodies(NodeProto n, int depth) {
        boolean hasBodies = n.getAttributeList().stream().anyMatch(a -> a.hasG() || a.getGraphsCount() > 0);
        if (!hasBodies) {
            return n;
        }
        NodeProto.Builder b = n.toBuilder();
        for (int i = 0; i < b.getAttributeCount(); i++) {
            AttributeProto a = b.getAttribute(i);
            AttributeProto.Builder ab = a.toBuilder();
            if (a.hasG()) {
                ab.setG(graph(a.getG(), depth + 1));
            }
            List<GraphProto> graphs = a.getGraphsList();
            for (int j = 0; j < graphs.size(); j++) {
                ab.setGraphs(j, graph(graphs.get(j), depth + 1));
            }
            b.setAttribute(i, ab);
        }
        return b.build();
    }
}
