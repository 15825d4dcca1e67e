package dev.sonnx.runtime.ops.tensor;

import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import java.nio.ByteBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.ShortBuffer;

/**
 * Moves elements from one tensor to another of the same type without looking at their values: as
 * raw units of the type's width (1, 2, 4 or 8 bytes, so float16, double NaN payloads and bools move
 * bit for bit), as references for strings. The shape and indexing operators only rearrange data, so
 * one mover per type width serves every type; the type is dispatched once per call, not per element.
 * Positions are element indices; steps may be 0 (repeat one element) or negative.
 */
abstract class Mover {

    /** A mover from {@code src} to {@code dst}, which must share a type. */
    static Mover of(Tensor src, Tensor dst) {
        if (src.dtype() != dst.dtype()) {
            throw new IllegalArgumentException("cannot move " + src.dtype().onnxName() + " elements into a "
                    + dst.dtype().onnxName() + " tensor");
        }
        if (src.dtype() == DataType.STRING) {
            return new Strings(src.strings(), dst.strings());
        }
        ByteBuffer s = src.bytes();
        ByteBuffer d = dst.bytes();
        switch (src.dtype().byteSize()) {
            case 1: return new Bytes(s, d);
            case 2: return new Shorts(s.asShortBuffer(), d.asShortBuffer());
            case 4: return new Ints(s.asIntBuffer(), d.asIntBuffer());
            case 8: return new Longs(s.asLongBuffer(), d.asLongBuffer());
            default: return new Wide(s, d, src.dtype().byteSize());
        }
    }

    /** dst[dstPos + k*dstStep] = src[srcPos + k*srcStep] for k in [0, len). */
    abstract void copy(int srcPos, int srcStep, int dstPos, int dstStep, int len);

    /** dst[dstPos + k] = src[srcIdx[from + k]] for k in [0, len). */
    abstract void gather(int[] srcIdx, int from, int dstPos, int len);

    /** dst[dstIdx[from + k]] = src[srcPos + k] for k in [0, len). */
    abstract void scatter(int srcPos, int[] dstIdx, int from, int len);

    /** dst[dstPos .. dstPos+len) = src[srcPos .. srcPos+len). */
    final void run(int srcPos, int dstPos, int len) {
        copy(srcPos, 1, dstPos, 1, len);
    }

    /** dst[dstPos .. dstPos+len) = src[srcPos] (a fill value). */
    final void fill(int srcPos, int dstPos, int len) {
        copy(srcPos, 0, dstPos, 1, len);
    }

    /** A copy of {@code t} (any type) on the host. */
    static Tensor copyOf(Tensor t) {
        Tensor r = Tensor.uninitialized(t.dtype(), t.shape());
        of(t, r).run(0, 0, t.size());
        return r;
    }

    private static final class Bytes extends Mover {
        private final ByteBuffer src;
        private final ByteBuffer dst;

        Bytes(ByteBuffer src, ByteBuffer dst) {
            this.src = src;
            this.dst = dst;
        }

        @Override
        void copy(int s, int ss, int d, int ds, int len) {
            if (ss == 1 && ds == 1) {
                dst.put(d, src, s, len);
                return;
            }
            for (int k = 0; k < len; k++, s += ss, d += ds) {
                dst.put(d, src.get(s));
            }
        }

        @Override
        void gather(int[] idx, int from, int d, int len) {
            for (int k = 0; k < len; k++) {
                dst.put(d + k, src.get(idx[from + k]));
            }
        }

        @Override
        void scatter(int s, int[] idx, int from, int len) {
            for (int k = 0; k < len; k++) {
                dst.put(idx[from + k], src.get(s + k));
            }
        }
    }

    private static final class Shorts extends Mover {
        private final ShortBuffer src;
        private final ShortBuffer dst;

        Shorts(ShortBuffer src, ShortBuffer dst) {
            this.src = src;
            this.dst = dst;
        }

        @Override
        void copy(int s, int ss, int d, int ds, int len) {
            if (ss == 1 && ds == 1) {
                dst.put(d, src, s, len);
                return;
            }
            for (int k = 0; k < len; k++, s += ss, d += ds) {
                dst.put(d, src.get(s));
            }
        }

        @Override
        void gather(int[] idx, int from, int d, int len) {
            for (int k = 0; k < len; k++) {
                dst.put(d + k, src.get(idx[from + k]));
            }
        }

        @Override
        void scatter(int s, int[] idx, int from, int len) {
            for (int k = 0; k < len; k++) {
                dst.put(idx[from + k], src.get(s + k));
            }
        }
    }

    private static final class Ints extends Mover {
        private final IntBuffer src;
        private final IntBuffer dst;

        Ints(IntBuffer src, IntBuffer dst) {
            this.src = src;
            this.dst = dst;
        }

        @Override
        void copy(int s, int ss, int d, int ds, int len) {
            if (ss == 1 && ds == 1) {
                dst.put(d, src, s, len);
                return;
            }
            for (int k = 0; k < len; k++, s += ss, d += ds) {
                dst.put(d, src.get(s));
            }
        }

        @Override
        void gather(int[] idx, int from, int d, int len) {
            for (int k = 0; k < len; k++) {
                dst.put(d + k, src.get(idx[from + k]));
            }
        }

        @Override
        void scatter(int s, int[] idx, int from, int len) {
            for (int k = 0; k < len; k++) {
                dst.put(idx[from + k], src.get(s + k));
            }
        }
    }

    private static final class Longs extends Mover {
        private final LongBuffer src;
        private final LongBuffer dst;

        Longs(LongBuffer src, LongBuffer dst) {
            this.src = src;
            this.dst = dst;
        }

        @Override
        void copy(int s, int ss, int d, int ds, int len) {
            if (ss == 1 && ds == 1) {
                dst.put(d, src, s, len);
                return;
            }
            for (int k = 0; k < len; k++, s += ss, d += ds) {
                dst.put(d, src.get(s));
            }
        }

        @Override
        void gather(int[] idx, int from, int d, int len) {
            for (int k = 0; k < len; k++) {
                dst.put(d + k, src.get(idx[from + k]));
            }
        }

        @Override
        void scatter(int s, int[] idx, int from, int len) {
            for (int k = 0; k < len; k++) {
                dst.put(idx[from + k], src.get(s + k));
            }
        }
    }

    /** Elements wider than 8 bytes (complex128) move as byte blocks. */
    private static final class Wide extends Mover {
        private final ByteBuffer src;
        private final ByteBuffer dst;
        private final int width;

        Wide(ByteBuffer src, ByteBuffer dst, int width) {
            this.src = src;
            this.dst = dst;
            this.width = width;
        }

        @Override
        void copy(int s, int ss, int d, int ds, int len) {
            if (ss == 1 && ds == 1) {
                dst.put(d * width, src, s * width, len * width);
                return;
            }
            for (int k = 0; k < len; k++, s += ss, d += ds) {
                dst.put(d * width, src, s * width, width);
            }
        }

        @Override
        void gather(int[] idx, int from, int d, int len) {
            for (int k = 0; k < len; k++) {
                dst.put((d + k) * width, src, idx[from + k] * width, width);
            }
        }

        @Override
        void scatter(int s, int[] idx, int from, int len) {
            for (int k = 0; k < len; k++) {
                dst.put(idx[from + k] * width, src, (s + k) * width, width);
            }
        }
    }

    private static final class Strings extends Mover {
        private final String[] src;
        private final String[] dst;

        Strings(String[] src, String[] dst) {
            this.src = src;
            this.dst = dst;
        }

        @Override
        void copy(int s, int ss, int d, int ds, int len) {
            if (ss == 1 && ds == 1) {
                System.arraycopy(src, s, dst, d, len);
                return;
            }
            for (int k = 0; k < len; k++, s += ss, d += ds) {
                dst[d] = src[s];
            }
        }

        @Override
        void gather(int[] idx, int from, int d, int len) {
            for (int k = 0; k < len; k++) {
                dst[d + k] = src[idx[from + k]];
            }
        }

        @Override
        void scatter(int s, int[] idx, int from, int len) {
            for (int k = 0; k < len; k++) {
                dst[idx[from + k]] = src[s + k];
            }
        }
    }
}
