package dev.sonnx.runtime.tensor;

import dev.sonnx.runtime.cpu.CpuDevice;

/**
 * A device with memory of its own (a GPU): its tensors are not host tensors, the host-side work of
 * its runs (operators that fall back to the CPU) uses the CPU's threads, and its runs take turns
 * (one queue of work and one set of library handles).
 */
public abstract class AcceleratorDevice implements DeviceAllocator {

    @Override
    public final boolean isHost() {
        return false;
    }

    @Override
    public boolean runsOneAtATime() {
        return true;
    }

    /** Host threads, for the operators that fall back to the CPU. */
    @Override
    public final int threads() {
        return CpuDevice.get().threads();
    }

    @Override
    public final void parallelFor(int count, long costPerItem, RangeBody body) {
        CpuDevice.get().parallelFor(count, costPerItem, body);
    }
}
