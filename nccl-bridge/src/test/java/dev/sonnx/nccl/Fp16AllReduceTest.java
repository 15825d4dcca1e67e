package dev.sonnx.nccl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;

class Fp16AllReduceTest {

    @Test
    void encodeClipsToTheBoundThenRoundsToNearestEven() {
        float[] values = {1e6f, -1e6f, 0.1f, Float.NaN, 70_000f, 1 + 0x1p-11f};
        ByteBuffer fp32 = TestData.floats(values.length, i -> values[i]);
        ByteBuffer fp16 = TestData.direct(2 * values.length);
        Fp16AllReduce.encode(fp32, fp16, values.length, 100f);
        assertEquals(100f, half(fp16, 0));
        assertEquals(-100f, half(fp16, 1));
        assertEquals(Float16.toFloat(Float16.fromFloat(0.1f)), half(fp16, 2));
        assertTrue(Float.isNaN(half(fp16, 3)), "clipping keeps NaN");
        assertEquals(100f, half(fp16, 4));
        assertEquals(1f, half(fp16, 5), "a tie rounds to the even neighbour");

        Fp16AllReduce.encode(fp32, fp16, values.length, Fp16AllReduce.NO_CLIPPING);
        assertEquals(Float.POSITIVE_INFINITY, half(fp16, 4), "unclipped, beyond 65504 is infinite");

        ByteBuffer decoded = TestData.direct(4 * values.length);
        Fp16AllReduce.decode(fp16, decoded, values.length);
        assertEquals(Float16.toFloat(Float16.fromFloat(0.1f)), decoded.getFloat(8));
    }

    @Test
    void allReduceInFp16IsTheSumWithinFp16Rounding() {
        int worldSize = 3;
        int count = 50_000;
        float clip = 8f;
        List<ByteBuffer> results = ThreadRanks.runAll(worldSize, ThreadRanks.loopback(ThreadRanks.TEST_TIMEOUT),
                comm -> {
                    ByteBuffer gradients = TestData.floats(count, i -> TestData.uniform(comm.rank(), i));
                    new Fp16AllReduce(count).allReduce(comm, gradients, count, ReduceOp.SUM, clip);
                    return gradients;
                });
        for (int i = 0; i < count; i++) {
            double exact = 0;
            double magnitudes = 0;
            for (int r = 0; r < worldSize; r++) {
                double clipped = Math.max(-clip, Math.min(clip, TestData.uniform(r, i)));
                exact += clipped;
                magnitudes += Math.abs(clipped);
            }
            // one rounding when each rank encodes, and one per hop of the ring
            double bound = (2 * worldSize - 1) * 0x1p-11 * magnitudes + 0x1p-24;
            assertEquals(exact, results.get(0).getFloat(4 * i), bound, "element " + i);
        }
        for (int r = 1; r < worldSize; r++) {
            assertEquals(results.get(0).clear(), results.get(r).clear(), "rank " + r + " holds the same result");
        }
    }

    private static float half(ByteBuffer fp16, int index) {
        return Float16.toFloat(fp16.getShort(2 * index));
    }
}
