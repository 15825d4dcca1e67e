package dev.sonnx.runtime.ops.kernel;

import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import java.util.EnumSet;
import java.util.Set;

/** The type constraints of operator schemas (T in tensor(float), tensor(int64)...), checked at run. */
public final class TypeCheck {
    private TypeCheck() {
    }

    public static final Set<DataType> FLOATS = EnumSet.of(DataType.FLOAT, DataType.DOUBLE, DataType.FLOAT16,
            DataType.BFLOAT16);
    public static final Set<DataType> INTEGERS = EnumSet.of(DataType.INT8, DataType.INT16, DataType.INT32,
            DataType.INT64, DataType.UINT8, DataType.UINT16, DataType.UINT32, DataType.UINT64);
    public static final Set<DataType> SIGNED = EnumSet.of(DataType.FLOAT, DataType.DOUBLE, DataType.FLOAT16,
            DataType.BFLOAT16, DataType.INT8, DataType.INT16, DataType.INT32, DataType.INT64);
    public static final Set<DataType> NUMERIC = union(FLOATS, INTEGERS);
    public static final Set<DataType> BOOL = EnumSet.of(DataType.BOOL);
    public static final Set<DataType> ALL = EnumSet.complementOf(EnumSet.of(DataType.UNDEFINED));

    @SafeVarargs
    public static Set<DataType> union(Set<DataType>... sets) {
        Set<DataType> r = EnumSet.noneOf(DataType.class);
        for (Set<DataType> s : sets) {
            r.addAll(s);
        }
        return r;
    }

    /** Fails unless {@code t}'s type is allowed; names the input. */
    public static void require(Tensor t, Set<DataType> allowed, String inputName) {
        if (!allowed.contains(t.dtype())) {
            throw new IllegalArgumentException(inputName + " has type " + t.dtype().onnxName()
                    + ", which this operator does not accept");
        }
    }

    /** Fails unless all tensors share one type. */
    public static DataType same(Tensor... ts) {
        DataType t0 = null;
        for (Tensor t : ts) {
            if (t == null) {
                continue;
            }
            if (t0 == null) {
                t0 = t.dtype();
            } else if (t.dtype() != t0) {
                throw new IllegalArgumentException("inputs have different types " + t0.onnxName() + " and "
                        + t.dtype().onnxName());
            }
        }
        return t0;
    }
}
