package dev.sonnx.runtime.backend;

import dev.sonnx.runtime.onnx.proto.Onnx.AttributeProto;
import dev.sonnx.runtime.onnx.proto.Onnx.TensorProto;
import dev.sonnx.runtime.tensor.DataType;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The type rules of {@link TypeInference}, one per ONNX operator of the default domain: the output
 * types a node makes from its input types and attributes, and the constraints it refuses (inputs
 * that share a type variable, inputs that must be bool or int64, ranks an operator cannot take).
 * An operator without a rule makes outputs of unknown type. Rules stay simple on purpose: they hold
 * for every opset version they are applied to, and compute a dim only when the spec fixes it.
 */
final class TypeRules {
    /** A node's output types; fewer than the node's outputs (or null entries) mean unknown. */
    @FunctionalInterface
    interface Rule {
        ValueType[] apply(TypedNode n);
    }

    private static final DataType BOOL = DataType.BOOL;
    private static final DataType INT64 = DataType.INT64;
    private static final DataType[] INDEX = {DataType.INT32, DataType.INT64};

    private static final Map<String, Rule> RULES = new HashMap<>();

    private TypeRules() {
    }

    /** The node's output types under its operator's rule (all unknown for other domains and unknown ops). */
    static ValueType[] infer(TypedNode n) {
        String domain = n.node.getDomain();
        boolean onnx = domain.isEmpty() || domain.equals("ai.onnx");
        Rule r = onnx && n.opset() > 0 ? RULES.get(n.node.getOpType()) : null;
        return r == null ? new ValueType[0] : r.apply(n);
    }

    private static void rule(Rule r, String... ops) {
        for (String op : ops) {
            RULES.put(op, r);
        }
    }

    private static ValueType[] out(ValueType... types) {
        return types;
    }

    // ---------------------------------------------------------------- elementwise

    /** Same type, same shape as input 0 (any kind of value for Identity). */
    private static ValueType[] sameAsInput(TypedNode n) {
        return out(n.in(0));
    }

    /** Binary or variadic ops over one type T with numpy broadcasting (legacy broadcast before opset 7). */
    private static ValueType[] broadcastSame(TypedNode n, int broadcastSince, DataType result) {
        DataType t = n.sameElem();
        long[] dims = n.opset() >= broadcastSince ? n.broadcast() : n.in(0).dims;
        return out(ValueType.tensor(result != null ? result : t, dims));
    }

    static {
        rule(TypeRules::sameAsInput, "Identity", "Abs", "Neg", "Exp", "Log", "Sqrt", "Reciprocal", "Floor", "Ceil",
                "Round", "Sign", "Sin", "Cos", "Tan", "Asin", "Acos", "Atan", "Sinh", "Cosh", "Asinh", "Acosh",
                "Atanh", "Erf", "Relu", "Sigmoid", "Softplus", "Softsign", "Tanh", "LeakyRelu", "Elu", "Selu",
                "Celu", "ThresholdedRelu", "HardSigmoid", "HardSwish", "Mish", "Gelu", "Softmax", "LogSoftmax",
                "Hardmax", "LRN", "MeanVarianceNormalization", "Shrink", "BitwiseNot", "CumSum", "Trilu",
                "ReverseSequence", "InstanceNormalization");
        rule(n -> broadcastSame(n, 7, null), "Add", "Sub", "Mul", "Div", "Mod", "BitShift", "BitwiseAnd",
                "BitwiseOr", "BitwiseXor");
        rule(n -> broadcastSame(n, 8, null), "Max", "Min", "Sum", "Mean");
        rule(n -> broadcastSame(n, 7, BOOL), "Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual");
        rule(n -> {
            for (int i = 0; i < n.inputCount(); i++) {
                n.elemIn(i, "a logical operand", BOOL);
            }
            return broadcastSame(n, 7, BOOL);
        }, "And", "Or", "Xor");
        rule(n -> {
            n.elemIn(0, "the operand", BOOL);
            return out(ValueType.tensor(BOOL, n.in(0).dims));
        }, "Not");
        rule(n -> out(ValueType.tensor(BOOL, n.in(0).dims)), "IsNaN", "IsInf");
        // Pow's exponent has its own type variable (T1) from opset 12, and may differ before too in practice.
        rule(n -> out(ValueType.tensor(n.elem(0), n.opset() >= 7 ? n.broadcast(0, 1) : n.in(0).dims)), "Pow");
        rule(n -> {
            n.sameElem(0, 1);
            return out(n.in(0));
        }, "PRelu");
        rule(n -> {
            if (n.opset() >= 11) {
                n.sameElem(0, 1, 2);
            }
            return out(n.in(0));
        }, "Clip");
        rule(n -> {
            n.elemIn(0, "the condition", BOOL);
            DataType t = n.sameElem(1, 2);
            return out(ValueType.tensor(t, n.broadcast(0, 1, 2)));
        }, "Where");
        // the mask is bool from opset 10, of the data's type before
        rule(n -> out(n.in(0), ValueType.tensor(n.opset() >= 10 ? BOOL : n.elem(0), n.in(0).dims)), "Dropout");
    }

    // ---------------------------------------------------------------- types and shapes as values

    private static ValueType castTo(TypedNode n) {
        long to = n.intAttribute("to", 0);
        DataType t = to > 0 && to < Integer.MAX_VALUE ? ValueType.elemOrNull((int) to) : null;
        return ValueType.tensor(t, n.in(0).dims);
    }

    static {
        rule(n -> out(castTo(n)), "Cast");
        rule(n -> out(ValueType.tensor(n.elem(1), n.in(0).dims)), "CastLike");
        rule(n -> {
            boolean whole = n.attribute("start") == null && n.attribute("end") == null;
            long[] dims = {whole && n.rank(0) >= 0 ? n.rank(0) : -1};
            return out(ValueType.tensor(INT64, dims));
        }, "Shape");
        rule(n -> out(ValueType.tensor(INT64, new long[0])), "Size");
        rule(n -> out(constant(n)), "Constant");
        rule(n -> {
            n.elemIn(0, "the shape", INT64);
            AttributeProto value = n.attribute("value");
            DataType t = value != null && value.hasT() ? ValueType.elemOrNull(value.getT().getDataType())
                    : DataType.FLOAT;
            return out(ValueType.ofRank(t, lengthOf(n, 0)));
        }, "ConstantOfShape");
        rule(n -> out(ValueType.ofRank(n.sameElem(0, 1, 2), 1)), "Range");
        rule(n -> out(ValueType.ofRank(dtype(n, n.elem(0)), 2)), "EyeLike");
        rule(n -> out(ValueType.ofRank(dtype(n, DataType.FLOAT), ints(n, "shape").length)),
                "RandomNormal", "RandomUniform");
        rule(n -> out(ValueType.tensor(dtype(n, n.elem(0)), n.in(0).dims)), "RandomNormalLike",
                "RandomUniformLike", "Bernoulli");
        rule(n -> out(ValueType.ofRank(dtype(n, DataType.INT32), 2)), "Multinomial");
    }

    /** The node's {@code dtype} attribute as a type, or {@code otherwise} when absent or invalid. */
    private static DataType dtype(TypedNode n, DataType otherwise) {
        long d = n.intAttribute("dtype", 0);
        DataType t = d > 0 && d < Integer.MAX_VALUE ? ValueType.elemOrNull((int) d) : null;
        return t != null ? t : otherwise;
    }

    private static long[] ints(TypedNode n, String name) {
        long[] v = n.intsAttribute(name);
        return v == null ? new long[0] : v;
    }

    /** The length of a rank-1 input (a shape, axes, repeats), or -1 when unknown. */
    private static int lengthOf(TypedNode n, int i) {
        long d = n.rank(i) == 1 ? n.in(i).dim(0) : -1;
        return d >= 0 && d < Integer.MAX_VALUE ? (int) d : -1;
    }

    /** The type of a Constant node's value, from whichever value attribute it has. */
    private static ValueType constant(TypedNode n) {
        for (AttributeProto a : n.node.getAttributeList()) {
            switch (a.getName()) {
                case "value" -> {
                    return a.hasT() ? ValueType.of(a.getT()) : ValueType.UNKNOWN;
                }
                case "sparse_value" -> {
                    DataType t = ValueType.elemOrNull(a.getSparseTensor().getValues().getDataType());
                    return ValueType.tensor(t, ValueType.of(TensorProto.newBuilder()
                            .addAllDims(a.getSparseTensor().getDimsList()).build()).dims);
                }
                case "value_float" -> {
                    return ValueType.tensor(DataType.FLOAT, new long[0]);
                }
                case "value_floats" -> {
                    return ValueType.tensor(DataType.FLOAT, new long[] {a.getFloatsCount()});
                }
                case "value_int" -> {
                    return ValueType.tensor(INT64, new long[0]);
                }
                case "value_ints" -> {
                    return ValueType.tensor(INT64, new long[] {a.getIntsCount()});
                }
                case "value_string" -> {
                    return ValueType.tensor(DataType.STRING, new long[0]);
                }
                case "value_strings" -> {
                    return ValueType.tensor(DataType.STRING, new long[] {a.getStringsCount()});
                }
                default -> {
                    // not a value attribute
                }
            }
        }
        return ValueType.UNKNOWN;
    }

    // ---------------------------------------------------------------- linear algebra and convolution

    private static ValueType matMul(TypedNode n) {
        DataType t = n.sameElem(0, 1);
        n.rankAtLeast(0, 1, "A");
        n.rankAtLeast(1, 1, "B");
        int ra = n.rank(0);
        int rb = n.rank(1);
        if (ra < 0 || rb < 0) {
            return ValueType.tensor(t);
        }
        long k1 = n.in(0).dim(-1);
        long k2 = rb == 1 ? n.in(1).dim(0) : n.in(1).dim(-2);
        if (k1 >= 0 && k2 >= 0 && k1 != k2) {
            throw n.error(n.describe(0) + " and " + n.describe(1) + " cannot be multiplied (inner dimensions "
                    + k1 + " and " + k2 + ")");
        }
        long[] a = ra >= 2 ? Arrays.copyOf(n.in(0).dims, ra - 2) : new long[0];
        long[] b = rb >= 2 ? Arrays.copyOf(n.in(1).dims, rb - 2) : new long[0];
        long[] batch = n.withInputs(ValueType.tensor(t, a), ValueType.tensor(t, b)).broadcast();
        int extra = (ra >= 2 ? 1 : 0) + (rb >= 2 ? 1 : 0);
        long[] dims = Arrays.copyOf(batch, batch.length + extra);
        int k = batch.length;
        if (ra >= 2) {
            dims[k++] = n.in(0).dim(-2);
        }
        if (rb >= 2) {
            dims[k] = n.in(1).dim(-1);
        }
        return ValueType.tensor(t, dims);
    }

    private static ValueType gemm(TypedNode n) {
        DataType t = n.sameElem(0, 1, 2);
        n.rankIs(0, 2, "A");
        n.rankIs(1, 2, "B");
        boolean ta = n.intAttribute("transA", 0) != 0;
        boolean tb = n.intAttribute("transB", 0) != 0;
        long m = n.in(0).dim(ta ? 1 : 0);
        long ka = n.in(0).dim(ta ? 0 : 1);
        long kb = n.in(1).dim(tb ? 1 : 0);
        long cols = n.in(1).dim(tb ? 0 : 1);
        if (ka >= 0 && kb >= 0 && ka != kb) {
            throw n.error(n.describe(0) + " and " + n.describe(1) + " cannot be multiplied (K is " + ka + " in A and "
                    + kb + " in B, with transA = " + (ta ? 1 : 0) + ", transB = " + (tb ? 1 : 0) + ")");
        }
        if (n.rank(2) > 2) {
            throw n.error(n.describe(2) + ": C must have rank 2 or less");
        }
        return ValueType.tensor(t, new long[] {m, cols});
    }

    private static ValueType conv(TypedNode n, boolean transposed) {
        DataType t = n.sameElem(0, 1, 2);
        n.rankAtLeast(0, 3, "X");
        int r = n.rank(0);
        if (r >= 0 && n.rank(1) >= 0 && n.rank(1) != r) {
            throw n.error(n.describe(1) + ": the weights must have the rank of X (" + r + ")");
        }
        long group = n.intAttribute("group", 1);
        long c = n.in(0).dim(1);
        long wc = n.in(1).dim(transposed ? 0 : 1);
        if (!transposed && c >= 0 && wc >= 0 && group > 0 && c != wc * group) {
            throw n.error(n.describe(0) + " has " + c + " channels but " + n.describe(1) + " expects " + wc
                    + " per group x " + group + " groups");
        }
        if (transposed && c >= 0 && wc >= 0 && c != wc) {
            throw n.error(n.describe(0) + " has " + c + " channels but " + n.describe(1) + " expects " + wc);
        }
        return ValueType.ofRank(t, r);
    }

    static {
        rule(n -> out(matMul(n)), "MatMul");
        rule(n -> out(gemm(n)), "Gemm");
        rule(n -> out(conv(n, false)), "Conv");
        rule(n -> out(conv(n, true)), "ConvTranspose");
        rule(n -> out(ValueType.tensor(n.sameElem(), null)), "Einsum");
        rule(n -> {
            n.rankAtLeast(0, 3, "X");
            return out(ValueType.ofRank(n.elem(0), n.rank(0)), ValueType.ofRank(INT64, n.rank(0)));
        }, "MaxPool", "AveragePool", "LpPool");
        rule(n -> {
            n.rankAtLeast(0, 3, "X");
            long[] d = n.in(0).dims;
            if (d == null) {
                return out(ValueType.tensor(n.elem(0)));
            }
            long[] o = d.clone();
            for (int i = 2; i < o.length; i++) {
                o[i] = 1;
            }
            return out(ValueType.tensor(n.elem(0), o));
        }, "GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool");
        rule(n -> out(n.in(0)), "BatchNormalization", "LayerNormalization", "GroupNormalization");
    }

    // ---------------------------------------------------------------- moving data around

    private static ValueType concat(TypedNode n) {
        DataType t = n.sameElem();
        int rank = -1;
        int first = -1;
        for (int i = 0; i < n.inputCount(); i++) {
            int r = n.rank(i);
            if (r < 0) {
                continue;
            }
            if (rank < 0) {
                rank = r;
                first = i;
            } else if (r != rank) {
                throw n.error(n.describe(i) + " and " + n.describe(first) + " must have the same rank");
            }
        }
        return ValueType.ofRank(t, rank);
    }

    private static ValueType transpose(TypedNode n) {
        long[] d = n.in(0).dims;
        long[] perm = ints(n, "perm");
        if (d == null) {
            return ValueType.ofRank(n.elem(0), perm.length > 0 ? perm.length : -1);
        }
        if (perm.length == 0) {
            long[] o = new long[d.length];
            for (int i = 0; i < d.length; i++) {
                o[i] = d[d.length - 1 - i];
            }
            return ValueType.tensor(n.elem(0), o);
        }
        if (perm.length != d.length) {
            throw n.error(n.describe(0) + ": perm " + Arrays.toString(perm) + " has " + perm.length
                    + " entries for rank " + d.length);
        }
        long[] o = new long[d.length];
        for (int i = 0; i < perm.length; i++) {
            o[i] = perm[i] >= 0 && perm[i] < d.length ? d[(int) perm[i]] : -1;
        }
        return ValueType.tensor(n.elem(0), o);
    }

    /** The rank after Unsqueeze (+) or Squeeze (-) of the axes given as attribute or input 1. */
    private static int axesCount(TypedNode n) {
        if (n.opset() < 13) {
            AttributeProto a = n.attribute("axes");
            return a == null ? -1 : a.getIntsCount();
        }
        n.elemIn(1, "axes", INT64);
        return n.has(1) ? lengthOf(n, 1) : -1;
    }

    static {
        rule(n -> out(concat(n)), "Concat");
        rule(n -> out(transpose(n)), "Transpose");
        rule(n -> out(ValueType.ofRank(n.elem(0), 2)), "Flatten");
        rule(n -> {
            if (n.opset() < 5) {
                AttributeProto shape = n.attribute("shape");
                return out(ValueType.ofRank(n.elem(0), shape == null ? -1 : shape.getIntsCount()));
            }
            n.elemIn(1, "the shape", INT64);
            return out(ValueType.ofRank(n.elem(0), lengthOf(n, 1)));
        }, "Reshape");
        rule(n -> {
            int k = axesCount(n);
            return out(ValueType.ofRank(n.elem(0), k >= 0 && n.rank(0) >= 0 ? n.rank(0) + k : -1));
        }, "Unsqueeze");
        rule(n -> {
            int k = axesCount(n);
            return out(ValueType.ofRank(n.elem(0), k >= 0 && n.rank(0) >= k ? n.rank(0) - k : -1));
        }, "Squeeze");
        rule(n -> {
            n.elemIn(1, "the indices", INDEX);
            int r = n.rank(0) >= 1 && n.rank(1) >= 0 ? n.rank(0) + n.rank(1) - 1 : -1;
            return out(ValueType.ofRank(n.elem(0), r));
        }, "Gather");
        rule(n -> {
            n.elemIn(1, "the indices", INDEX);
            return out(ValueType.ofRank(n.elem(0), n.rank(1)));
        }, "GatherElements");
        rule(n -> {
            n.elemIn(1, "the indices", INT64);
            return out(ValueType.tensor(n.elem(0)));
        }, "GatherND");
        rule(n -> {
            n.elemIn(1, "the shape", INT64);
            int k = lengthOf(n, 1);
            return out(ValueType.ofRank(n.elem(0), k >= 0 && n.rank(0) >= 0 ? Math.max(k, n.rank(0)) : -1));
        }, "Expand");
        rule(n -> {
            if (n.opset() >= 6) {
                n.elemIn(1, "the repeats", INT64);
            }
            return out(ValueType.ofRank(n.elem(0), n.rank(0)));
        }, "Tile");
        rule(n -> {
            if (n.opset() >= 10) {
                n.elemIn(1, "starts", INDEX);
                n.sameElem(1, 2, 3, 4);
            }
            return out(ValueType.ofRank(n.elem(0), n.rank(0)));
        }, "Slice");
        rule(n -> {
            if (n.opset() >= 11) {
                n.elemIn(1, "the pads", INT64);
                n.sameElem(0, 2);
            }
            return out(ValueType.ofRank(n.elem(0), n.rank(0)));
        }, "Pad");
        rule(n -> {
            if (n.opset() >= 13) {
                n.elemIn(1, "the split", INT64);
            }
            ValueType[] o = new ValueType[n.node.getOutputCount()];
            Arrays.fill(o, ValueType.ofRank(n.elem(0), n.rank(0)));
            return o;
        }, "Split");
        rule(n -> {
            n.sameElem(0, 2);
            return out(n.in(0));
        }, "ScatterElements", "ScatterND", "Scatter");
        rule(n -> out(ValueType.ofRank(n.elem(0), n.rank(0))), "Resize", "Upsample");
        rule(n -> {
            n.rankIs(0, 4, "the input");
            return out(ValueType.ofRank(n.elem(0), 4));
        }, "DepthToSpace", "SpaceToDepth");
        rule(n -> out(ValueType.ofRank(n.elem(2), n.rank(0) >= 0 ? n.rank(0) + 1 : -1)), "OneHot");
        rule(n -> {
            n.elemIn(1, "the condition", BOOL);
            boolean axis = n.attribute("axis") != null;
            return out(ValueType.ofRank(n.elem(0), axis ? n.rank(0) : 1));
        }, "Compress");
    }

    // ---------------------------------------------------------------- reductions and indices

    private static int reducedRank(TypedNode n, boolean keepByDefault) {
        boolean keep = n.intAttribute("keepdims", keepByDefault ? 1 : 0) != 0;
        int r = n.rank(0);
        if (keep || r < 0) {
            return r;
        }
        AttributeProto axes = n.attribute("axes");
        if (axes == null) {
            return -1;
        }
        return r - (int) axes.getIntsList().stream().map(a -> a < 0 ? a + r : a).distinct().count();
    }

    static {
        rule(n -> out(ValueType.ofRank(n.elem(0), reducedRank(n, true))), "ReduceSum", "ReduceMean", "ReduceMax",
                "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp",
                "ReduceSumSquare");
        rule(n -> {
            int r = n.rank(0);
            boolean keep = n.intAttribute("keepdims", 1) != 0;
            return out(ValueType.ofRank(INT64, keep ? r : r >= 1 ? r - 1 : -1));
        }, "ArgMax", "ArgMin");
        rule(n -> {
            if (n.opset() >= 10) {
                n.elemIn(1, "K", INT64);
            }
            return out(ValueType.ofRank(n.elem(0), n.rank(0)), ValueType.ofRank(INT64, n.rank(0)));
        }, "TopK");
        rule(n -> out(ValueType.ofRank(INT64, 2)), "NonZero", "NonMaxSuppression");
        rule(n -> out(ValueType.tensor(n.elem(0)), ValueType.ofRank(INT64, 1), ValueType.ofRank(INT64, 1),
                ValueType.ofRank(INT64, 1)), "Unique");
        rule(n -> out(ValueType.ofRank(n.elem(0), n.rank(0) >= 2 ? n.rank(0) - 2 : -1)), "Det");
    }

    /** The operators that have a rule (for tests and {@code sonnx info}). */
    static List<String> operators() {
        return RULES.keySet().stream().sorted().toList();
    }
}
