package dev.sonnx.runtime.backend;

import dev.sonnx.runtime.SonnxException;
import dev.sonnx.runtime.onnx.proto.Onnx.AttributeProto;
import dev.sonnx.runtime.onnx.proto.Onnx.GraphProto;
import dev.sonnx.runtime.onnx.proto.Onnx.ModelProto;
import dev.sonnx.runtime.onnx.proto.Onnx.NodeProto;
import dev.sonnx.runtime.onnx.proto.Onnx.SparseTensorProto;
import dev.sonnx.runtime.onnx.proto.Onnx.TensorProto;
import dev.sonnx.runtime.onnx.proto.Onnx.ValueInfoProto;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * A static pass at prepare that propagates element types, and ranks and dims where simple, from graph
 * inputs, initializers and declared {@code value_info} through the rules of {@link TypeRules}, and
 * refuses contradictions with an error naming the node and the value: a node whose inputs break its
 * type constraint (Add of float and int64), a rank an operator cannot take (Gemm of a rank-3
 * input), or a declared type that differs from the inferred one.
 *
 * <p>It is conservative by construction: whatever is unknown (an operator without a rule, a
 * dimension without a value, a value of another domain) stays unknown and is never refused, and a
 * graph whose structure is broken (a cycle, a dangling edge) is checked only where it can be
 * ordered, leaving the structural error to {@link PlanCompiler}. Bodies of If, Loop and Scan are
 * checked with the enclosing values in scope.
 */
final class TypeInference {
    private final Opsets opsets;

    private TypeInference(Opsets opsets) {
        this.opsets = opsets;
    }

    /** Checks a model (its functions already inlined); errors name the model, the node and the value. */
    static void check(ModelProto model, Opsets opsets, String modelName) {
        new TypeInference(opsets).graph(model.getGraph(), "model " + modelName, null);
    }

    /** The values visible in one graph: its own, then those of the graphs around it. */
    private static final class Scope {
        final Map<String, ValueType> local = new HashMap<>();
        final Scope outer;

        Scope(Scope outer) {
            this.outer = outer;
        }

        ValueType lookup(String name) {
            for (Scope s = this; s != null; s = s.outer) {
                ValueType t = s.local.get(name);
                if (t != null) {
                    return t;
                }
            }
            return null;
        }

        Set<String> names() {
            Set<String> all = new HashSet<>();
            for (Scope s = this; s != null; s = s.outer) {
                all.addAll(s.local.keySet());
            }
            return all;
        }
    }

    private void graph(GraphProto g, String label, Scope outer) {
        Scope scope = new Scope(outer);
        for (TensorProto t : g.getInitializerList()) {
            scope.local.putIfAbsent(t.getName(), ValueType.of(t));
        }
        for (SparseTensorProto s : g.getSparseInitializerList()) {
            ValueType values = ValueType.of(s.getValues());
            scope.local.putIfAbsent(s.getValues().getName(), ValueType.tensor(values.elem,
                    ValueType.of(TensorProto.newBuilder().addAllDims(s.getDimsList()).build()).dims));
        }
        for (ValueInfoProto in : g.getInputList()) {
            ValueType declared = ValueType.of(in.getType());
            ValueType initializer = scope.local.get(in.getName());
            if (initializer == null) {
                scope.local.put(in.getName(), declared);
            } else if (initializer.elem != null && declared.elem != null && initializer.elem != declared.elem) {
                throw new SonnxException(label + ": graph input '" + in.getName() + "' is declared "
                        + declared.describe() + " but its initializer is " + initializer.describe());
            }
        }
        Map<String, ValueType> declared = new HashMap<>();
        for (ValueInfoProto v : g.getValueInfoList()) {
            declared.putIfAbsent(v.getName(), ValueType.of(v.getType()));
        }

        GraphOrder order = GraphOrder.of(g, scope.names());
        for (NodeProto np : order.ordered) {
            for (AttributeProto a : np.getAttributeList()) {
                if (a.hasG()) {
                    graph(a.getG(), bodyLabel(label, a.getG()), scope);
                }
                for (GraphProto body : a.getGraphsList()) {
                    graph(body, bodyLabel(label, body), scope);
                }
            }
            ValueType[] in = new ValueType[np.getInputCount()];
            for (int i = 0; i < in.length; i++) {
                String name = np.getInput(i);
                ValueType t = name.isEmpty() ? null : scope.lookup(name);
                in[i] = name.isEmpty() ? null : t == null ? ValueType.UNKNOWN : t;
            }
            ValueType[] out = TypeRules.infer(new TypedNode(label, np, opsets.version(np.getDomain()), in));
            for (int o = 0; o < np.getOutputCount(); o++) {
                String name = np.getOutput(o);
                if (name.isEmpty()) {
                    continue;
                }
                ValueType t = o < out.length && out[o] != null ? out[o] : ValueType.UNKNOWN;
                ValueType d = declared.get(name);
                if (d != null) {
                    agree(t, d, label + ": " + Labels.of(np) + ": output '" + name + "'", "its value_info declares");
                    t = t.completedBy(d);
                }
                scope.local.putIfAbsent(name, t);
            }
        }
        for (ValueInfoProto out : g.getOutputList()) {
            ValueType t = scope.lookup(out.getName());
            if (t != null) {
                agree(t, ValueType.of(out.getType()), label + ": graph output '" + out.getName() + "'",
                        "the graph declares it");
            }
        }
    }

    private static String bodyLabel(String label, GraphProto body) {
        return label + "/" + (body.getName().isEmpty() ? "body" : body.getName());
    }

    /** Refuses an inferred type that contradicts a declared one in element type or rank. */
    private static void agree(ValueType inferred, ValueType declared, String where, String declaredAs) {
        if (!inferred.isTensor() || !declared.isTensor()) {
            return;
        }
        boolean elemDiffers = inferred.elem != null && declared.elem != null && inferred.elem != declared.elem;
        boolean rankDiffers = inferred.rank() >= 0 && declared.rank() >= 0 && inferred.rank() != declared.rank();
        if (elemDiffers || rankDiffers) {
            throw new SonnxException(where + " is " + inferred.describe() + " but " + declaredAs + " "
                    + declared.describe() + " (" + (elemDiffers ? "element type" : "rank") + " differs)");
        }
    }
}
