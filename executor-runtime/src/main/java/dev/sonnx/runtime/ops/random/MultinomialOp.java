package dev.sonnx.runtime.ops.random;

import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.ops.kernel.TypeCheck;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;

/**
 * Multinomial-7: for each row of input [batch, classes], holding unnormalized log-probabilities,
 * draws {@code sample_size} class indices (int32 by default, or int64 per {@code dtype}), giving
 * output [batch, sample_size].
 */
final class MultinomialOp extends Operator {
    /** Rows drawn from one generator: enough work per block to split across threads. */
    private static final int ROWS_PER_BLOCK = 64;

    private final RandomSource source;
    private final int sampleSize;
    private final DataType dtype;

    MultinomialOp(Node node) {
        super(node);
        this.source = RandomSource.of(node);
        this.sampleSize = node.attributes().getInt("sample_size", 1);
        if (sampleSize < 0) {
            throw new IllegalArgumentException("attribute 'sample_size' = " + sampleSize + " is negative");
        }
        this.dtype = DataType.fromCode(node.attributes().getInt("dtype", DataType.INT32.code()));
        if (dtype != DataType.INT32 && dtype != DataType.INT64) {
            throw new IllegalArgumentException("attribute 'dtype' = " + dtype.onnxName() + " must be int32 or int64");
        }
    }

    @Override
    public boolean deterministic() {
        return false;
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor x = required(inputs, 0);
        TypeCheck.require(x, TypeCheck.FLOATS, "input");
        if (x.rank() != 2) {
            throw new IllegalArgumentException("input is " + x.describe() + ", expected [batch_size, class_size]");
        }
        int batch = x.shape()[0];
        int classes = x.shape()[1];
        if (classes == 0 && sampleSize > 0 && batch > 0) {
            throw new IllegalArgumentException("input has no classes to draw from");
        }
        Tensor out = Tensor.uninitialized(dtype, batch, sampleSize);
        long cost = classes + sampleSize * (long) (32 - Integer.numberOfLeadingZeros(Math.max(classes, 1)));
        source.fill(batch, ROWS_PER_BLOCK, cost, ctx, (s, e, r) -> {
            double[] cdf = new double[classes];
            for (int b = s; b < e; b++) {
                int row = b * classes;
                double max = Double.NEGATIVE_INFINITY;
                for (int c = 0; c < classes; c++) {
                    max = Math.max(max, x.getDouble(row + c));
                }
                double total = 0;
                for (int c = 0; c < classes; c++) {
                    total += Math.exp(x.getDouble(row + c) - max);
                    cdf[c] = total;
                }
                if (!(total > 0) || Double.isInfinite(total)) {
                    throw new IllegalArgumentException("row " + b + " of the input gives no valid distribution"
                            + " (its log-probabilities are NaN or all -inf)");
                }
                for (int k = 0; k < sampleSize; k++) {
                    out.setLong(b * sampleSize + k, firstAbove(cdf, r.nextDouble() * total));
                }
            }
        });
        return outputs(out);
    }

    /** The first class whose cumulative weight exceeds {@code u} (binary search). */
    private static int firstAbove(double[] cdf, double u) {
        int lo = 0;
        int hi = cdf.length - 1;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (cdf[mid] > u) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        return lo;
    }
}
