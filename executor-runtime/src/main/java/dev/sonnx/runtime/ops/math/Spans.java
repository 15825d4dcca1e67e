package dev.sonnx.runtime.ops.math;

import dev.sonnx.runtime.ops.kernel.Broadcast;
import dev.sonnx.runtime.tensor.Device;

/**
 * Parallel iteration over a {@link Broadcast} plan. {@link Broadcast#forEachRow} splits work by rows,
 * so when the operands collapse to a single row (same shapes, or a tensor and a scalar, the most
 * common cases) it would run on one thread: here that row is cut into spans instead.
 */
final class Spans {
    private Spans() {
    }

    /** Calls {@code body} over every element of {@code bc}'s output, as rows or spans of a row. */
    static void forEach(Broadcast bc, int operands, Device device, long costPerElement, Broadcast.RowBody body) {
        int n = bc.size();
        if (n == 0) {
            return;
        }
        if (bc.rowLength() != n) {
            bc.forEachRow(device, costPerElement, body);
            return;
        }
        int[] strides = new int[operands];
        for (int k = 0; k < operands; k++) {
            strides[k] = bc.rowStride(k);
        }
        device.parallelFor(n, costPerElement, (s, e) -> {
            int[] offsets = new int[operands];
            for (int k = 0; k < operands; k++) {
                offsets[k] = s * strides[k];
            }
            body.row(s, offsets, e - s);
        });
    }
}
