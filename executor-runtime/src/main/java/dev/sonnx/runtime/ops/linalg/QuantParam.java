package dev.sonnx.runtime.ops.linalg;

import dev.sonnx.runtime.tensor.Shapes;
import dev.sonnx.runtime.tensor.Tensor;

/**
 * A quantization parameter (zero point or scale) of a matmul operand: one value for the whole tensor,
 * one per row of A / column of B shared by every matrix of the batch ([M] or [N]), or one per row or
 * column of each matrix ([D1, ..., M, 1] or [D1, ..., 1, N]).
 */
final class QuantParam {
    private final double[] values;
    private final long[] integers;
    private final int lines;

    private QuantParam(Tensor t, int lines) {
        this.lines = lines;
        this.values = t == null ? new double[] {0} : t.toDoubleArray();
        this.integers = t == null || !t.dtype().isInteger() ? null : t.toLongArray();
    }

    /**
     * Reads {@code t} (null: zero) as the parameter of {@code matrices} matrices with {@code lines}
     * rows (A's parameters) or {@code columns} (B's) each; {@code name} names the input in errors.
     */
    static QuantParam of(Tensor t, int matrices, int lines, boolean columns, String name) {
        if (t != null) {
            int count = t.size();
            if (count != 1 && count != lines && count != (long) matrices * lines) {
                throw new IllegalArgumentException(name + " has shape " + Shapes.toString(t.shape())
                        + ": expected one value, " + lines + " values (one per " + (columns ? "column" : "row")
                        + "), or " + matrices + " x " + lines);
            }
        }
        return new QuantParam(t, lines);
    }

    /** The value for line {@code line} of matrix {@code matrix}. */
    double at(int matrix, int line) {
        return values[index(matrix, line)];
    }

    /** The integer value (zero points) for line {@code line} of matrix {@code matrix}. */
    long integerAt(int matrix, int line) {
        return integers == null ? (long) values[index(matrix, line)] : integers[index(matrix, line)];
    }

    private int index(int matrix, int line) {
        return values.length == 1 ? 0 : (matrix * lines + line) % values.length;
    }

    /** {@code a} minus its per-row zero point: count matrices of rows x cols, row-major. */
    static long[] centerRows(Tensor a, QuantParam zp, int count, int rows, int cols) {
        long[] r = a.toLongArray();
        for (int t = 0; t < count; t++) {
            for (int i = 0; i < rows; i++) {
                long z = zp.integerAt(t, i);
                int o = (t * rows + i) * cols;
                for (int j = 0; j < cols; j++) {
                    r[o + j] -= z;
                }
            }
        }
        return r;
    }

    /** {@code b} minus its per-column zero point: count matrices of rows x cols, row-major. */
    static long[] centerColumns(Tensor b, QuantParam zp, int count, int rows, int cols) {
        long[] r = b.toLongArray();
        for (int t = 0; t < count; t++) {
            for (int i = 0; i < rows; i++) {
                int o = (t * rows + i) * cols;
                for (int j = 0; j < cols; j++) {
                    r[o + j] -= zp.integerAt(t, j);
                }
            }
        }
        return r;
    }
}
