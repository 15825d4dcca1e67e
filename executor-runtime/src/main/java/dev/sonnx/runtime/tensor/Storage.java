package dev.sonnx.runtime.tensor;

/**
 * A block of memory on one device. Tensors share a storage when one is a reshaped view of another;
 * kernels never write into their inputs, so sharing is safe.
 */
public interface Storage {

    Device device();

    /** Size in bytes (for STRING storage, the element count). */
    long byteSize();
}
