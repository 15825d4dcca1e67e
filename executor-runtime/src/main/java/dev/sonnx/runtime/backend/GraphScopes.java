package dev.sonnx.runtime.backend;

import dev.sonnx.runtime.onnx.proto.Onnx.AttributeProto;
import dev.sonnx.runtime.onnx.proto.Onnx.GraphProto;
import dev.sonnx.runtime.onnx.proto.Onnx.NodeProto;
import dev.sonnx.runtime.onnx.proto.Onnx.SparseTensorProto;
import dev.sonnx.runtime.onnx.proto.Onnx.TensorProto;
import dev.sonnx.runtime.onnx.proto.Onnx.ValueInfoProto;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.Set;

/** Name scoping of nested graphs: which names a body reads from the graphs around it. */
public final class GraphScopes {
    private GraphScopes() {
    }

    /** Names read anywhere inside {@code g} (nested bodies included) that {@code g} does not define. */
    public static Set<String> freeNames(GraphProto g) {
        Set<String> defined = new HashSet<>();
        for (ValueInfoProto v : g.getInputList()) {
            defined.add(v.getName());
        }
        for (TensorProto t : g.getInitializerList()) {
            defined.add(t.getName());
        }
        for (SparseTensorProto t : g.getSparseInitializerList()) {
            defined.add(t.getValues().getName());
        }
        for (NodeProto n : g.getNodeList()) {
            defined.addAll(n.getOutputList());
        }
        Set<String> free = new LinkedHashSet<>();
        for (NodeProto n : g.getNodeList()) {
            for (String in : n.getInputList()) {
                if (!in.isEmpty() && !defined.contains(in)) {
                    free.add(in);
                }
            }
            for (AttributeProto a : n.getAttributeList()) {
                if (a.hasG()) {
                    addFree(free, freeNames(a.getG()), defined);
                }
                for (GraphProto sub : a.getGraphsList()) {
                    addFree(free, freeNames(sub), defined);
                }
            }
        }
        for (ValueInfoProto out : g.getOutputList()) {
            if (!defined.contains(out.getName())) {
                free.add(out.getName());
            }
        }
        return free;
    }

    private static void addFree(Set<String> free, Set<String> inner, Set<String> defined) {
        for (String n : inner) {
            if (!defined.contains(n)) {
                free.add(n);
            }
        }
    }
}
