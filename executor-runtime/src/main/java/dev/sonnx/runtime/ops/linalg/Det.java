package dev.sonnx.runtime.ops.linalg;

import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.ops.kernel.TypeCheck;
import dev.sonnx.runtime.tensor.Shapes;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import java.util.Arrays;

/**
 * Det (11): determinants of the square matrices in the last two dimensions, by LU decomposition with
 * partial pivoting in double precision; the output has the leading (batch) dimensions.
 */
final class Det extends Operator {

    Det(Node node) {
        super(node);
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor x = required(inputs, 0);
        TypeCheck.require(x, TypeCheck.FLOATS, "input X");
        int r = x.rank();
        if (r < 2 || x.dim(-1) != x.dim(-2)) {
            throw new IllegalArgumentException("input X must end in square matrices, got shape "
                    + Shapes.toString(x.shape()));
        }
        int n = x.dim(-1);
        int[] outShape = Arrays.copyOf(x.shape(), r - 2);
        Tensor y = Tensor.uninitialized(x.dtype(), outShape);
        int count = y.size();
        ctx.device().parallelFor(count, (long) n * n * n + 1, (s, e) -> {
            double[] lu = new double[n * n];
            for (int b = s; b < e; b++) {
                int off = b * n * n;
                for (int i = 0; i < n * n; i++) {
                    lu[i] = x.getDouble(off + i);
                }
                y.setDouble(b, determinant(lu, n));
            }
        });
        return outputs(y);
    }

    /** The determinant of the n x n row-major matrix {@code a}, which it overwrites. */
    static double determinant(double[] a, int n) {
        double det = 1;
        for (int c = 0; c < n; c++) {
            int pivot = c;
            double best = Math.abs(a[c * n + c]);
            for (int i = c + 1; i < n; i++) {
                double v = Math.abs(a[i * n + c]);
                if (v > best) {
                    best = v;
                    pivot = i;
                }
            }
            if (best == 0) {
                return 0;
            }
            if (pivot != c) {
                for (int j = c; j < n; j++) {
                    double t = a[c * n + j];
                    a[c * n + j] = a[pivot * n + j];
                    a[pivot * n + j] = t;
                }
                det = -det;
            }
            double p = a[c * n + c];
            det *= p;
            for (int i = c + 1; i < n; i++) {
                double f = a[i * n + c] / p;
                if (f == 0) {
                    continue;
                }
                for (int j = c + 1; j < n; j++) {
                    a[i * n + j] -= f * a[c * n + j];
                }
            }
        }
        return det;
    }
}
