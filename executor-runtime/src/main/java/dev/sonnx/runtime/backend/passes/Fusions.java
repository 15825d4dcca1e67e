package dev.sonnx.runtime.backend.passes;

import dev.sonnx.runtime.onnx.proto.Onnx.GraphProto;
import dev.sonnx.runtime.onnx.proto.Onnx.NodeProto;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The chains of nodes one fusion pass replaces: each chain's last node gives way to the fused node
 * (so the graph stays in topological order: every input of the chain is computed before its last
 * node), and the chain's other nodes go. A node belongs to one chain at most.
 */
final class Fusions {
    private final Map<NodeProto, List<NodeProto>> replaceLast = new HashMap<>();
    private final Set<NodeProto> absorbed = new HashSet<>();

    /** Whether {@code n} already belongs to a chain. */
    boolean absorbed(NodeProto n) {
        return absorbed.contains(n);
    }

    /** Whether any of {@code nodes} already belongs to a chain. */
    boolean anyAbsorbed(Collection<NodeProto> nodes) {
        return nodes.stream().anyMatch(absorbed::contains);
    }

    /**
     * Records a chain: {@code fused} (one node or more, in order) takes the place of {@code last};
     * every node of {@code chain} goes.
     */
    void fuse(Collection<NodeProto> chain, NodeProto last, NodeProto... fused) {
        replaceLast.put(last, List.of(fused));
        absorbed.addAll(chain);
    }

    /** Removes {@code n} as part of a chain recorded with {@link #fuse}. */
    void absorb(NodeProto n) {
        absorbed.add(n);
    }

    boolean isEmpty() {
        return replaceLast.isEmpty();
    }

    /** {@code g} with its nodes rewritten: each chain's fused node in place of its last node. */
    GraphProto.Builder rewrite(GraphProto g) {
        GraphProto.Builder out = g.toBuilder().clearNode();
        for (NodeProto n : g.getNodeList()) {
            List<NodeProto> r = replaceLast.get(n);
            if (r != null) {
                r.forEach(out::addNode);
            } else if (!absorbed.contains(n)) {
                out.addNode(n);
            }
        }
        return out;
    }

    /** An ONNX node of type {@code op} with one output and a first input (null-safe). */
    static boolean is(NodeProto n, String op) {
        return n != null && n.getOpType().equals(op) && GraphIndex.isOnnx(n) && n.getOutputCount() == 1
                && n.getInputCount() >= 1 && !n.getInput(0).isEmpty();
    }

    /** The input of binary node {@code n} that is not {@code value}, or null (both are, or it is not binary). */
    static String other(NodeProto n, String value) {
        if (n.getInputCount() != 2) {
            return null;
        }
        String a = n.getInput(0);
        String b = n.getInput(1);
        if (a.equals(value) && !b.equals(value) && !b.isEmpty()) {
            return b;
        }
        return b.equals(value) && !a.equals(value) && !a.isEmpty() ? a : null;
    }
}
