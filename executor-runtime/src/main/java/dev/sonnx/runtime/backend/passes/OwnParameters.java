package dev.sonnx.runtime.backend.passes;

import dev.sonnx.runtime.onnx.proto.Onnx.GraphProto;
import dev.sonnx.runtime.onnx.proto.Onnx.ModelProto;
import dev.sonnx.runtime.onnx.proto.Onnx.NodeProto;
import dev.sonnx.runtime.onnx.proto.Onnx.TensorProto;
import java.util.Map;
import java.util.Set;

/**
 * Gives every convolution and BatchNormalization of a model to be trained its own weights, biases,
 * scales and statistics where the file merged them. Exporters merge initializers of equal values:
 * PyTorch's keeps one tensor for all the zero biases (or running means) of a freshly initialised
 * network, read directly by the first layer and through an Identity node by each other one. In
 * training each of those layers' parameters and statistics are its own (in PyTorch they are distinct
 * tensors that happened to be equal), a merged one would tie them, and a running statistic updated
 * in place must be an initializer. So each input that is an Identity (chain) of an initializer
 * becomes an initializer of the node's own, a copy of the value, named after the node's output and
 * the input ({@code Y::B}); the Identity nodes stay (the graph keeps its node count, which cuts count
 * in). An initializer that several nodes read directly is one parameter used twice (a siamese
 * network's shared layer) and stays shared; so do the inputs of matrix products and gathers.
 */
public final class OwnParameters {
    /** The inputs that are a layer's own, as the names of the copies say, by operator. */
    private static final Map<String, String[]> ROLES = Map.of(
            "BatchNormalization", new String[] {null, "scale", "B", "input_mean", "input_var"},
            "Conv", new String[] {null, "W", "B"},
            "ConvTranspose", new String[] {null, "W", "B"});

    private OwnParameters() {
    }

    public static ModelProto separate(ModelProto model) {
        GraphProto g = model.getGraph();
        GraphIndex index = new GraphIndex(g);
        Set<String> taken = index.names();
        GraphProto.Builder out = g.toBuilder().clearNode();
        boolean changed = false;
        for (NodeProto n : g.getNodeList()) {
            String[] roles = GraphIndex.isOnnx(n) && n.getOutputCount() > 0 ? ROLES.get(n.getOpType()) : null;
            if (roles == null) {
                out.addNode(n);
                continue;
            }
            NodeProto.Builder b = n.toBuilder();
            for (int i = 1; i < Math.min(roles.length, n.getInputCount()); i++) {
                String in = n.getInput(i);
                TensorProto source = mergedSource(in, index);
                if (source == null) {
                    continue;
                }
                String own = GraphIndex.freshName(n.getOutput(0) + "::" + roles[i], taken);
                out.addInitializer(source.toBuilder().setName(own));
                b.setInput(i, own);
                changed = true;
            }
            out.addNode(b);
        }
        return changed ? model.toBuilder().setGraph(out).build() : model;
    }

    /**
     * The initializer behind input {@code value} when it comes through an Identity chain (a value
     * the exporter merged); null for an initializer read directly, or anything computed.
     */
    private static TensorProto mergedSource(String value, GraphIndex index) {
        if (value.isEmpty() || index.constantInitializer(value) != null) {
            return null;
        }
        String v = value;
        for (NodeProto p = index.producer(v); p != null && isIdentity(p); p = index.producer(v)) {
            v = p.getInput(0);
            TensorProto t = index.constantInitializer(v);
            if (t != null) {
                return t;
            }
        }
        return null;
    }

    private static boolean isIdentity(NodeProto n) {
        return n.getOpType().equals("Identity") && GraphIndex.isOnnx(n) && n.getInputCount() == 1
                && !n.getInput(0).isEmpty();
    }

}
