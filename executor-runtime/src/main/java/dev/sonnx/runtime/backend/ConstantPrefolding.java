package dev.sonnx.runtime.backend;

import dev.sonnx.runtime.onnx.TensorProtos;
import dev.sonnx.runtime.onnx.proto.Onnx.AttributeProto;
import dev.sonnx.runtime.onnx.proto.Onnx.GraphProto;
import dev.sonnx.runtime.onnx.proto.Onnx.ModelProto;
import dev.sonnx.runtime.onnx.proto.Onnx.NodeProto;
import dev.sonnx.runtime.onnx.proto.Onnx.TensorProto;
import dev.sonnx.runtime.onnx.proto.Onnx.ValueInfoProto;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Folds, ahead of the inference rewrites, the small values that a graph computes from constants
 * alone. Exporters compute a Pad's pads, a Reshape's shape or a Slice's bounds through chains of
 * ConstantOfShape, Concat, Reshape, Transpose and Cast over constants (PyTorch's {@code F.pad}),
 * and the rewrites of {@code backend.passes} read only initializers and Constant nodes: such a chain
 * hid tinyyolov2's Pad from PadFusion. The plan compiler folds the chain once, on the CPU, and each
 * value of at most {@link #MAX_ELEMENTS} elements that the rest of the graph reads becomes an
 * initializer; the nodes that are then read by nothing are dropped.
 *
 * <p>Only standard operators without subgraphs take part; a value that a nested body names, or that
 * is a graph output, stays with the node that computes it, and so does every output of a node that
 * stays for another one. Initializers and Constant nodes larger
 * than the bound are left out too: weights are the plan compiler's business, and copying them
 * here would only cost memory.
 */
final class ConstantPrefolding {
    /** The largest value, in elements, that becomes an initializer (shapes, pads, axes, scalars). */
    static final int MAX_ELEMENTS = 1 << 12;

    private ConstantPrefolding() {
    }

    /**
     * {@code model} with its small constant-computed values as initializers; {@code model} itself
     * when there are none. {@code env}: the host's, with constant folding on and no variables.
     */
    static ModelProto apply(ModelProto model, PlanCompiler.Env env) {
        GraphProto g = model.getGraph();
        Set<String> graphInputs = new HashSet<>();
        for (ValueInfoProto in : g.getInputList()) {
            graphInputs.add(in.getName());
        }
        Map<String, TensorProto> smallInitializers = new LinkedHashMap<>();
        for (TensorProto t : g.getInitializerList()) {
            if (!graphInputs.contains(t.getName()) && TensorProtos.elementCount(t) <= MAX_ELEMENTS) {
                smallInitializers.put(t.getName(), t);
            }
        }
        Set<String> known = new HashSet<>(smallInitializers.keySet());
        List<NodeProto> candidates = new ArrayList<>();
        Set<String> candidateOutputs = new HashSet<>();
        for (NodeProto n : g.getNodeList()) {
            if (foldable(n, known)) {
                candidates.add(n);
                for (String o : n.getOutputList()) {
                    if (!o.isEmpty()) {
                        known.add(o);
                        candidateOutputs.add(o);
                    }
                }
            }
        }
        if (candidates.isEmpty()) {
            return model;
        }
        // what the rest of the graph reads from the candidates
        Set<String> pinned = new HashSet<>();
        for (ValueInfoProto out : g.getOutputList()) {
            pinned.add(out.getName());
        }
        for (NodeProto n : g.getNodeList()) {
            collectSubgraphNames(n, pinned);
        }
        Set<String> constantNodeOutputs = new HashSet<>();
        for (NodeProto n : g.getNodeList()) {
            if (n.getOpType().equals("Constant")) {
                constantNodeOutputs.addAll(n.getOutputList());
            }
        }
        Set<String> frontier = new LinkedHashSet<>();
        Set<NodeProto> candidateSet = new HashSet<>(candidates);
        for (NodeProto n : g.getNodeList()) {
            if (candidateSet.contains(n)) {
                continue;
            }
            for (String in : n.getInputList()) {
                if (candidateOutputs.contains(in) && !pinned.contains(in) && !constantNodeOutputs.contains(in)) {
                    frontier.add(in);
                }
            }
        }
        if (frontier.isEmpty()) {
            return model;
        }
        Map<String, TensorProto> folded = fold(g, candidates, smallInitializers, frontier, env);
        if (folded.isEmpty()) {
            return model;
        }
        return model.toBuilder().setGraph(rewrite(g, candidateSet, folded, pinned)).build();
    }

    /**
     * Whether node {@code n} computes from {@code known} constants alone by a standard, deterministic
     * operator without subgraphs (a Constant node only when its value is small).
     */
    private static boolean foldable(NodeProto n, Set<String> known) {
        if (!n.getDomain().isEmpty() && !n.getDomain().equals("ai.onnx")) {
            return false;
        }
        if (n.getOpType().startsWith("Random") || n.getOpType().equals("Bernoulli")
                || n.getOpType().equals("Multinomial")) {
            return false;
        }
        for (AttributeProto a : n.getAttributeList()) {
            if (a.hasG() || a.getGraphsCount() > 0) {
                return false;
            }
            if (n.getOpType().equals("Constant") && a.hasT() && TensorProtos.elementCount(a.getT()) > MAX_ELEMENTS) {
                return false;
            }
        }
        for (String in : n.getInputList()) {
            if (!in.isEmpty() && !known.contains(in)) {
                return false;
            }
        }
        return n.getOutputCount() > 0;
    }

    /** Runs the candidates through the plan compiler's folding; the frontier's small values as initializers. */
    private static Map<String, TensorProto> fold(GraphProto g, List<NodeProto> candidates,
                                                 Map<String, TensorProto> initializers, Set<String> frontier,
                                                 PlanCompiler.Env env) {
        Set<String> read = new HashSet<>();
        for (NodeProto n : candidates) {
            read.addAll(n.getInputList());
        }
        GraphProto.Builder sub = GraphProto.newBuilder().setName(g.getName() + " (constants)").addAllNode(candidates);
        for (TensorProto t : initializers.values()) {
            if (read.contains(t.getName())) {
                sub.addInitializer(t);
            }
        }
        for (String name : frontier) {
            sub.addOutput(ValueInfoProto.newBuilder().setName(name));
        }
        Plan plan;
        try {
            plan = new PlanCompiler(env, sub.build(), "constants of model " + env.modelName, Set.of()).compile();
        } catch (RuntimeException e) {
            return Map.of();   // the model's own compile reports what is wrong, in its terms
        }
        Map<String, TensorProto> r = new LinkedHashMap<>();
        for (String name : frontier) {
            Value v = plan.constants[plan.slotOf.get(name)];
            if (v instanceof Tensor t && t.isHost() && t.size() <= MAX_ELEMENTS) {
                r.put(name, TensorProtos.fromTensor(t, name));
            }
        }
        return r;
    }

    /**
     * {@code g} with the folded values as initializers and without the candidates that nothing reads
     * any more; {@code pinned}: the graph outputs and the names bodies read, which stay needed.
     */
    private static GraphProto rewrite(GraphProto g, Set<NodeProto> candidates, Map<String, TensorProto> folded,
                                      Set<String> pinned) {
        Set<String> needed = new HashSet<>(pinned);
        List<NodeProto> nodes = g.getNodeList();
        boolean[] keep = new boolean[nodes.size()];
        for (int i = nodes.size() - 1; i >= 0; i--) {
            NodeProto n = nodes.get(i);
            boolean kept = !candidates.contains(n);
            for (String o : n.getOutputList()) {
                kept |= needed.contains(o) && !folded.containsKey(o);
            }
            keep[i] = kept;
            if (kept) {
                needed.addAll(n.getInputList());
            }
        }
        GraphProto.Builder b = g.toBuilder().clearNode();
        Map<String, TensorProto> initializers = new LinkedHashMap<>(folded);
        for (int i = 0; i < nodes.size(); i++) {
            if (keep[i]) {
                b.addNode(nodes.get(i));
                // a node that stays for another output (one too large) still defines this one
                nodes.get(i).getOutputList().forEach(initializers::remove);
            }
        }
        b.addAllInitializer(initializers.values());
        return b.build();
    }

    /** Adds every name that node {@code n}'s subgraphs (at any depth) mention. */
    private static void collectSubgraphNames(NodeProto n, Set<String> into) {
        for (AttributeProto a : n.getAttributeList()) {
            if (a.hasG()) {
                collectGraphNames(a.getG(), into);
            }
            for (GraphProto body : a.getGraphsList()) {
                collectGraphNames(body, into);
            }
        }
    }

    private static void collectGraphNames(GraphProto body, Set<String> into) {
        for (NodeProto n : body.getNodeList()) {
            into.addAll(n.getInputList());
            collectSubgraphNames(n, into);
        }
        for (ValueInfoProto out : body.getOutputList()) {
            into.add(out.getName());
        }
    }
}
