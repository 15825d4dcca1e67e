package dev.sonnx.runtime.ops.reduce;

/**
 * The ten ONNX reductions, each written as a fold over the reduced elements (which elementwise map
 * and which combining operation) followed by a finishing function of the folded value. The kernels
 * in {@link ReduceEngine} only know the folds; the kinds add their finish.
 */
public enum ReduceKind {
    SUM("ReduceSum", Fold.SUM),
    MEAN("ReduceMean", Fold.SUM),
    MAX("ReduceMax", Fold.MAX),
    MIN("ReduceMin", Fold.MIN),
    PROD("ReduceProd", Fold.PROD),
    L1("ReduceL1", Fold.ABS_SUM),
    L2("ReduceL2", Fold.SQUARE_SUM),
    LOG_SUM("ReduceLogSum", Fold.SUM),
    /** Folded in two passes (max, then sum of exp(x - max)) so large inputs do not overflow. */
    LOG_SUM_EXP("ReduceLogSumExp", Fold.EXP_SUM),
    SUM_SQUARE("ReduceSumSquare", Fold.SQUARE_SUM);

    /** The combining step of a reduction and the map applied to each element before it. */
    enum Fold {
        /** x summed. */
        SUM,
        /** |x| summed. */
        ABS_SUM,
        /** x * x summed. */
        SQUARE_SUM,
        /** x multiplied. */
        PROD,
        /** largest x (NaN wins, as in numpy). */
        MAX,
        /** smallest x (NaN wins). */
        MIN,
        /** exp(x - shift) summed, the shift being each output's maximum. */
        EXP_SUM;

        /** The folded value of no elements (float types). */
        double identity() {
            return switch (this) {
                case PROD -> 1;
                case MAX -> Double.NEGATIVE_INFINITY;
                case MIN -> Double.POSITIVE_INFINITY;
                default -> 0;
            };
        }
    }

    private final String opType;
    final Fold fold;

    ReduceKind(String opType, Fold fold) {
        this.opType = opType;
        this.fold = fold;
    }

    public String opType() {
        return opType;
    }

    /** Whether reducing a single element gives the element itself (no map, no finish that changes it). */
    boolean identityOnOneElement() {
        return this == SUM || this == MEAN || this == MAX || this == MIN || this == PROD;
    }

    /**
     * The result from the folded value of {@code count} elements (float types). For LOG_SUM_EXP,
     * {@code acc} is the sum of exp(x - shift).
     */
    double finish(double acc, int count, double shift) {
        return switch (this) {
            case MEAN -> acc / count;
            case L2 -> Math.sqrt(acc);
            case LOG_SUM -> Math.log(acc);
            case LOG_SUM_EXP -> shift + Math.log(acc);
            default -> acc;
        };
    }

    /**
     * The result from the folded value of integers ({@code unsigned}: acc is a uint64 bit pattern).
     * Results that are not integers (mean, L2, log) truncate toward zero, as a cast back does.
     */
    long finish(long acc, int count, boolean unsigned) {
        return switch (this) {
            case MEAN -> count == 0 ? 0 : unsigned ? Long.divideUnsigned(acc, count) : acc / count;
            case L2 -> (long) Math.sqrt(toDouble(acc, unsigned));
            case LOG_SUM -> (long) Math.log(toDouble(acc, unsigned));
            default -> acc;
        };
    }

    static double toDouble(long v, boolean unsigned) {
        return unsigned && v < 0 ? (double) (v >>> 1) * 2.0 + (v & 1) : v;
    }
}
