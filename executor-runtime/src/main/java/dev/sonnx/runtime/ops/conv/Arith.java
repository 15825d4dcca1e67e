package dev.sonnx.runtime.ops.conv;

import dev.sonnx.runtime.cpu.Blas;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;

/**
 * The row-level arithmetic that the convolution kernels need, in float32 ({@link #F32}) and float64
 * ({@link #F64}): gathers and scatters through a {@link Window#table()}, GEMM, and bias rows. Each
 * call handles whole rows, so the algorithms in {@link ConvGemm} are written once for both precisions
 * without per-element dispatch. Offsets are in elements; buffers are used with absolute indexing.
 */
abstract class Arith {
    static final Arith F32 = new F32();
    static final Arith F64 = new F64();

    /** The arithmetic for tensors of {@code type} (float32 or float64). */
    static Arith of(DataType type) {
        switch (type) {
            case FLOAT: return F32;
            case DOUBLE: return F64;
            default: throw new IllegalArgumentException("no convolution arithmetic for " + type.onnxName());
        }
    }

    /** The typed view of a float32 or float64 tensor's data. */
    abstract Buffer view(Tensor t);

    /** A direct scratch buffer of {@code n} elements (contents unspecified). */
    abstract Buffer scratch(int n);

    /**
     * im2col of channels {@code [c0, c1)}: {@code dst[dstOff + c*KP + j] = src[srcOff + c*imageSize + table[j]]}
     * (0 where the table says padding), KP being the table's length.
     */
    abstract void gather(Buffer src, int srcOff, int imageSize, int[] table, int c0, int c1, Buffer dst, int dstOff);

    /** col2im of channels {@code [c0, c1)}: the adjoint of {@link #gather}, accumulating into {@code dst}. */
    abstract void scatterAdd(Buffer src, int srcOff, int[] table, int c0, int c1, Buffer dst, int dstOff,
                             int imageSize);

    /** C = A * B + beta * C, row-major, with optional transposes (as {@link Blas#sgemm}). */
    abstract void gemm(boolean transA, boolean transB, int m, int n, int k, Buffer a, int aOff, int lda,
                       Buffer b, int bOff, int ldb, double beta, Buffer c, int cOff, int ldc);

    /** Row r of the {@code rows x len} block at {@code dstOff} set to {@code bias[biasOff + r]}. */
    abstract void fillRows(Buffer bias, int biasOff, int rows, int len, Buffer dst, int dstOff);

    /** {@code dst[dstOff + r] += sum of row r} of the {@code rows x len} block at {@code srcOff}. */
    abstract void sumRows(Buffer src, int srcOff, int rows, int len, Buffer dst, int dstOff);

    private static ByteBuffer direct(long bytes) {
        if (bytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("scratch buffer of " + bytes + " bytes is too large");
        }
        return ByteBuffer.allocateDirect((int) Math.max(bytes, 1)).order(ByteOrder.nativeOrder());
    }

    private static final class F32 extends Arith {
        @Override
        Buffer view(Tensor t) {
            return t.floats();
        }

        @Override
        Buffer scratch(int n) {
            return direct(4L * n).asFloatBuffer();
        }

        @Override
        void gather(Buffer src, int srcOff, int imageSize, int[] table, int c0, int c1, Buffer dst, int dstOff) {
            FloatBuffer s = (FloatBuffer) src;
            FloatBuffer d = (FloatBuffer) dst;
            int kp = table.length;
            for (int c = c0; c < c1; c++) {
                int so = srcOff + c * imageSize;
                int dOff = dstOff + c * kp;
                for (int j = 0; j < kp; j++) {
                    int i = table[j];
                    d.put(dOff + j, i < 0 ? 0f : s.get(so + i));
                }
            }
        }

        @Override
        void scatterAdd(Buffer src, int srcOff, int[] table, int c0, int c1, Buffer dst, int dstOff, int imageSize) {
            FloatBuffer s = (FloatBuffer) src;
            FloatBuffer d = (FloatBuffer) dst;
            int kp = table.length;
            for (int c = c0; c < c1; c++) {
                int sOff = srcOff + c * kp;
                int dOff = dstOff + c * imageSize;
                for (int j = 0; j < kp; j++) {
                    int i = table[j];
                    if (i >= 0) {
                        d.put(dOff + i, d.get(dOff + i) + s.get(sOff + j));
                    }
                }
            }
        }

        @Override
        void gemm(boolean transA, boolean transB, int m, int n, int k, Buffer a, int aOff, int lda,
                  Buffer b, int bOff, int ldb, double beta, Buffer c, int cOff, int ldc) {
            Blas.sgemm(transA, transB, m, n, k, 1f, at((FloatBuffer) a, aOff), lda, at((FloatBuffer) b, bOff), ldb,
                    (float) beta, at((FloatBuffer) c, cOff), ldc);
        }

        private static FloatBuffer at(FloatBuffer b, int off) {
            return b.duplicate().position(off);
        }

        @Override
        void fillRows(Buffer bias, int biasOff, int rows, int len, Buffer dst, int dstOff) {
            FloatBuffer b = (FloatBuffer) bias;
            FloatBuffer d = (FloatBuffer) dst;
            for (int r = 0; r < rows; r++) {
                float v = b.get(biasOff + r);
                int o = dstOff + r * len;
                for (int j = 0; j < len; j++) {
                    d.put(o + j, v);
                }
            }
        }

        @Override
        void sumRows(Buffer src, int srcOff, int rows, int len, Buffer dst, int dstOff) {
            FloatBuffer s = (FloatBuffer) src;
            FloatBuffer d = (FloatBuffer) dst;
            for (int r = 0; r < rows; r++) {
                // accumulate in double: rows can be long (batch x spatial) and float sums drift
                double acc = 0;
                int o = srcOff + r * len;
                for (int j = 0; j < len; j++) {
                    acc += s.get(o + j);
                }
                d.put(dstOff + r, (float) (d.get(dstOff + r) + acc));
            }
        }
    }

    private static final class F64 extends Arith {
        @Override
        Buffer view(Tensor t) {
            return t.doubles();
        }

        @Override
        Buffer scratch(int n) {
            return direct(8L * n).asDoubleBuffer();
        }

        @Override
        void gather(Buffer src, int srcOff, int imageSize, int[] table, int c0, int c1, Buffer dst, int dstOff) {
            DoubleBuffer s = (DoubleBuffer) src;
            DoubleBuffer d = (DoubleBuffer) dst;
            int kp = table.length;
            for (int c = c0; c < c1; c++) {
                int so = srcOff + c * imageSize;
                int dOff = dstOff + c * kp;
                for (int j = 0; j < kp; j++) {
                    int i = table[j];
                    d.put(dOff + j, i < 0 ? 0d : s.get(so + i));
                }
            }
        }

        @Override
        void scatterAdd(Buffer src, int srcOff, int[] table, int c0, int c1, Buffer dst, int dstOff, int imageSize) {
            DoubleBuffer s = (DoubleBuffer) src;
            DoubleBuffer d = (DoubleBuffer) dst;
            int kp = table.length;
            for (int c = c0; c < c1; c++) {
                int sOff = srcOff + c * kp;
                int dOff = dstOff + c * imageSize;
                for (int j = 0; j < kp; j++) {
                    int i = table[j];
                    if (i >= 0) {
                        d.put(dOff + i, d.get(dOff + i) + s.get(sOff + j));
                    }
                }
            }
        }

        @Override
        void gemm(boolean transA, boolean transB, int m, int n, int k, Buffer a, int aOff, int lda,
                  Buffer b, int bOff, int ldb, double beta, Buffer c, int cOff, int ldc) {
            Blas.dgemm(transA, transB, m, n, k, 1d, at((DoubleBuffer) a, aOff), lda, at((DoubleBuffer) b, bOff), ldb,
                    beta, at((DoubleBuffer) c, cOff), ldc);
        }

        private static DoubleBuffer at(DoubleBuffer b, int off) {
            return b.duplicate().position(off);
        }

        @Override
        void fillRows(Buffer bias, int biasOff, int rows, int len, Buffer dst, int dstOff) {
            DoubleBuffer b = (DoubleBuffer) bias;
            DoubleBuffer d = (DoubleBuffer) dst;
            for (int r = 0; r < rows; r++) {
                double v = b.get(biasOff + r);
                int o = dstOff + r * len;
                for (int j = 0; j < len; j++) {
                    d.put(o + j, v);
                }
            }
        }

        @Override
        void sumRows(Buffer src, int srcOff, int rows, int len, Buffer dst, int dstOff) {
            DoubleBuffer s = (DoubleBuffer) src;
            DoubleBuffer d = (DoubleBuffer) dst;
            for (int r = 0; r < rows; r++) {
                double acc = 0;
                int o = srcOff + r * len;
                for (int j = 0; j < len; j++) {
                    acc += s.get(o + j);
                }
                d.put(dstOff + r, d.get(dstOff + r) + acc);
            }
        }
    }
}
