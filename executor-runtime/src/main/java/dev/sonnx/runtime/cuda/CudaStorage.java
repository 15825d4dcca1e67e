package dev.sonnx.runtime.cuda;

import dev.sonnx.runtime.tensor.Arena;
import dev.sonnx.runtime.tensor.CountedStorage;
import dev.sonnx.runtime.tensor.Device;
import java.lang.ref.Cleaner;

/**
 * A block of device memory. Blocks allocated during a run belong to the run's {@link Arena}, which
 * recycles them when the last slot drops them (or when the run ends); the others, and those that
 * escape to the caller, go back to the device's cache when the garbage collector finds them
 * unreachable, or at once through {@code Tensor.release()}.
 */
public final class CudaStorage extends CountedStorage {
    private static final Cleaner CLEANER = Cleaner.create();

    private final CudaDevice device;
    private final long address;
    private final long byteSize;
    private final Block block;

    /** The block's ownership, shared with the cleaner (which must not reach the storage). */
    private static final class Block implements Runnable {
        final CudaMemory memory;
        final long address;
        final long bytes;
        boolean returned;

        Block(CudaMemory memory, long address, long bytes) {
            this.memory = memory;
            this.address = address;
            this.bytes = bytes;
        }

        synchronized boolean giveBack() {
            if (returned) {
                return false;
            }
            returned = true;
            memory.recycle(address, bytes);
            return true;
        }

        @Override
        public void run() {
            giveBack();
        }
    }

    CudaStorage(CudaDevice device, long byteSize) {
        super(runArena());
        this.device = device;
        this.byteSize = byteSize;
        this.address = device.memory().allocate(byteSize);
        this.block = new Block(device.memory(), address, byteSize);
        CLEANER.register(this, block);
        if (arena() != null) {
            arena().track(this);
        }
    }

    /** The current run's arena, which recycles the block; none outside a run or in a scratch arena. */
    private static Arena runArena() {
        Arena current = Arena.current();
        return current != null && !current.isScratch() ? current : null;
    }

    /** The device address of the first byte. */
    public long address() {
        return address;
    }

    @Override
    public Device device() {
        return device;
    }

    @Override
    public long byteSize() {
        return byteSize;
    }

    @Override
    public synchronized void recycle() {
        if (!escaped()) {
            block.giveBack();
        }
    }

    @Override
    public synchronized boolean giveBack() {
        return escaped() && block.giveBack();
    }
}
