package dev.sonnx.runtime.ops.quant;

import dev.sonnx.runtime.ops.kernel.TypeCheck;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import java.nio.DoubleBuffer;
import java.util.Arrays;

/**
 * Shared steps of ConvInteger and QLinearConv: checking zero points and shifting the quantized data
 * and weights by them into float64 tensors, where the convolution's integer sums stay exact.
 */
final class QuantizedConvInputs {
    private QuantizedConvInputs() {
    }

    /** The single zero point of a per-tensor input (0 when absent), checked to match {@code data}'s type. */
    static int scalarZeroPoint(Tensor zp, Tensor data, String name) {
        if (zp == null) {
            return 0;
        }
        checkType(zp, data, name);
        if (zp.size() != 1 || zp.rank() > 1) {
            throw new IllegalArgumentException("input " + name + " has shape " + Arrays.toString(zp.shape())
                    + ", expected a scalar");
        }
        return (int) zp.getLong(0);
    }

    /**
     * The weight zero points, one per output channel (a scalar is repeated), checked to match the
     * weights' type; zeros when absent.
     */
    static int[] channelZeroPoints(Tensor zp, Tensor w, String name) {
        int m = w.shape()[0];
        int[] r = new int[m];
        if (zp == null) {
            return r;
        }
        checkType(zp, w, name);
        if (zp.size() == 1 && zp.rank() <= 1) {
            Arrays.fill(r, (int) zp.getLong(0));
        } else if (zp.rank() == 1 && zp.size() == m) {
            Rows.loadInts(zp, 0, m, r);
        } else {
            throw new IllegalArgumentException("input " + name + " has shape " + Arrays.toString(zp.shape())
                    + ", expected a scalar or [" + m + "] (one per output channel)");
        }
        return r;
    }

    private static void checkType(Tensor zp, Tensor data, String name) {
        if (zp.dtype() != data.dtype()) {
            throw new IllegalArgumentException("input " + name + " has type " + zp.dtype().onnxName()
                    + ", expected " + data.dtype().onnxName() + " like the data it describes");
        }
    }

    /** x - zeroPoint as float64. */
    static Tensor shifted(Tensor x, int zeroPoint, String name) {
        TypeCheck.require(x, QuantTypes.BYTES, "input " + name);
        Tensor r = Tensor.uninitialized(DataType.DOUBLE, x.shape());
        DoubleBuffer out = r.doubles();
        int n = x.size();
        int[] row = new int[Math.min(n, 1 << 14)];
        for (int start = 0; start < n; start += row.length) {
            int len = Math.min(row.length, n - start);
            Rows.loadInts(x, start, len, row);
            for (int i = 0; i < len; i++) {
                out.put(start + i, row[i] - zeroPoint);
            }
        }
        return r;
    }

    /** w - zeroPoint[m] per output channel m (dimension 0) as float64. */
    static Tensor shiftedPerChannel(Tensor w, int[] zeroPoints, String name) {
        TypeCheck.require(w, QuantTypes.BYTES, "input " + name);
        Tensor r = Tensor.uninitialized(DataType.DOUBLE, w.shape());
        DoubleBuffer out = r.doubles();
        int m = w.shape()[0];
        int per = m == 0 ? 0 : w.size() / m;
        int[] row = new int[per];
        for (int c = 0; c < m; c++) {
            Rows.loadInts(w, c * per, per, row);
            for (int i = 0; i < per; i++) {
                out.put(c * per + i, row[i] - zeroPoints[c]);
            }
        }
        return r;
    }
}
