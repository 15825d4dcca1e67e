package dev.sonnx.runtime.cuda;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;

/**
 * A JavaCPP view of a device address, for passing device memory to CUDA, cuBLAS and cuDNN calls.
 * Never dereferenced on the host; holds no memory of its own (its owner is a {@link CudaStorage}).
 */
public final class DevicePointer extends Pointer {

    public DevicePointer(long address) {
        this.address = address;
    }

    /** The same address typed as float*, for cuBLAS. */
    public static FloatPointer floats(long address) {
        return new FloatPointer(new DevicePointer(address));
    }
}
