package dev.sonnx.nccl;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/**
 * Little-endian views over the whole of the callers' buffers, kept for the last {@value #SLOTS}
 * buffers seen. A training step hands the same few buffers (a model's gradient buckets) to every
 * collective, so after the first step no view is created again. The views hold their buffers until
 * replaced or until the communicator goes.
 */
final class BufferViews {

    private static final int SLOTS = 16;

    private final ByteBuffer[] owners = new ByteBuffer[SLOTS];
    private final ByteBuffer[] byteViews = new ByteBuffer[SLOTS];
    private final FloatBuffer[] floatViews = new FloatBuffer[SLOTS];
    private int nextVictim;

    /** A view of {@code buffer} whose position and limit the caller may move freely. */
    ByteBuffer bytes(ByteBuffer buffer) {
        return byteViews[slot(buffer)];
    }

    /** Floats over {@code buffer} from byte 0, little-endian. */
    FloatBuffer floats(ByteBuffer buffer) {
        int slot = slot(buffer);
        if (floatViews[slot] == null) {
            floatViews[slot] = byteViews[slot].duplicate().clear().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        }
        return floatViews[slot];
    }

    private int slot(ByteBuffer buffer) {
        for (int s = 0; s < SLOTS; s++) {
            if (owners[s] == buffer) {
                return s;
            }
        }
        int slot = nextVictim;
        nextVictim = (nextVictim + 1) % SLOTS;
        owners[slot] = buffer;
        byteViews[slot] = buffer.duplicate().clear().order(ByteOrder.LITTLE_ENDIAN);
        floatViews[slot] = null;
        return slot;
    }
}
