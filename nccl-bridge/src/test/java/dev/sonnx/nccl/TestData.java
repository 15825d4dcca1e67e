package dev.sonnx.nccl;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;

/** Deterministic per-rank data, so that any rank (or the test) can compute what every other rank holds. */
final class TestData {

    interface ValueAt {
        float at(int index);
    }

    private TestData() {
    }

    static float integerValued(int rank, int index) {
        return (index % 97) - 40 + rank * 3;
    }

    static float uniform(int rank, int index) {
        return (float) new SplittableRandom(rank * 1_000_003L + index).nextDouble(-10, 10);
    }

    /** Values exactly representable in fp16, in [-4, 4]. */
    static float halfValue(int rank, int index) {
        return Float16.toFloat(Float16.fromFloat((float) new SplittableRandom(rank * 7_919L + index).nextDouble(-4, 4)));
    }

    static ByteBuffer direct(int bytes) {
        return ByteBuffer.allocateDirect(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    static ByteBuffer floats(int count, ValueAt values) {
        ByteBuffer buffer = direct(4 * count);
        for (int i = 0; i < count; i++) {
            buffer.putFloat(4 * i, values.at(i));
        }
        return buffer;
    }

    static ByteBuffer halves(int count, ValueAt values) {
        ByteBuffer buffer = direct(2 * count);
        for (int i = 0; i < count; i++) {
            buffer.putShort(2 * i, Float16.fromFloat(values.at(i)));
        }
        return buffer;
    }

    static byte[] message(int rank, int length) {
        byte[] message = new byte[length];
        for (int i = 0; i < length; i++) {
            message[i] = (byte) (rank * 31 + i);
        }
        return message;
    }
}
