package dev.sonnx.runtime.tensor;

import java.util.Arrays;

/** Shape arithmetic shared by every kernel: sizes, strides, axes and numpy broadcasting. */
public final class Shapes {
    public static final int[] SCALAR = new int[0];

    private Shapes() {
    }

    /** Element count; refuses negative dimensions and counts that do not fit a Java array index. */
    public static int size(int[] shape) {
        long n = 1;
        for (int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + toString(shape));
            }
            n *= d;
            if (n > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("shape " + toString(shape) + " has more than 2^31-1 elements");
            }
        }
        return (int) n;
    }

    /** Element count of a shape given as int64 dims (as in ONNX protos), with the same checks. */
    public static int[] fromLongs(long[] dims) {
        int[] shape = new int[dims.length];
        long n = 1;
        for (int i = 0; i < dims.length; i++) {
            long d = dims[i];
            if (d < 0 || d > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("dimension " + d + " out of range in shape " + Arrays.toString(dims));
            }
            n = n * d;
            if (n > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("shape " + Arrays.toString(dims) + " has more than 2^31-1 elements");
            }
            shape[i] = (int) d;
        }
        return shape;
    }

    public static long[] toLongs(int[] shape) {
        long[] r = new long[shape.length];
        for (int i = 0; i < shape.length; i++) {
            r[i] = shape[i];
        }
        return r;
    }

    /** Row-major strides in elements. */
    public static int[] strides(int[] shape) {
        int[] s = new int[shape.length];
        int acc = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            s[i] = acc;
            acc *= shape[i];
        }
        return s;
    }

    /** Product of dims in {@code [from, to)}. */
    public static int product(int[] shape, int from, int to) {
        int n = 1;
        for (int i = from; i < to; i++) {
            n *= shape[i];
        }
        return n;
    }

    /** An axis in {@code [-rank, rank)} made non-negative; anything else is an error naming the axis. */
    public static int axis(int axis, int rank) {
        if (axis < -rank || axis >= Math.max(rank, 1)) {
            throw new IllegalArgumentException("axis " + axis + " is out of range for rank " + rank);
        }
        return axis < 0 ? axis + rank : axis;
    }

    /** numpy broadcasting of any number of shapes. */
    public static int[] broadcast(int[]... shapes) {
        int rank = 0;
        for (int[] s : shapes) {
            rank = Math.max(rank, s.length);
        }
        int[] out = new int[rank];
        Arrays.fill(out, 1);
        for (int[] s : shapes) {
            int off = rank - s.length;
            for (int i = 0; i < s.length; i++) {
                int d = s[i];
                int o = out[off + i];
                if (o == d || d == 1) {
                    continue;
                }
                if (o == 1) {
                    out[off + i] = d;
                } else {
                    throw new IllegalArgumentException("shapes " + describe(shapes) + " cannot be broadcast together");
                }
            }
        }
        return out;
    }

    /**
     * Strides for reading a tensor of shape {@code from} as if it had the broadcast shape {@code to}:
     * 0 along broadcast dimensions.
     */
    public static int[] broadcastStrides(int[] from, int[] to) {
        int[] st = strides(from);
        int[] r = new int[to.length];
        int off = to.length - from.length;
        for (int i = 0; i < from.length; i++) {
            r[off + i] = from[i] == 1 && to[off + i] != 1 ? 0 : st[i];
        }
        return r;
    }

    /** {@code shape} with leading 1s up to {@code rank} dimensions (numpy's alignment of a broadcast operand). */
    public static int[] leftPadded(int[] shape, int rank) {
        int[] r = new int[Math.max(rank, shape.length)];
        Arrays.fill(r, 1);
        System.arraycopy(shape, 0, r, r.length - shape.length, shape.length);
        return r;
    }

    public static boolean equal(int[] a, int[] b) {
        return Arrays.equals(a, b);
    }

    public static String toString(int[] shape) {
        return Arrays.toString(shape);
    }

    private static String describe(int[][] shapes) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < shapes.length; i++) {
            if (i > 0) {
                sb.append(", ");
            }
            sb.append(Arrays.toString(shapes[i]));
        }
        return sb.toString();
    }

    /**
     * For every point of the index space {@code dims}, in row-major order, the sum of its indices times
     * {@code strides}: where that point lies in a strided (possibly broadcast, stride 0) view.
     */
    public static int[] offsets(int[] dims, int[] strides) {
        int count = size(dims);
        int[] r = new int[count];
        int[] idx = new int[dims.length];
        int off = 0;
        for (int i = 0; i < count; i++) {
            r[i] = off;
            for (int d = dims.length - 1; d >= 0; d--) {
                off += strides[d];
                if (++idx[d] < dims[d]) {
                    break;
                }
                off -= strides[d] * dims[d];
                idx[d] = 0;
            }
        }
        return r;
    }
}
