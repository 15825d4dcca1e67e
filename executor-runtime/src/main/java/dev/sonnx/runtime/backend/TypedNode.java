package dev.sonnx.runtime.backend;

import dev.sonnx.runtime.SonnxException;
import dev.sonnx.runtime.onnx.proto.Onnx.AttributeProto;
import dev.sonnx.runtime.onnx.proto.Onnx.NodeProto;
import dev.sonnx.runtime.tensor.DataType;
import java.util.Arrays;

/**
 * One node as {@link TypeRules} sees it: its inputs' static types, and checks that refuse a
 * contradiction with an error naming the graph, the node and the inputs involved. Checks pass
 * whenever something they compare is unknown.
 */
final class TypedNode {
    private final String graph;
    final NodeProto node;
    private final int opset;
    private final ValueType[] in;

    TypedNode(String graph, NodeProto node, int opset, ValueType[] in) {
        this.graph = graph;
        this.node = node;
        this.opset = opset;
        this.in = in;
    }

    /** The opset version the node binds to (-1 when its domain is not imported). */
    int opset() {
        return opset;
    }

    /** The attribute named {@code name}, or null (the first one, should a hostile node repeat it). */
    AttributeProto attribute(String name) {
        for (AttributeProto a : node.getAttributeList()) {
            if (a.getName().equals(name)) {
                return a;
            }
        }
        return null;
    }

    /** An INT attribute, or {@code otherwise} when absent or of another type (the operator reports that). */
    long intAttribute(String name, long otherwise) {
        AttributeProto a = attribute(name);
        return a != null && a.getType() == AttributeProto.AttributeType.INT ? a.getI() : otherwise;
    }

    /** An INTS attribute, or null when absent or of another type. */
    long[] intsAttribute(String name) {
        AttributeProto a = attribute(name);
        return a != null && a.getType() == AttributeProto.AttributeType.INTS
                ? a.getIntsList().stream().mapToLong(Long::longValue).toArray() : null;
    }

    int inputCount() {
        return in.length;
    }

    /** Whether input {@code i} is given (not omitted). */
    boolean has(int i) {
        return i < in.length && in[i] != null;
    }

    /** Input {@code i}'s type; {@link ValueType#UNKNOWN} when omitted. */
    ValueType in(int i) {
        return has(i) ? in[i] : ValueType.UNKNOWN;
    }

    DataType elem(int i) {
        return in(i).elem;
    }

    int rank(int i) {
        return in(i).rank();
    }

    SonnxException error(String message) {
        return new SonnxException(graph + ": " + Labels.of(node) + ": " + message);
    }

    /** How a message names input {@code i}: {@code input 'x' (float[2, 3])}. */
    String describe(int i) {
        return "input '" + node.getInput(i) + "' (" + in(i).describe() + ")";
    }

    /**
     * Requires the given inputs (all inputs when none are listed), where present and known, to share
     * one element type (an ONNX type variable such as T); returns it, or null when unknown.
     */
    DataType sameElem(int... indices) {
        int[] idx = indices.length > 0 ? indices : all();
        DataType common = null;
        int first = -1;
        for (int i : idx) {
            DataType e = elem(i);
            if (e == null || !in(i).isTensor()) {
                continue;
            }
            if (common == null) {
                common = e;
                first = i;
            } else if (e != common) {
                throw error(describe(i) + " and " + describe(first) + " must have the same element type");
            }
        }
        return common;
    }

    /** Requires input {@code i}, when present and known, to have one of the {@code allowed} element types. */
    void elemIn(int i, String role, DataType... allowed) {
        DataType e = elem(i);
        if (e == null || !in(i).isTensor() || Arrays.asList(allowed).contains(e)) {
            return;
        }
        StringBuilder names = new StringBuilder();
        for (DataType a : allowed) {
            names.append(names.length() > 0 ? " or " : "").append(a.onnxName());
        }
        throw error(describe(i) + ": " + role + " must be " + names);
    }

    /** Requires input {@code i}, when its rank is known, to have exactly {@code rank} dims. */
    void rankIs(int i, int rank, String role) {
        int r = rank(i);
        if (r >= 0 && r != rank) {
            throw error(describe(i) + ": " + role + " must have rank " + rank);
        }
    }

    /** Requires input {@code i}, when its rank is known, to have at least {@code min} dims. */
    void rankAtLeast(int i, int min, String role) {
        int r = rank(i);
        if (r >= 0 && r < min) {
            throw error(describe(i) + ": " + role + " must have rank " + min + " or more");
        }
    }

    /** This node with other input types (for a rule that checks a part of its inputs, as MatMul's batch dims). */
    TypedNode withInputs(ValueType... types) {
        return new TypedNode(graph, node, opset, types);
    }

    /** Every input index. */
    int[] all() {
        int[] idx = new int[in.length];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = i;
        }
        return idx;
    }

    /**
     * The numpy broadcast of the given present inputs' dims; null when a rank is unknown. Two known
     * dims that differ and are neither 1 are refused.
     */
    long[] broadcast(int... indices) {
        int[] idx = indices.length > 0 ? indices : all();
        int rank = 0;
        for (int i : idx) {
            if (!has(i)) {
                continue;
            }
            if (rank(i) < 0) {
                return null;
            }
            rank = Math.max(rank, rank(i));
        }
        long[] out = new long[rank];
        Arrays.fill(out, 1);
        int[] from = new int[rank];
        Arrays.fill(from, -1);
        for (int i : idx) {
            if (!has(i)) {
                continue;
            }
            long[] d = in(i).dims;
            int off = rank - d.length;
            for (int k = 0; k < d.length; k++) {
                long a = out[off + k];
                long b = d[k];
                if (b == 1 || a == b && a >= 0) {
                    continue;
                }
                if (a == 1) {
                    out[off + k] = b;
                    from[off + k] = i;
                } else if (a < 0 || b < 0) {
                    // an unknown dim may be 1 or the other: the result is known only when one side is > 1
                    out[off + k] = a > 1 ? a : b > 1 ? b : -1;
                    if (b > 1) {
                        from[off + k] = i;
                    }
                } else {
                    throw error(describe(from[off + k]) + " and " + describe(i) + " cannot be broadcast together"
                            + " (dimension " + a + " against " + b + ")");
                }
            }
        }
        return out;
    }
}
