package dev.sonnx.runtime.ops.kernel;

import dev.sonnx.runtime.tensor.Device;
import dev.sonnx.runtime.tensor.Shapes;

/**
 * numpy broadcasting of several operands onto one output, iterated as rows: dimensions that every
 * operand walks the same way are merged, so the innermost row is as long as possible and each
 * operand steps through it with stride 1 (contiguous) or 0 (broadcast). Planned once per shape set.
 */
public final class Broadcast {
    private final int[] outShape;
    private final int size;
    /** Collapsed dimensions, outermost first; the last one is the row. */
    private final int[] dims;
    /** strides[operand][dim] in elements, 0 along broadcast dimensions. */
    private final int[][] strides;
    private final int rowLength;
    private final int rows;

    private Broadcast(int[] outShape, int[][] inShapes) {
        this.outShape = outShape;
        this.size = Shapes.size(outShape);
        int n = inShapes.length;
        // Drop size-1 output dims (nothing moves along them), then merge mergeable neighbours.
        int[] od = new int[outShape.length];
        int[][] os = new int[n][outShape.length];
        int[][] full = new int[n][];
        for (int k = 0; k < n; k++) {
            full[k] = Shapes.broadcastStrides(inShapes[k], outShape);
        }
        int r = 0;
        for (int d = 0; d < outShape.length; d++) {
            if (outShape[d] == 1) {
                continue;
            }
            if (r > 0 && mergeable(full, os, r - 1, d, outShape[d])) {
                od[r - 1] *= outShape[d];
                for (int k = 0; k < n; k++) {
                    os[k][r - 1] = full[k][d];
                }
                continue;
            }
            od[r] = outShape[d];
            for (int k = 0; k < n; k++) {
                os[k][r] = full[k][d];
            }
            r++;
        }
        if (r == 0) {
            this.dims = new int[] {1};
            this.strides = new int[n][1];
        } else {
            this.dims = java.util.Arrays.copyOf(od, r);
            this.strides = new int[n][];
            for (int k = 0; k < n; k++) {
                this.strides[k] = java.util.Arrays.copyOf(os[k], r);
            }
        }
        this.rowLength = dims[dims.length - 1];
        this.rows = rowLength == 0 ? 0 : size / rowLength;
    }

    /**
     * Whether output dim {@code d} (stride {@code full[k][d]} per operand) can be folded into the
     * previous collapsed dim {@code prev}: true when every operand's stride there equals its stride
     * here times this dim's length (both broadcast, or both contiguous).
     */
    private static boolean mergeable(int[][] full, int[][] collapsed, int prev, int d, int len) {
        for (int k = 0; k < full.length; k++) {
            if ((long) collapsed[k][prev] != (long) full[k][d] * len) {
                return false;
            }
        }
        return true;
    }

    /** Plans broadcasting of {@code inShapes} to their common shape. */
    public static Broadcast of(int[]... inShapes) {
        return new Broadcast(Shapes.broadcast(inShapes), inShapes);
    }

    /** Plans reading {@code inShapes} as {@code outShape} (which they must broadcast to). */
    public static Broadcast to(int[] outShape, int[]... inShapes) {
        int[] common = Shapes.broadcast(concat(outShape, inShapes));
        if (!Shapes.equal(common, outShape)) {
            throw new IllegalArgumentException("cannot broadcast to " + Shapes.toString(outShape));
        }
        return new Broadcast(outShape, inShapes);
    }

    private static int[][] concat(int[] first, int[][] rest) {
        int[][] r = new int[rest.length + 1][];
        r[0] = first;
        System.arraycopy(rest, 0, r, 1, rest.length);
        return r;
    }

    public int[] outShape() {
        return outShape;
    }

    public int size() {
        return size;
    }

    /** Length of each innermost row. */
    public int rowLength() {
        return rowLength;
    }

    /** Stride of operand {@code k} along a row: 1 (contiguous) or 0 (broadcast). */
    public int rowStride(int k) {
        return strides[k][dims.length - 1];
    }

    /** Whether operand {@code k} has the output's own layout (no broadcasting). */
    public boolean isDense(int k) {
        return dims.length == 1 && strides[k][0] == 1;
    }

    /** One row of the output: where it starts in the output and in each operand. */
    @FunctionalInterface
    public interface RowBody {
        void row(int outOffset, int[] inOffsets, int length);
    }

    /**
     * Calls {@code body} for every row, rows split across the device's threads. {@code inOffsets} is
     * reused between rows of one thread; bodies must not keep it.
     */
    public void forEachRow(Device device, long costPerElement, RowBody body) {
        if (size == 0) {
            return;
        }
        int n = strides.length;
        int outer = dims.length - 1;
        device.parallelFor(rows, costPerElement * rowLength, (start, end) -> {
            int[] coords = new int[Math.max(outer, 1)];
            int[] offsets = new int[n];
            // position the odometer at row `start`
            int rem = start;
            for (int d = outer - 1; d >= 0; d--) {
                coords[d] = rem % dims[d];
                rem /= dims[d];
            }
            for (int k = 0; k < n; k++) {
                int o = 0;
                for (int d = 0; d < outer; d++) {
                    o += coords[d] * strides[k][d];
                }
                offsets[k] = o;
            }
            for (int row = start; row < end; row++) {
                body.row(row * rowLength, offsets, rowLength);
                // advance the odometer by one row
                for (int d = outer - 1; d >= 0; d--) {
                    coords[d]++;
                    for (int k = 0; k < n; k++) {
                        offsets[k] += strides[k][d];
                    }
                    if (coords[d] < dims[d]) {
                        break;
                    }
                    for (int k = 0; k < n; k++) {
                        offsets[k] -= strides[k][d] * dims[d];
                    }
                    coords[d] = 0;
                }
            }
        });
    }
}
