package dev.sonnx.runtime.tensor;

/**
 * The largest single tensor sonnx allocates, so that a hostile model (say ConstantOfShape of 10^12
 * elements) gets a clear error instead of exhausting the machine. Set with the system property
 * {@code sonnx.maxTensorBytes} or {@link #set}; a Java direct buffer cannot exceed 2^31-1 bytes anyway.
 */
public final class MemoryLimit {
    private static volatile long maxBytes = Long.getLong("sonnx.maxTensorBytes", Integer.MAX_VALUE - 256);

    private MemoryLimit() {
    }

    public static long get() {
        return maxBytes;
    }

    public static void set(long bytes) {
        maxBytes = Math.min(bytes, Integer.MAX_VALUE - 256);
    }

    public static void check(long bytes) {
        if (bytes < 0 || bytes > maxBytes) {
            throw new TensorAllocationException("a tensor of " + bytes + " bytes exceeds the limit of "
                    + maxBytes + " bytes (sonnx.maxTensorBytes)");
        }
    }

    /** Thrown when a tensor would exceed the limit; the executor adds the node and tensor name. */
    public static final class TensorAllocationException extends IllegalArgumentException {
        public TensorAllocationException(String message) {
            super(message);
        }
    }
}
