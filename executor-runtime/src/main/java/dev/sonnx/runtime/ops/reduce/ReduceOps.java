package dev.sonnx.runtime.ops.reduce;

import dev.sonnx.runtime.ops.OpRegistry;
import dev.sonnx.runtime.ops.kernel.TypeCheck;
import dev.sonnx.runtime.tensor.DataType;
import java.util.EnumSet;
import java.util.Set;

/**
 * Operators of this family: reductions, ArgMax/ArgMin, CumSum, TopK. Entries where the semantics
 * changed (axes attribute to input: ReduceSum-13, the other reductions 18; TopK's k attribute to
 * input at 10, largest/sorted at 11); type-only revisions share an entry and pick their type set
 * by the node's opset.
 */
public final class ReduceOps implements OpRegistry.OpSet {
    /** The reductions' types through opset 12 (bfloat16 comes at 13). */
    private static final Set<DataType> REDUCE_TYPES = EnumSet.of(DataType.FLOAT, DataType.DOUBLE,
            DataType.FLOAT16, DataType.INT32, DataType.INT64, DataType.UINT32, DataType.UINT64);
    private static final Set<DataType> FLOAT_TYPES_OLD = EnumSet.of(DataType.FLOAT, DataType.DOUBLE,
            DataType.FLOAT16);

    private static final Set<DataType> CUMSUM_TYPES = EnumSet.of(DataType.FLOAT, DataType.DOUBLE,
            DataType.FLOAT16, DataType.BFLOAT16, DataType.INT32, DataType.INT64, DataType.UINT32, DataType.UINT64);

    @Override
    public void register(OpRegistry r) {
        for (ReduceKind kind : ReduceKind.values()) {
            int inputSince = kind == ReduceKind.SUM ? 13 : 18;
            r.add(kind.opType(), 1, (n, b) -> new ReduceOp(n, kind, reduceTypes(kind, n.opsetVersion()), false));
            r.add(kind.opType(), inputSince,
                    (n, b) -> new ReduceOp(n, kind, reduceTypes(kind, n.opsetVersion()), true));
        }
        r.add("ArgMax", 1, (n, b) -> new ArgMinMax(n, true, since13(TypeCheck.NUMERIC, n.opsetVersion())));
        r.add("ArgMin", 1, (n, b) -> new ArgMinMax(n, false, since13(TypeCheck.NUMERIC, n.opsetVersion())));
        r.add("CumSum", 11, (n, b) -> new CumSum(n, n.opsetVersion() >= 14 ? CUMSUM_TYPES
                : EnumSet.of(DataType.FLOAT, DataType.DOUBLE, DataType.INT32, DataType.INT64, DataType.UINT32,
                        DataType.UINT64)));
        r.add("TopK", 1, (n, b) -> new TopK(n, FLOAT_TYPES_OLD, false));
        r.add("TopK", 10, (n, b) -> new TopK(n, FLOAT_TYPES_OLD, true));
        r.add("TopK", 11, (n, b) -> new TopK(n, TypeCheck.union(FLOAT_TYPES_OLD, TypeCheck.INTEGERS), true));
    }

    /** {@code types} less bfloat16 before opset 13, which added it to most operators. */
    private static Set<DataType> since13(Set<DataType> types, int opset) {
        Set<DataType> r = EnumSet.copyOf(types);
        if (opset < 13) {
            r.remove(DataType.BFLOAT16);
        }
        return r;
    }

    /** bfloat16 from opset 13; int8/uint8 for Max/Min from 12, bool from 20. */
    static Set<DataType> reduceTypes(ReduceKind kind, int opset) {
        Set<DataType> types = EnumSet.copyOf(REDUCE_TYPES);
        if (opset >= 13) {
            types.add(DataType.BFLOAT16);
        }
        if (kind == ReduceKind.MAX || kind == ReduceKind.MIN) {
            if (opset >= 12) {
                types.add(DataType.INT8);
                types.add(DataType.UINT8);
            }
            if (opset >= 20) {
                types.add(DataType.BOOL);
            }
        }
        return types;
    }
}
