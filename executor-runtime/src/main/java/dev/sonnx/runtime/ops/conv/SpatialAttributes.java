package dev.sonnx.runtime.ops.conv;

import dev.sonnx.runtime.ops.Attributes;
import java.util.Arrays;

/**
 * The window attributes that convolution and pooling operators share: {@code kernel_shape},
 * {@code strides}, {@code dilations}, {@code pads}, {@code auto_pad} and (pools) {@code ceil_mode}.
 * Parsed and validated once at prepare; {@link #window} resolves them against an input shape.
 */
public final class SpatialAttributes {
    private final int[] kernelShape;
    private final int[] strides;
    private final int[] dilations;
    private final int[] pads;
    private final AutoPad autoPad;
    private final boolean ceilMode;

    /**
     * @param dilationsAllowed whether this operator version has a {@code dilations} attribute
     * @param ceilAllowed whether this operator version has a {@code ceil_mode} attribute
     */
    public SpatialAttributes(Attributes a, boolean dilationsAllowed, boolean ceilAllowed) {
        this.kernelShape = a.getInts("kernel_shape", null);
        this.strides = a.getInts("strides", null);
        this.dilations = dilationsAllowed ? a.getInts("dilations", null) : null;
        this.pads = a.getInts("pads", null);
        this.autoPad = AutoPad.parse(a.getString("auto_pad", "NOTSET"));
        this.ceilMode = ceilAllowed && a.getInt("ceil_mode", 0) != 0;
        positive("kernel_shape", kernelShape);
        positive("strides", strides);
        positive("dilations", dilations);
        if (pads != null && pads.length % 2 != 0) {
            throw new IllegalArgumentException("attribute 'pads' has " + pads.length
                    + " values, expected 2 per spatial dimension (begins, then ends)");
        }
        if (kernelShape != null) {
            int r = kernelShape.length;
            checkLength("strides", strides, r);
            checkLength("dilations", dilations, r);
            if (pads != null && pads.length != 2 * r) {
                throw new IllegalArgumentException("attribute 'pads' has " + pads.length + " values, expected "
                        + 2 * r + " for kernel_shape " + Arrays.toString(kernelShape));
            }
        }
    }

    private static void positive(String name, int[] v) {
        if (v == null) {
            return;
        }
        for (int x : v) {
            if (x <= 0) {
                throw new IllegalArgumentException("attribute '" + name + "' is " + Arrays.toString(v)
                        + ", expected positive values");
            }
        }
    }

    private static void checkLength(String name, int[] v, int rank) {
        if (v != null && v.length != rank) {
            throw new IllegalArgumentException("attribute '" + name + "' has " + v.length + " values, expected "
                    + rank + " (one per spatial dimension)");
        }
    }

    /** The {@code kernel_shape} attribute, or null when absent (convolutions then read it from W). */
    public int[] kernelShape() {
        return kernelShape == null ? null : kernelShape.clone();
    }

    public AutoPad autoPad() {
        return autoPad;
    }

    public boolean ceilMode() {
        return ceilMode;
    }

    /** Strides for {@code rank} spatial dimensions (default 1). */
    public int[] strides(int rank) {
        return valuesOrDefault("strides", strides, rank, 1);
    }

    /** Dilations for {@code rank} spatial dimensions (default 1). */
    public int[] dilations(int rank) {
        return valuesOrDefault("dilations", dilations, rank, 1);
    }

    /** Explicit pads (begins then ends) for {@code rank} spatial dimensions (default 0). */
    public int[] pads(int rank) {
        if (pads == null) {
            return new int[2 * rank];
        }
        if (pads.length != 2 * rank) {
            throw new IllegalArgumentException("attribute 'pads' has " + pads.length + " values, expected " + 2 * rank
                    + " for an input with " + rank + " spatial dimensions");
        }
        return pads.clone();
    }

    private static int[] valuesOrDefault(String name, int[] v, int rank, int dflt) {
        if (v == null) {
            int[] r = new int[rank];
            Arrays.fill(r, dflt);
            return r;
        }
        checkLength(name, v, rank);
        return v.clone();
    }

    /** The kernel shape: the attribute when given (checked against {@code fromWeights}), else the weights'. */
    public int[] kernel(int[] fromWeights) {
        if (kernelShape == null) {
            return fromWeights.clone();
        }
        if (!Arrays.equals(kernelShape, fromWeights)) {
            throw new IllegalArgumentException("attribute 'kernel_shape' " + Arrays.toString(kernelShape)
                    + " does not match the spatial shape of input W " + Arrays.toString(fromWeights));
        }
        return kernelShape.clone();
    }

    /** The kernel shape of a pooling operator, which must be given. */
    public int[] requiredKernel(int rank) {
        if (kernelShape == null) {
            throw new IllegalArgumentException("required attribute 'kernel_shape' is missing");
        }
        if (kernelShape.length != rank) {
            throw new IllegalArgumentException("attribute 'kernel_shape' has " + kernelShape.length
                    + " values but input X has " + rank + " spatial dimensions");
        }
        return kernelShape.clone();
    }

    /**
     * Resolves the window of a convolution or pool over an image of spatial shape {@code image}: the
     * paddings ({@code auto_pad} or explicit) and the number of window positions along each dimension.
     */
    public Window window(int[] image, int[] kernel) {
        int r = image.length;
        int[] s = strides(r);
        int[] d = dilations(r);
        int[] explicit = autoPad == AutoPad.NOTSET ? pads(r) : new int[2 * r];
        int[] begin = new int[r];
        int[] end = new int[r];
        int[] out = new int[r];
        for (int i = 0; i < r; i++) {
            int extent = (kernel[i] - 1) * d[i] + 1;
            switch (autoPad) {
                case SAME_UPPER:
                case SAME_LOWER: {
                    out[i] = ceilDiv(image[i], s[i]);
                    int total = Math.max(0, (out[i] - 1) * s[i] + extent - image[i]);
                    begin[i] = autoPad == AutoPad.SAME_UPPER ? total / 2 : total - total / 2;
                    end[i] = total - begin[i];
                    break;
                }
                default: {
                    begin[i] = explicit[i];
                    end[i] = explicit[i + r];
                    long span = (long) image[i] + begin[i] + end[i] - extent;
                    if (span < 0) {
                        throw new IllegalArgumentException("spatial dimension " + i + " of input X has size " + image[i]
                                + " (pads " + begin[i] + ", " + end[i] + "), smaller than the dilated kernel extent "
                                + extent);
                    }
                    if (ceilMode && autoPad == AutoPad.NOTSET) {
                        out[i] = (int) ceilDiv(span, s[i]) + 1;
                        // A last window that would start in the end padding is dropped (as PyTorch and
                        // onnxruntime do): it would see padding only.
                        if ((long) (out[i] - 1) * s[i] >= (long) image[i] + begin[i]) {
                            out[i]--;
                        }
                    } else {
                        out[i] = (int) (span / s[i]) + 1;
                    }
                }
            }
        }
        return new Window(image, kernel, s, d, begin, end, out);
    }

    static int ceilDiv(int a, int b) {
        return (int) ceilDiv((long) a, b);
    }

    static long ceilDiv(long a, long b) {
        return -Math.floorDiv(-a, b);
    }
}
