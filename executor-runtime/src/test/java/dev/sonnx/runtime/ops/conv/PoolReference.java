package dev.sonnx.runtime.ops.conv;

import java.util.Arrays;

/** Direct-loop pooling for the tests: each window enumerated tap by tap from the ONNX formulas. */
final class PoolReference {
    enum Kind { MAX, AVERAGE_EXCLUDE_PAD, AVERAGE_INCLUDE_PAD, LP }

    final int[] image;
    final int[] kernel;
    final int[] strides;
    final int[] dilations;
    final int[] padBegin;
    final int[] padEnd;
    final int[] out;

    /**
     * Explicit pads; the output size is floor (or, in ceil mode, ceil) of
     * (in + pads - dilated kernel) / stride + 1, a ceil-mode window that would start inside the end
     * padding being dropped.
     */
    PoolReference(int[] image, int[] kernel, int[] strides, int[] dilations, int[] padBegin, int[] padEnd,
                  boolean ceil) {
        this.image = image;
        this.kernel = kernel;
        this.strides = strides;
        this.dilations = dilations;
        this.padBegin = padBegin;
        this.padEnd = padEnd;
        this.out = new int[image.length];
        for (int d = 0; d < image.length; d++) {
            int span = image[d] + padBegin[d] + padEnd[d] - ((kernel[d] - 1) * dilations[d] + 1);
            int o = ceil ? (span + strides[d] - 1) / strides[d] + 1 : span / strides[d] + 1;
            if (ceil && (o - 1) * strides[d] >= image[d] + padBegin[d]) {
                o--;
            }
            out[d] = o;
        }
    }

    /**
     * Pools one {@code image}-shaped plane; {@code argmax} (length of the output, may be null) gets
     * the row-major offset of each window's first maximum.
     */
    double[] pool(double[] x, Kind kind, double p, int[] argmax) {
        int r = image.length;
        double[] y = new double[ConvReference.size(out)];
        int[] o = new int[r];
        int at = 0;
        do {
            double acc = kind == Kind.MAX ? Double.NEGATIVE_INFINITY : 0;
            int arg = -1;
            int count = 0;
            int[] k = new int[r];
            do {
                int[] c = new int[r];
                boolean inside = true;
                boolean insidePadded = true;
                for (int d = 0; d < r; d++) {
                    c[d] = o[d] * strides[d] - padBegin[d] + k[d] * dilations[d];
                    inside &= c[d] >= 0 && c[d] < image[d];
                    insidePadded &= c[d] >= -padBegin[d] && c[d] < image[d] + padEnd[d];
                }
                if (kind == Kind.AVERAGE_INCLUDE_PAD ? insidePadded : inside) {
                    count++;
                }
                if (!inside) {
                    continue;
                }
                double v = x[ConvReference.offset(image, c)];
                switch (kind) {
                    case MAX:
                        if (v > acc || arg < 0) {
                            acc = v;
                            arg = ConvReference.offset(image, c);
                        }
                        break;
                    case LP:
                        acc += Math.pow(Math.abs(v), p);
                        break;
                    default:
                        acc += v;
                }
            } while (ConvReference.next(k, kernel));
            switch (kind) {
                case MAX:
                    y[at] = acc;
                    if (argmax != null) {
                        argmax[at] = arg;
                    }
                    break;
                case LP:
                    y[at] = Math.pow(acc, 1 / p);
                    break;
                default:
                    y[at] = acc / count;
            }
            at++;
        } while (ConvReference.next(o, out));
        return y;
    }

    /** Pools every (n, c) plane of an {@code [N, C, image...]} tensor's data. */
    double[] poolAll(double[] x, int planes, Kind kind, double p, int[] argmax) {
        int in = ConvReference.size(image);
        int on = ConvReference.size(out);
        double[] y = new double[planes * on];
        int[] arg = new int[on];
        for (int pl = 0; pl < planes; pl++) {
            double[] r = pool(Arrays.copyOfRange(x, pl * in, (pl + 1) * in), kind, p, arg);
            System.arraycopy(r, 0, y, pl * on, on);
            if (argmax != null) {
                for (int j = 0; j < on; j++) {
                    argmax[pl * on + j] = pl * in + arg[j];
                }
            }
        }
        return y;
    }
}
