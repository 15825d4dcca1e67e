package dev.sonnx.nccl;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Access to the callers' buffers as the {@link Communicator} contract reads them: little-endian, from index 0. */
final class Buffers {

    private Buffers() {
    }

    /**
     * The buffer itself when it is little-endian and its limit is its capacity (the usual case, so
     * the hot paths allocate nothing), else a little-endian view of its whole capacity: absolute
     * accessors check indices against the limit, which a caller may have left anywhere.
     */
    static ByteBuffer littleEndian(ByteBuffer buffer) {
        if (buffer.order() == ByteOrder.LITTLE_ENDIAN && buffer.limit() == buffer.capacity()) {
            return buffer;
        }
        return buffer.duplicate().clear().order(ByteOrder.LITTLE_ENDIAN);
    }

    static void requireElements(String what, ByteBuffer buffer, long count, int elementBytes) {
        if (count < 0) {
            throw new IllegalArgumentException(what + ": negative element count " + count);
        }
        long needed = count * elementBytes;
        if (needed > buffer.capacity()) {
            throw new IllegalArgumentException(what + " holds " + buffer.capacity() + " bytes, " + count
                    + " elements of " + elementBytes + " bytes need " + needed);
        }
    }
}
