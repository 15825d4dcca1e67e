package dev.sonnx.runtime.ops.image;

import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Device;
import dev.sonnx.runtime.tensor.Shapes;
import dev.sonnx.runtime.tensor.Tensor;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;

/**
 * Resampling along one axis as a sparse matrix: output index i along the axis reads input indices
 * {@code index[i * taps + t]} with weights {@code weight[i * taps + t]}, or is the constant
 * {@code extrapolation} where {@code outside[i]}. Resize's modes are all separable, so an N-D resize
 * is one such pass per resized axis; its gradient is the transposed passes in reverse order.
 */
final class AxisResampler {
    final int axis;
    final int inLength;
    final int outLength;
    final int taps;
    final int[] index;
    final double[] weight;
    /** Output positions that read nothing and take {@link #extrapolation} (tf_crop_and_resize), or null. */
    final boolean[] outside;
    final double extrapolation;

    AxisResampler(int axis, int inLength, int outLength, int taps, int[] index, double[] weight, boolean[] outside,
                  double extrapolation) {
        this.axis = axis;
        this.inLength = inLength;
        this.outLength = outLength;
        this.taps = taps;
        this.index = index;
        this.weight = weight;
        this.outside = outside;
        this.extrapolation = extrapolation;
    }

    /** Whether this pass maps the axis onto itself unchanged (so it can be skipped). */
    boolean isIdentity() {
        if (outLength != inLength || outside != null) {
            return false;
        }
        for (int i = 0; i < outLength; i++) {
            for (int t = 0; t < taps; t++) {
                double w = weight[i * taps + t];
                if (w != 0 && (w != 1 || index[i * taps + t] != i)) {
                    return false;
                }
            }
        }
        return true;
    }

    /** Whether every output reads exactly one input with weight 1 (nearest): a gather of any type. */
    boolean isGather() {
        return taps == 1 && outside == null;
    }

    int[] outShape(int[] in) {
        int[] s = in.clone();
        s[axis] = outLength;
        return s;
    }

    /** Gathers along the axis (taps == 1, weights 1), copying elements of any type. */
    Tensor gather(Tensor x, Device device) {
        int[] shape = x.shape();
        Tensor y = Tensor.uninitialized(x.dtype(), outShape(shape));
        int outer = Shapes.product(shape, 0, axis);
        int inner = Shapes.product(shape, axis + 1, shape.length);
        if (y.size() == 0) {
            return y;
        }
        StridedCopy copy = new StridedCopy(x, y);
        if (inner == 1) {
            // the last axis: one gather per row
            device.parallelFor(outer, outLength, (s, e) -> {
                for (int o = s; o < e; o++) {
                    copy.gather(o * inLength, index, o * outLength, outLength);
                }
            });
            return y;
        }
        device.parallelFor(outer * outLength, inner, (s, e) -> {
            for (int row = s; row < e; row++) {
                int o = row / outLength;
                int i = row % outLength;
                copy.copy((o * inLength + index[i]) * inner, 1, row * inner, 1, inner);
            }
        });
        return y;
    }

    /** y = this pass applied to x; x and the result are FLOAT or DOUBLE (the compute type). */
    Tensor apply(Tensor x, Device device) {
        int[] shape = x.shape();
        Tensor y = Tensor.uninitialized(x.dtype(), outShape(shape));
        int outer = Shapes.product(shape, 0, axis);
        int inner = Shapes.product(shape, axis + 1, shape.length);
        if (y.size() == 0) {
            return y;
        }
        boolean dbl = x.dtype() == DataType.DOUBLE;
        FloatBuffer xf = dbl ? null : x.floats();
        FloatBuffer yf = dbl ? null : y.floats();
        DoubleBuffer xd = dbl ? x.doubles() : null;
        DoubleBuffer yd = dbl ? y.doubles() : null;
        if (inner == 1) {
            // the last axis: each output element is a short dot product along its row
            device.parallelFor(outer, (long) outLength * taps, (s, e) -> {
                for (int o = s; o < e; o++) {
                    int xo = o * inLength;
                    int yo = o * outLength;
                    for (int i = 0; i < outLength; i++) {
                        double v;
                        if (outside != null && outside[i]) {
                            v = extrapolation;
                        } else {
                            v = 0;
                            for (int t = i * taps, end = t + taps; t < end; t++) {
                                v += weight[t] * (dbl ? xd.get(xo + index[t]) : xf.get(xo + index[t]));
                            }
                        }
                        if (dbl) {
                            yd.put(yo + i, v);
                        } else {
                            yf.put(yo + i, (float) v);
                        }
                    }
                }
            });
            return y;
        }
        device.parallelFor(outer * outLength, (long) inner * taps, (s, e) -> {
            double[] acc = new double[inner];
            for (int row = s; row < e; row++) {
                int o = row / outLength;
                int i = row % outLength;
                int yo = row * inner;
                if (outside != null && outside[i]) {
                    java.util.Arrays.fill(acc, extrapolation);
                } else {
                    java.util.Arrays.fill(acc, 0);
                    for (int t = 0; t < taps; t++) {
                        double w = weight[i * taps + t];
                        if (w == 0) {
                            continue;
                        }
                        int xo = (o * inLength + index[i * taps + t]) * inner;
                        if (dbl) {
                            for (int j = 0; j < inner; j++) {
                                acc[j] += w * xd.get(xo + j);
                            }
                        } else {
                            for (int j = 0; j < inner; j++) {
                                acc[j] += w * xf.get(xo + j);
                            }
                        }
                    }
                }
                if (dbl) {
                    for (int j = 0; j < inner; j++) {
                        yd.put(yo + j, acc[j]);
                    }
                } else {
                    for (int j = 0; j < inner; j++) {
                        yf.put(yo + j, (float) acc[j]);
                    }
                }
            }
        });
        return y;
    }

    /**
     * The transpose of {@link #apply}: gx[.., index, ..] += weight * gy[.., i, ..]. Outputs that
     * took the extrapolation value pass no gradient. Work is split over the outer dimensions (and
     * over inner columns), so no two threads add into the same element.
     */
    Tensor transpose(Tensor gy, int[] inShape, Device device) {
        Tensor gx = Tensor.zeros(gy.dtype(), inShape);
        int outer = Shapes.product(inShape, 0, axis);
        int inner = Shapes.product(inShape, axis + 1, inShape.length);
        if (gx.size() == 0 || gy.size() == 0) {
            return gx;
        }
        boolean dbl = gy.dtype() == DataType.DOUBLE;
        FloatBuffer gyf = dbl ? null : gy.floats();
        FloatBuffer gxf = dbl ? null : gx.floats();
        DoubleBuffer gyd = dbl ? gy.doubles() : null;
        DoubleBuffer gxd = dbl ? gx.doubles() : null;
        device.parallelFor(outer * inner, (long) outLength * taps, (s, e) -> {
            for (int task = s; task < e; task++) {
                int o = task / inner;
                int j = task % inner;
                for (int i = 0; i < outLength; i++) {
                    if (outside != null && outside[i]) {
                        continue;
                    }
                    int yo = (o * outLength + i) * inner + j;
                    double g = dbl ? gyd.get(yo) : gyf.get(yo);
                    for (int t = 0; t < taps; t++) {
                        double w = weight[i * taps + t];
                        int xo = (o * inLength + index[i * taps + t]) * inner + j;
                        if (dbl) {
                            gxd.put(xo, gxd.get(xo) + w * g);
                        } else {
                            gxf.put(xo, (float) (gxf.get(xo) + w * g));
                        }
                    }
                }
            }
        });
        return gx;
    }
}
