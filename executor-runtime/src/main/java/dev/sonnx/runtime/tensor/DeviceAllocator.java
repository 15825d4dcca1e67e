package dev.sonnx.runtime.tensor;

/** What a non-host {@link Device} adds: allocation in its memory and copies to and from the host. */
public interface DeviceAllocator extends Device {

    /** A zero-filled tensor in this device's memory. */
    Tensor allocate(DataType dtype, int[] shape);

    /** Copies between two tensors of the same type and size, at least one of them on this device. */
    void copy(Tensor src, Tensor dst);
}
