package dev.sonnx.runtime.backend;

import dev.sonnx.runtime.onnx.proto.Onnx.GraphProto;
import dev.sonnx.runtime.onnx.proto.Onnx.NodeProto;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;

/**
 * The nodes of a graph in an order where every value is defined before it is read: the file's order
 * when it already is one (the ONNX rule), else a stable topological sort. Kahn's algorithm over a
 * queue keyed by file position, so a hostile graph of n nodes in reverse order costs O(n log n),
 * not n passes over the node list. Nodes that can never run (a cycle, a value nothing defines) are
 * returned apart, in file order, for the caller to report or skip.
 */
final class GraphOrder {
    /** Nodes that can run, in order. */
    final List<NodeProto> ordered;
    /** Nodes left waiting on a value that never comes, in file order. */
    final List<NodeProto> stuck;
    /** Every name defined once the ordered nodes have run (the available names included). */
    final Set<String> defined;
    /** The node that produces each name (the first, if a graph defines a name twice). */
    final Map<String, NodeProto> producer;

    private GraphOrder(List<NodeProto> ordered, List<NodeProto> stuck, Set<String> defined,
                       Map<String, NodeProto> producer) {
        this.ordered = ordered;
        this.stuck = stuck;
        this.defined = defined;
        this.producer = producer;
    }

    /** Orders {@code graph}'s nodes given the names defined before any node runs. */
    static GraphOrder of(GraphProto graph, Set<String> available) {
        List<NodeProto> nodes = graph.getNodeList();
        int n = nodes.size();
        Map<String, NodeProto> producer = new HashMap<>();
        Map<String, Integer> producerIndex = new HashMap<>();
        for (int i = 0; i < n; i++) {
            for (String o : nodes.get(i).getOutputList()) {
                if (!o.isEmpty() && !producer.containsKey(o)) {
                    producer.put(o, nodes.get(i));
                    producerIndex.put(o, i);
                }
            }
        }
        int[] missing = new int[n];
        Map<String, List<Integer>> waiting = new HashMap<>();
        PriorityQueue<Integer> ready = new PriorityQueue<>();
        for (int i = 0; i < n; i++) {
            for (String name : neededNames(nodes.get(i))) {
                if (available.contains(name)) {
                    continue;
                }
                missing[i]++;
                if (producerIndex.containsKey(name)) {
                    waiting.computeIfAbsent(name, k -> new ArrayList<>()).add(i);
                }
            }
            if (missing[i] == 0) {
                ready.add(i);
            }
        }
        Set<String> defined = new HashSet<>(available);
        List<NodeProto> ordered = new ArrayList<>(n);
        boolean[] done = new boolean[n];
        while (!ready.isEmpty()) {
            int i = ready.poll();
            done[i] = true;
            ordered.add(nodes.get(i));
            for (String o : nodes.get(i).getOutputList()) {
                if (o.isEmpty() || !defined.add(o) || producerIndex.get(o) != i) {
                    continue;
                }
                for (int w : waiting.getOrDefault(o, List.of())) {
                    if (--missing[w] == 0) {
                        ready.add(w);
                    }
                }
            }
        }
        List<NodeProto> stuck = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            if (!done[i]) {
                stuck.add(nodes.get(i));
            }
        }
        return new GraphOrder(ordered, stuck, defined, producer);
    }

    /** A node's inputs plus the enclosing-scope names its bodies read (they must exist first too). */
    static Set<String> neededNames(NodeProto n) {
        Set<String> names = new LinkedHashSet<>();
        for (String in : n.getInputList()) {
            if (!in.isEmpty()) {
                names.add(in);
            }
        }
        n.getAttributeList().forEach(a -> {
            if (a.hasG()) {
                names.addAll(GraphScopes.freeNames(a.getG()));
            }
            a.getGraphsList().forEach(g -> names.addAll(GraphScopes.freeNames(g)));
        });
        return names;
    }
}
