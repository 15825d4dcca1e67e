package dev.sonnx.runtime.ops.nn;

import dev.sonnx.runtime.ops.OpRegistry;
import dev.sonnx.runtime.ops.kernel.TypeCheck;
import dev.sonnx.runtime.tensor.DataType;
import java.util.EnumSet;
import java.util.Set;

/**
 * Operators of this family: the Softmax family (two entries each: the 2-D coercion of opsets 1-12
 * and the single axis of 13), Dropout (1, 7, 10, 12) and the classification losses.
 */
public final class NnOps implements OpRegistry.OpSet {
    /** float, double, float16: the float types before bfloat16 joined at opset 13. */
    private static final Set<DataType> FLOATS_OLD = EnumSet.of(DataType.FLOAT, DataType.DOUBLE, DataType.FLOAT16);

    @Override
    public void register(OpRegistry r) {
        r.add("Softmax", 1, (n, b) -> new Softmax(n, false, true, FLOATS_OLD));
        r.add("Softmax", 13, (n, b) -> new Softmax(n, false, false, TypeCheck.FLOATS));
        r.add("LogSoftmax", 1, (n, b) -> new Softmax(n, true, true, FLOATS_OLD));
        r.add("LogSoftmax", 13, (n, b) -> new Softmax(n, true, false, TypeCheck.FLOATS));
        r.add("Hardmax", 1, (n, b) -> new Hardmax(n, true, FLOATS_OLD));
        r.add("Hardmax", 13, (n, b) -> new Hardmax(n, false, TypeCheck.FLOATS));

        r.add("Dropout", 1, (n, b) -> new Dropout(n, 1, FLOATS_OLD));
        r.add("Dropout", 7, (n, b) -> new Dropout(n, 7, FLOATS_OLD));
        r.add("Dropout", 10, (n, b) -> new Dropout(n, 10, FLOATS_OLD));
        r.add("Dropout", 12, (n, b) -> new Dropout(n, 12, floatsSince13(n.opsetVersion())));

        r.add("NegativeLogLikelihoodLoss", 12, (n, b) -> new NllLoss(n, n.opsetVersion() >= 22
                ? TypeCheck.FLOATS : FLOATS_OLD));
        r.add("SoftmaxCrossEntropyLoss", 12, (n, b) -> new SoftmaxCrossEntropyLoss(n,
                floatsSince13(n.opsetVersion())));
    }

    private static Set<DataType> floatsSince13(int opset) {
        return opset >= 13 ? TypeCheck.FLOATS : FLOATS_OLD;
    }
}
