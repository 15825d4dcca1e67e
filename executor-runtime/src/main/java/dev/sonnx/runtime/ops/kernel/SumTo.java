package dev.sonnx.runtime.ops.kernel;

import dev.sonnx.runtime.cpu.CpuDevice;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Device;
import dev.sonnx.runtime.tensor.Shapes;
import dev.sonnx.runtime.tensor.Tensor;

/**
 * The adjoint of broadcasting: sums a gradient of the broadcast shape back to an operand's shape
 * (over leading dimensions the operand lacks and dimensions where it has size 1).
 */
public final class SumTo {
    /** Rows that share a target would race, so accumulation runs on one thread. */
    private static final Device SERIAL = CpuDevice.withThreads(1);

    private SumTo() {
    }

    public static Tensor sumTo(Tensor grad, int[] shape, Device device) {
        if (Shapes.equal(grad.shape(), shape)) {
            return grad;
        }
        Broadcast bc = Broadcast.to(grad.shape(), shape);
        Tensor out = Tensor.zeros(grad.dtype(), shape);
        int step = bc.rowStride(0);
        if (grad.dtype() == DataType.FLOAT) {
            var g = grad.floats();
            var o = out.floats();
            bc.forEachRow(SERIAL, 1, (go, off, len) -> {
                int t = off[0];
                if (step == 0) {
                    float s = 0;
                    for (int j = 0; j < len; j++) {
                        s += g.get(go + j);
                    }
                    o.put(t, o.get(t) + s);
                } else {
                    for (int j = 0; j < len; j++) {
                        o.put(t + j, o.get(t + j) + g.get(go + j));
                    }
                }
            });
        } else {
            bc.forEachRow(SERIAL, 1, (go, off, len) -> {
                int t = off[0];
                for (int j = 0; j < len; j++, t += step) {
                    out.setDouble(t, out.getDouble(t) + grad.getDouble(go + j));
                }
            });
        }
        return out;
    }
}
