package dev.sonnx.runtime.export;

import static dev.sonnx.runtime.export.OpsetConverter.refuse;
import static dev.sonnx.runtime.export.OpsetConverter.withoutAttribute;

import dev.sonnx.runtime.onnx.proto.Onnx.AttributeProto;
import dev.sonnx.runtime.onnx.proto.Onnx.NodeProto;
import java.util.List;
import java.util.function.Predicate;

/**
 * Attributes that later opsets added to an existing operator. Exported to an opset before one was
 * added, the attribute is dropped where it holds its default (what the older operator did) and the
 * node is refused where it does not: ONNX's checker rejects attributes an operator does not have.
 */
final class AddedAttributes {
    private record Added(String op, String name, int since, Predicate<AttributeProto> isDefault) {
    }

    private static final List<Added> ADDED = List.of(
            new Added("MaxPool", "storage_order", 8, intIs(0)),
            new Added("MaxPool", "ceil_mode", 10, intIs(0)),
            new Added("MaxPool", "dilations", 10, AddedAttributes::allOnes),
            new Added("AveragePool", "ceil_mode", 10, intIs(0)),
            new Added("AveragePool", "dilations", 19, AddedAttributes::allOnes),
            new Added("LpPool", "ceil_mode", 18, intIs(0)),
            new Added("LpPool", "dilations", 18, AddedAttributes::allOnes),
            new Added("DepthToSpace", "mode", 11, stringIs("DCR")),
            new Added("TopK", "largest", 11, intIs(1)),
            new Added("TopK", "sorted", 11, intIs(1)),
            new Added("ArgMax", "select_last_index", 12, intIs(0)),
            new Added("ArgMin", "select_last_index", 12, intIs(0)),
            new Added("GatherND", "batch_dims", 12, intIs(0)),
            // a seed for a node that inference never randomises
            new Added("Dropout", "seed", 12, a -> true),
            new Added("ReduceSum", "noop_with_empty_axes", 13, intIs(0)),
            new Added("Reshape", "allowzero", 14, intIs(0)),
            new Added("LSTM", "layout", 14, intIs(0)),
            new Added("GRU", "layout", 14, intIs(0)),
            new Added("RNN", "layout", 14, intIs(0)),
            new Added("Shape", "start", 15, intIs(0)),
            new Added("Shape", "end", 15, a -> false),
            new Added("ScatterElements", "reduction", 16, stringIs("none")),
            new Added("ScatterND", "reduction", 16, stringIs("none")),
            new Added("Cast", "saturate", 19, intIs(1)));

    /** The reductions that took noop_with_empty_axes with their axes input at opset 18. */
    private static final List<String> REDUCTIONS_AT_18 = List.of("ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd",
            "ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare");

    private AddedAttributes() {
    }

    /** {@code n} without the attributes opset {@code to} lacks, where they hold their defaults. */
    static NodeProto forOpset(NodeProto n, int to) {
        String op = n.getOpType();
        for (Added a : ADDED) {
            if (a.op.equals(op) && to < a.since) {
                n = dropped(n, a.name, a.since, a.isDefault, to);
            }
        }
        if (to < 18 && REDUCTIONS_AT_18.contains(op)) {
            n = dropped(n, "noop_with_empty_axes", 18, intIs(0), to);
        }
        if (op.equals("MaxPool") && to < 8 && n.getOutputCount() > 1 && !n.getOutput(1).isEmpty()) {
            throw refuse(n, to, "its Indices output exists only from opset 8");
        }
        return n;
    }

    private static NodeProto dropped(NodeProto n, String name, int since, Predicate<AttributeProto> isDefault, int to) {
        for (AttributeProto a : n.getAttributeList()) {
            if (a.getName().equals(name)) {
                if (!isDefault.test(a)) {
                    throw refuse(n, to, "its attribute " + name + " exists only from opset " + since
                            + ", and differs from what older opsets did");
                }
                return withoutAttribute(n, name);
            }
        }
        return n;
    }

    private static Predicate<AttributeProto> intIs(long value) {
        return a -> a.getI() == value;
    }

    private static Predicate<AttributeProto> stringIs(String value) {
        return a -> a.getS().toStringUtf8().equals(value);
    }

    private static boolean allOnes(AttributeProto a) {
        return a.getIntsList().stream().allMatch(d -> d == 1);
    }
}
