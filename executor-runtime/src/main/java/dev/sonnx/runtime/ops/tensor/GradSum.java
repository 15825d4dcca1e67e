package dev.sonnx.runtime.ops.tensor;

import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;

/**
 * The adjoint of a gather: sums gradient elements into the gradient of an input where several
 * output elements read the same input element (Gather, Tile, Expand, reflect padding...). Sums run
 * in float64 for double gradients and float32 otherwise; float16 and bfloat16 gradients are widened
 * once, summed, and rounded once at the end rather than after every addition.
 */
final class GradSum {
    private final DataType gradType;
    private final Tensor sum;
    private final Tensor source;
    private final FloatBuffer fs;
    private final FloatBuffer fd;
    private final DoubleBuffer ds;
    private final DoubleBuffer dd;

    /** Sums elements of {@code gradOutput} into a zero gradient of {@code shape}. */
    GradSum(Tensor gradOutput, int[] shape) {
        this.gradType = gradOutput.dtype();
        if (!gradType.isFloat()) {
            throw new IllegalArgumentException("gradient of type " + gradType.onnxName() + " is not a float type");
        }
        boolean dbl = gradType == DataType.DOUBLE;
        this.sum = Tensor.zeros(dbl ? DataType.DOUBLE : DataType.FLOAT, shape);
        this.source = dbl || gradType == DataType.FLOAT ? gradOutput : widen(gradOutput);
        this.fs = dbl ? null : source.floats();
        this.fd = dbl ? null : sum.floats();
        this.ds = dbl ? source.doubles() : null;
        this.dd = dbl ? sum.doubles() : null;
    }

    /** sum[dst + k*dstStep] += grad[src + k*srcStep] for k in [0, len). */
    void add(int src, int srcStep, int dst, int dstStep, int len) {
        if (fd != null) {
            for (int k = 0; k < len; k++, src += srcStep, dst += dstStep) {
                fd.put(dst, fd.get(dst) + fs.get(src));
            }
        } else {
            for (int k = 0; k < len; k++, src += srcStep, dst += dstStep) {
                dd.put(dst, dd.get(dst) + ds.get(src));
            }
        }
    }

    /** sum[dstIdx[from + k]] += grad[src + k] for k in [0, len). */
    void scatterAdd(int src, int[] dstIdx, int from, int len) {
        if (fd != null) {
            for (int k = 0; k < len; k++) {
                int d = dstIdx[from + k];
                fd.put(d, fd.get(d) + fs.get(src + k));
            }
        } else {
            for (int k = 0; k < len; k++) {
                int d = dstIdx[from + k];
                dd.put(d, dd.get(d) + ds.get(src + k));
            }
        }
    }

    /** The summed gradient, in the gradient's own type. */
    Tensor result() {
        if (sum.dtype() == gradType) {
            return sum;
        }
        Tensor r = Tensor.uninitialized(gradType, sum.shape());
        for (int i = 0; i < r.size(); i++) {
            r.setFloat(i, fd.get(i));
        }
        return r;
    }

    private static Tensor widen(Tensor t) {
        Tensor r = Tensor.uninitialized(DataType.FLOAT, t.shape());
        FloatBuffer f = r.floats();
        for (int i = 0; i < t.size(); i++) {
            f.put(i, t.getFloat(i));
        }
        return r;
    }
}
