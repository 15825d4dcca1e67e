package dev.sonnx.runtime.ops.image;

import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import java.nio.ByteBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.ShortBuffer;

/**
 * Copies runs of elements between two tensors of one type with any strides, whatever the type
 * (strings included): the typed views are made once, and each run is a plain loop over them.
 */
final class StridedCopy {
    private final int kind;
    private final String[] ss;
    private final String[] ds;
    private final ByteBuffer sb;
    private final ByteBuffer db;
    private final ShortBuffer sh;
    private final ShortBuffer dh;
    private final IntBuffer si;
    private final IntBuffer di;
    private final LongBuffer sl;
    private final LongBuffer dl;

    StridedCopy(Tensor src, Tensor dst) {
        if (src.dtype() != dst.dtype()) {
            throw new IllegalArgumentException("cannot copy " + src.describe() + " into " + dst.describe());
        }
        DataType t = src.dtype();
        if (t == DataType.STRING) {
            kind = 0;
            ss = src.strings();
            ds = dst.strings();
            sb = db = null;
            sh = dh = null;
            si = di = null;
            sl = dl = null;
            return;
        }
        ss = ds = null;
        kind = t.byteSize();
        sb = src.bytes();
        db = dst.bytes();
        sh = kind == 2 ? sb.asShortBuffer() : null;
        dh = kind == 2 ? db.asShortBuffer() : null;
        si = kind == 4 ? sb.asIntBuffer() : null;
        di = kind == 4 ? db.asIntBuffer() : null;
        sl = kind >= 8 ? sb.asLongBuffer() : null;
        dl = kind >= 8 ? db.asLongBuffer() : null;
        if (kind != 1 && kind != 2 && kind != 4 && kind != 8 && kind != 16) {
            throw new IllegalArgumentException("type " + t.onnxName() + " is not supported");
        }
    }

    /** dst[dOff + k * dStride] = src[sOff + k * sStride] for k < n (offsets and strides in elements). */
    void copy(int sOff, int sStride, int dOff, int dStride, int n) {
        switch (kind) {
            case 0 -> {
                for (int k = 0; k < n; k++) {
                    ds[dOff + k * dStride] = ss[sOff + k * sStride];
                }
            }
            case 1 -> {
                for (int k = 0; k < n; k++) {
                    db.put(dOff + k * dStride, sb.get(sOff + k * sStride));
                }
            }
            case 2 -> {
                for (int k = 0; k < n; k++) {
                    dh.put(dOff + k * dStride, sh.get(sOff + k * sStride));
                }
            }
            case 4 -> {
                for (int k = 0; k < n; k++) {
                    di.put(dOff + k * dStride, si.get(sOff + k * sStride));
                }
            }
            case 8 -> {
                for (int k = 0; k < n; k++) {
                    dl.put(dOff + k * dStride, sl.get(sOff + k * sStride));
                }
            }
            default -> {
                // 16-byte elements (complex128) as pairs of longs
                for (int k = 0; k < n; k++) {
                    int s = 2 * (sOff + k * sStride);
                    int d = 2 * (dOff + k * dStride);
                    dl.put(d, sl.get(s));
                    dl.put(d + 1, sl.get(s + 1));
                }
            }
        }
    }

    /** dst[dOff + k] = src[sOff + index[k]] for k < n: a gather along a contiguous row. */
    void gather(int sOff, int[] index, int dOff, int n) {
        switch (kind) {
            case 0 -> {
                for (int k = 0; k < n; k++) {
                    ds[dOff + k] = ss[sOff + index[k]];
                }
            }
            case 1 -> {
                for (int k = 0; k < n; k++) {
                    db.put(dOff + k, sb.get(sOff + index[k]));
                }
            }
            case 2 -> {
                for (int k = 0; k < n; k++) {
                    dh.put(dOff + k, sh.get(sOff + index[k]));
                }
            }
            case 4 -> {
                for (int k = 0; k < n; k++) {
                    di.put(dOff + k, si.get(sOff + index[k]));
                }
            }
            case 8 -> {
                for (int k = 0; k < n; k++) {
                    dl.put(dOff + k, sl.get(sOff + index[k]));
                }
            }
            default -> {
                for (int k = 0; k < n; k++) {
                    int s = 2 * (sOff + index[k]);
                    int d = 2 * (dOff + k);
                    dl.put(d, sl.get(s));
                    dl.put(d + 1, sl.get(s + 1));
                }
            }
        }
    }
}
