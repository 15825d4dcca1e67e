package dev.sonnx.runtime.testing;

import dev.sonnx.runtime.ops.HostFallback;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.ops.OperatorPlacement;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Device;
import dev.sonnx.runtime.tensor.AcceleratorDevice;
import dev.sonnx.runtime.tensor.DeviceMath;
import dev.sonnx.runtime.tensor.Shapes;
import dev.sonnx.runtime.tensor.Storage;
import dev.sonnx.runtime.tensor.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A stand-in for a GPU in tests on machines without one: its tensors live in memory of its own that
 * the CPU kernels cannot read as host tensors (as device memory), every node runs through the
 * {@link HostFallback}, and the framework's device math ({@link DeviceMath}) is plain loops that
 * mirror the CUDA kernels; like a GPU (an {@link AcceleratorDevice}), its runs take turns. What it exercises is the device-neutral plumbing that {@code cuda:N} relies
 * on: placement at prepare, the host/device split of constants and feeds, copies both ways, the
 * fallback's forward, backward and state updates, gradient accumulation across placements, losses,
 * optimizer state on the device and DistOpt's staging.
 */
public final class HostBackedDevice extends AcceleratorDevice implements DeviceMath, OperatorPlacement {
    /** How many tensors were allocated here: proof that work reached this device. */
    public final AtomicInteger allocations = new AtomicInteger();

    /** Memory of this device: a direct buffer that {@code Tensor.isHost()} does not count as host. */
    private static final class Block implements Storage {
        final ByteBuffer buffer;
        final HostBackedDevice device;

        Block(HostBackedDevice device, long bytes) {
            this.device = device;
            this.buffer = ByteBuffer.allocateDirect(Math.toIntExact(bytes)).order(ByteOrder.LITTLE_ENDIAN);
        }

        @Override
        public Device device() {
            return device;
        }

        @Override
        public long byteSize() {
            return buffer.capacity();
        }
    }

    @Override
    public String name() {
        return "test-device:0";
    }

    @Override
    public Tensor allocate(DataType dtype, int[] shape) {
        if (dtype == DataType.STRING) {
            throw new IllegalArgumentException("string tensors stay on the host");
        }
        allocations.incrementAndGet();
        return Tensor.wrap(dtype, shape, new Block(this, (long) Shapes.size(shape) * dtype.byteSize()));
    }

    @Override
    public void copy(Tensor src, Tensor dst) {
        int bytes = src.size() * src.dtype().byteSize();
        buffer(dst).put(0, buffer(src), 0, bytes);
    }

    private static ByteBuffer buffer(Tensor t) {
        return t.isHost() ? t.bytes() : ((Block) t.storage()).buffer;
    }

    private static FloatBuffer floats(Tensor t) {
        return buffer(t).asFloatBuffer();
    }

    @Override
    public Operator place(Operator op) {
        return HostFallback.place(op, this);
    }

    // ---------------------------------------------------------------- DeviceMath, as kernels.cu does it

    @Override
    public Tensor add(Tensor a, Tensor b) {
        Tensor r = allocate(DataType.FLOAT, a.shape());
        FloatBuffer x = floats(a.to(this));
        FloatBuffer y = floats(b.to(this));
        FloatBuffer o = floats(r);
        for (int i = 0; i < r.size(); i++) {
            o.put(i, x.get(i) + y.get(i));
        }
        return r;
    }

    @Override
    public void scale(Tensor t, float s) {
        FloatBuffer x = floats(t);
        for (int i = 0; i < t.size(); i++) {
            x.put(i, x.get(i) * s);
        }
    }

    @Override
    public void sgdStep(Tensor w, Tensor g, Tensor velocity, float lr, float momentum, float keep, float weightDecay,
                        boolean first, boolean nesterov) {
        FloatBuffer wb = floats(w);
        FloatBuffer gb = floats(g.to(this));
        FloatBuffer vb = velocity == null ? null : floats(velocity);
        for (int i = 0; i < w.size(); i++) {
            float gi = gb.get(i) + weightDecay * wb.get(i);
            if (momentum == 0) {
                wb.put(i, wb.get(i) - lr * gi);
            } else {
                float vi = first ? gi : momentum * vb.get(i) + keep * gi;
                vb.put(i, vi);
                wb.put(i, wb.get(i) - lr * (nesterov ? gi + momentum * vi : vi));
            }
        }
    }

    @Override
    public void adamStep(Tensor w, Tensor g, Tensor m, Tensor v, float beta1, float beta2, float eps,
                         float weightDecay, float decay, boolean decoupled, float stepSize, float sqrtCorrection2) {
        FloatBuffer wb = floats(w);
        FloatBuffer gb = floats(g.to(this));
        FloatBuffer mb = floats(m);
        FloatBuffer vb = floats(v);
        for (int i = 0; i < w.size(); i++) {
            float wi = wb.get(i) * decay;
            float gi = decoupled ? gb.get(i) : gb.get(i) + weightDecay * wb.get(i);
            float mi = beta1 * mb.get(i) + (1 - beta1) * gi;
            float vi = beta2 * vb.get(i) + (1 - beta2) * gi * gi;
            mb.put(i, mi);
            vb.put(i, vi);
            wb.put(i, wi - stepSize * mi / ((float) Math.sqrt(vi) / sqrtCorrection2 + eps));
        }
    }

    @Override
    public long deviceAddress(Tensor t) {
        throw new UnsupportedOperationException(name() + " has no device addresses (no collectives on device memory)");
    }

    @Override
    public long streamHandle() {
        return 0;
    }
}
