package dev.sonnx.runtime.ops.rnn;

import dev.sonnx.runtime.cpu.Blas;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;

/**
 * A float32 or float64 tensor seen as a flat buffer, so that one recurrence loop serves both
 * precisions: float and float16 layers compute in float32 (sgemm), double layers in float64 (dgemm).
 * Exactly one of {@link #f} and {@link #d} is set for the life of the buffer, so the branch in
 * {@link #get}/{@link #set} is loop-invariant and the JIT hoists it out of the element loops.
 */
final class Buf {
    final Tensor tensor;
    final FloatBuffer f;
    final DoubleBuffer d;

    private Buf(Tensor tensor) {
        this.tensor = tensor;
        this.f = tensor.dtype() == DataType.FLOAT ? tensor.floats() : null;
        this.d = tensor.dtype() == DataType.DOUBLE ? tensor.doubles() : null;
    }

    /** A zero-filled buffer of the compute type. */
    static Buf zeros(boolean dbl, int... shape) {
        return new Buf(Tensor.zeros(dbl ? DataType.DOUBLE : DataType.FLOAT, shape));
    }

    /** {@code t} in the compute type: itself when it has it already, else a converted copy. */
    static Buf of(Tensor t, boolean dbl) {
        DataType want = dbl ? DataType.DOUBLE : DataType.FLOAT;
        if (t.dtype() == want) {
            return new Buf(t);
        }
        Tensor c = Tensor.uninitialized(want, t.shape());
        for (int i = 0; i < t.size(); i++) {
            c.setDouble(i, t.getDouble(i));
        }
        return new Buf(c);
    }

    boolean isDouble() {
        return d != null;
    }

    double get(int i) {
        return f != null ? f.get(i) : d.get(i);
    }

    void set(int i, double v) {
        if (f != null) {
            f.put(i, (float) v);
        } else {
            d.put(i, v);
        }
    }

    /** This buffer's tensor converted to {@code type} (itself when it has that type). */
    Tensor as(DataType type) {
        if (tensor.dtype() == type) {
            return tensor;
        }
        Tensor r = Tensor.uninitialized(type, tensor.shape());
        for (int i = 0; i < r.size(); i++) {
            r.setDouble(i, get(i));
        }
        return r;
    }

    /**
     * C[cOff..] = alpha * op(A[aOff..]) * op(B[bOff..]) + beta * C, row-major with leading
     * dimensions lda, ldb, ldc (see {@link Blas#sgemm}). All three buffers share one precision.
     */
    static void gemm(boolean transA, boolean transB, int m, int n, int k, double alpha,
                     Buf a, int aOff, int lda, Buf b, int bOff, int ldb, double beta, Buf c, int cOff, int ldc) {
        if (c.f != null) {
            Blas.sgemm(transA, transB, m, n, k, (float) alpha, from(a.f, aOff), lda, from(b.f, bOff), ldb,
                    (float) beta, from(c.f, cOff), ldc);
        } else {
            Blas.dgemm(transA, transB, m, n, k, alpha, from(a.d, aOff), lda, from(b.d, bOff), ldb, beta,
                    from(c.d, cOff), ldc);
        }
    }

    /** A view starting at {@code off}, without moving the shared buffer's position. */
    private static FloatBuffer from(FloatBuffer b, int off) {
        return b.slice(off, b.capacity() - off);
    }

    private static DoubleBuffer from(DoubleBuffer b, int off) {
        return b.slice(off, b.capacity() - off);
    }
}
