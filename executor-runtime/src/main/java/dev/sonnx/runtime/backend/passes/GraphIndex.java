package dev.sonnx.runtime.backend.passes;

import dev.sonnx.runtime.backend.GraphScopes;
import dev.sonnx.runtime.onnx.TensorProtos;
import dev.sonnx.runtime.onnx.proto.Onnx.AttributeProto;
import dev.sonnx.runtime.onnx.proto.Onnx.GraphProto;
import dev.sonnx.runtime.onnx.proto.Onnx.NodeProto;
import dev.sonnx.runtime.onnx.proto.Onnx.TensorProto;
import dev.sonnx.runtime.onnx.proto.Onnx.ValueInfoProto;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the rewrite passes ask about a top-level graph: who produces and who reads each value
 * (reads by nested bodies and graph outputs included), the initializers, and the values known at
 * prepare (initializers that are not graph inputs, and Constant nodes' tensors).
 */
final class GraphIndex {
    final GraphProto graph;
    private final Map<String, TensorProto> initializers = new HashMap<>();
    private final Set<String> graphInputs = new HashSet<>();
    private final Set<String> graphOutputs = new HashSet<>();
    private final Map<String, NodeProto> producer = new HashMap<>();
    private final Map<String, List<NodeProto>> readers = new HashMap<>();
    private final Map<String, Integer> reads = new HashMap<>();
    private final Map<String, NodeProto> constantNodes = new HashMap<>();
    /** Declared ranks (graph inputs, outputs and value_info with a shape). */
    private final Map<String, Integer> declaredRanks = new HashMap<>();

    GraphIndex(GraphProto graph) {
        this.graph = graph;
        for (TensorProto t : graph.getInitializerList()) {
            initializers.put(t.getName(), t);
        }
        for (ValueInfoProto v : graph.getInputList()) {
            graphInputs.add(v.getName());
        }
        for (ValueInfoProto v : graph.getOutputList()) {
            graphOutputs.add(v.getName());
        }
        for (List<ValueInfoProto> infos : List.of(graph.getInputList(), graph.getOutputList(),
                graph.getValueInfoList())) {
            for (ValueInfoProto v : infos) {
                if (v.getType().hasTensorType() && v.getType().getTensorType().hasShape()) {
                    declaredRanks.put(v.getName(), v.getType().getTensorType().getShape().getDimCount());
                }
            }
        }
        for (NodeProto n : graph.getNodeList()) {
            for (String o : n.getOutputList()) {
                if (!o.isEmpty()) {
                    producer.put(o, n);
                }
            }
            if (n.getOpType().equals("Constant") && isOnnx(n) && n.getOutputCount() == 1) {
                constantNodes.put(n.getOutput(0), n);
            }
            for (String in : n.getInputList()) {
                if (!in.isEmpty()) {
                    readers.computeIfAbsent(in, k -> new ArrayList<>()).add(n);
                    reads.merge(in, 1, Integer::sum);
                }
            }
            for (AttributeProto a : n.getAttributeList()) {
                if (a.hasG()) {
                    GraphScopes.freeNames(a.getG()).forEach(name -> reads.merge(name, 1, Integer::sum));
                }
                for (GraphProto g : a.getGraphsList()) {
                    GraphScopes.freeNames(g).forEach(name -> reads.merge(name, 1, Integer::sum));
                }
            }
        }
    }

    static boolean isOnnx(NodeProto n) {
        return n.getDomain().isEmpty() || n.getDomain().equals("ai.onnx");
    }

    /** The node that writes {@code value}, or null (graph input, initializer). */
    NodeProto producer(String value) {
        return producer.get(value);
    }

    /**
     * The one node that reads {@code value}, when exactly one node reads it once and nothing else
     * does (no nested body, not a graph output); else null.
     */
    NodeProto soleReader(String value) {
        if (graphOutputs.contains(value) || reads.getOrDefault(value, 0) != 1) {
            return null;
        }
        List<NodeProto> r = readers.get(value);
        return r == null || r.size() != 1 ? null : r.get(0);
    }

    /**
     * The nodes that read {@code value}, one entry per input slot (a node reading it twice appears
     * twice); reads by nested bodies and graph outputs are not listed (see {@link #reads}).
     */
    List<NodeProto> readers(String value) {
        return readers.getOrDefault(value, List.of());
    }

    /** The rank the graph declares for {@code value} (input, output or value_info), or -1. */
    int declaredRank(String value) {
        return declaredRanks.getOrDefault(value, -1);
    }

    /** The initializer named {@code value} when no feed can replace it, else null. */
    TensorProto constantInitializer(String value) {
        return graphInputs.contains(value) ? null : initializers.get(value);
    }

    /** How many times nodes, nested bodies and graph outputs read {@code value}. */
    int reads(String value) {
        return reads.getOrDefault(value, 0) + (graphOutputs.contains(value) ? 1 : 0);
    }

    /** Every name the graph defines or reads (to make fresh names). */
    Set<String> names() {
        Set<String> all = new HashSet<>(initializers.keySet());
        all.addAll(graphInputs);
        all.addAll(graphOutputs);
        all.addAll(producer.keySet());
        all.addAll(reads.keySet());
        return all;
    }

    /** Whether {@code value} is an initializer of type {@code type} that no feed can replace. */
    boolean isConstantInitializer(String value, DataType type) {
        TensorProto t = initializers.get(value);
        return t != null && !graphInputs.contains(value) && t.getDataType() == type.code();
    }

    /** The value of {@code name} when prepare knows it (initializer or Constant node), else null. */
    Tensor constant(String name) {
        TensorProto t = initializers.get(name);
        if (t != null) {
            return graphInputs.contains(name) ? null : TensorProtos.toTensor(t);
        }
        NodeProto c = constantNodes.get(name);
        if (c == null) {
            return null;
        }
        for (AttributeProto a : c.getAttributeList()) {
            if (a.getName().equals("value") && a.hasT()) {
                return TensorProtos.toTensor(a.getT());
            }
        }
        return null;
    }

    /**
     * The single number {@code name} holds when prepare knows it and it is a float32 scalar (rank 0,
     * or rank at most {@code maxRank} with one element); else null.
     */
    Float floatScalar(String name, int maxRank) {
        Tensor t = name.isEmpty() ? null : constant(name);
        return t == null || t.dtype() != DataType.FLOAT || t.size() != 1 || t.rank() > maxRank ? null : t.getFloat(0);
    }

    /** Whether {@code a} is within relative tolerance {@code rel} of {@code b}. */
    static boolean near(double a, double b, double rel) {
        return Math.abs(a - b) <= rel * Math.abs(b);
    }

    /** An integer attribute of a node, or {@code def}. */
    static long intAttr(NodeProto n, String name, long def) {
        for (AttributeProto a : n.getAttributeList()) {
            if (a.getName().equals(name)) {
                return a.getI();
            }
        }
        return def;
    }

    /** An ints attribute of a node, or null when absent. */
    static long[] intsAttr(NodeProto n, String name) {
        for (AttributeProto a : n.getAttributeList()) {
            if (a.getName().equals(name)) {
                return a.getIntsList().stream().mapToLong(Long::longValue).toArray();
            }
        }
        return null;
    }

    /** A float attribute of a node, or {@code def}. */
    static float floatAttr(NodeProto n, String name, float def) {
        for (AttributeProto a : n.getAttributeList()) {
            if (a.getName().equals(name)) {
                return a.getF();
            }
        }
        return def;
    }

    /** A string attribute of a node (UTF-8), or {@code def}. */
    static String stringAttr(NodeProto n, String name, String def) {
        for (AttributeProto a : n.getAttributeList()) {
            if (a.getName().equals(name)) {
                return a.getS().toStringUtf8();
            }
        }
        return def;
    }

    /** Whether a node has the attribute. */
    static boolean hasAttr(NodeProto n, String name) {
        for (AttributeProto a : n.getAttributeList()) {
            if (a.getName().equals(name)) {
                return true;
            }
        }
        return false;
    }

    /** An int attribute named {@code name}. */
    static AttributeProto intAttribute(String name, long value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(value).build();
    }

    /** A float attribute named {@code name}. */
    static AttributeProto floatAttribute(String name, float value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.FLOAT).setF(value).build();
    }

    /** A string attribute named {@code name} (UTF-8). */
    static AttributeProto stringAttribute(String name, String value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.STRING)
                .setS(com.google.protobuf.ByteString.copyFromUtf8(value)).build();
    }

    /** An ints attribute named {@code name}. */
    static AttributeProto intsAttribute(String name, long... values) {
        AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
        for (long v : values) {
            a.addInts(v);
        }
        return a.build();
    }

    /** {@code b} without its attributes named {@code names}. */
    static NodeProto.Builder withoutAttributes(NodeProto.Builder b, String... names) {
        List<String> drop = List.of(names);
        for (int i = b.getAttributeCount() - 1; i >= 0; i--) {
            if (drop.contains(b.getAttribute(i).getName())) {
                b.removeAttribute(i);
            }
        }
        return b;
    }

    /** {@code base}, or {@code base_1}, {@code base_2}... whichever {@code taken} lacks first; added to it. */
    static String freshName(String base, Set<String> taken) {
        String name = base;
        for (int i = 1; taken.contains(name); i++) {
            name = base + "_" + i;
        }
        taken.add(name);
        return name;
    }
}
