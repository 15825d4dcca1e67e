package dev.sonnx.nccl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;

class FusedBucketsTest {

    /** With threshold 100: tensor 1 and 6 are large; 0, 2, 3, 4 add up past 100; 5 and 7 are left at the end. */
    private static final int[] SIZES = {10, 500, 20, 30, 45, 7, 300, 1};

    @Test
    void groupsTensorsAsSingaDoes() {
        FusedBuckets buckets = FusedBuckets.plan(SIZES, 100);
        assertEquals(4, buckets.bucketCount());
        assertFalse(buckets.isFused(0));
        assertArrayEquals(new int[] {1}, buckets.tensors(0));
        assertTrue(buckets.isFused(1));
        assertArrayEquals(new int[] {0, 2, 3, 4}, buckets.tensors(1), "closes once past the threshold");
        assertEquals(105, buckets.elements(1));
        assertArrayEquals(new int[] {6}, buckets.tensors(2));
        assertArrayEquals(new int[] {5, 7}, buckets.tensors(3), "what is open at the end is the last bucket");
        assertEquals(8, buckets.elements(3));
    }

    @Test
    void aTensorOfExactlyTheThresholdIsFused() {
        FusedBuckets buckets = FusedBuckets.plan(new int[] {100, 1, 100}, 100);
        assertEquals(2, buckets.bucketCount());
        assertArrayEquals(new int[] {0, 1}, buckets.tensors(0));
        assertArrayEquals(new int[] {2}, buckets.tensors(1));
        assertTrue(buckets.isFused(1), "not larger than the threshold, so fused even when alone");
    }

    @Test
    void packThenUnpackRoundTripsAndTheFusedBufferIsTheConcatenation() {
        FusedBuckets buckets = FusedBuckets.plan(SIZES, 100);
        ByteBuffer[] tensors = tensors(0);
        for (int b = 0; b < buckets.bucketCount(); b++) {
            if (!buckets.isFused(b)) {
                int bucket = b;
                assertThrows(IllegalArgumentException.class, () -> buckets.fusedBuffer(bucket));
                continue;
            }
            buckets.pack(b, tensors);
            ByteBuffer fused = buckets.fusedBuffer(b);
            int at = 0;
            for (int t : buckets.tensors(b)) {
                for (int i = 0; i < SIZES[t]; i++) {
                    assertEquals(value(0, t, i), fused.getFloat(4 * at++), "tensor " + t + " element " + i);
                }
            }
            for (int t : buckets.tensors(b)) {
                tensors[t].clear();
                for (int i = 0; i < SIZES[t]; i++) {
                    tensors[t].putFloat(4 * i, -1);
                }
            }
            buckets.unpack(b, tensors);
        }
        assertEquals(tensors(0).length, tensors.length);
        ByteBuffer[] original = tensors(0);
        for (int t = 0; t < SIZES.length; t++) {
            assertEquals(original[t].clear(), tensors[t].clear(), "tensor " + t + " after the round trip");
        }
    }

    @Test
    void allReduceOverTheRingSumsEveryTensorWithOneCollectivePerBucket() {
        int worldSize = 3;
        List<ByteBuffer[]> results = ThreadRanks.runAll(worldSize, ThreadRanks.loopback(ThreadRanks.TEST_TIMEOUT),
                comm -> {
                    FusedBuckets buckets = FusedBuckets.plan(SIZES, 100); // each rank owns its fused buffers
                    ByteBuffer[] tensors = tensors(comm.rank());
                    buckets.allReduce(comm, tensors, ReduceOp.SUM);
                    return tensors;
                });
        for (ByteBuffer[] rank : results) {
            for (int t = 0; t < SIZES.length; t++) {
                for (int i = 0; i < SIZES[t]; i++) {
                    float expected = value(0, t, i) + value(1, t, i) + value(2, t, i);
                    assertEquals(expected, rank[t].getFloat(4 * i), "tensor " + t + " element " + i);
                }
            }
        }
    }

    @Test
    void reduceHandsEachBucketToTheReductionInPlaceForLargeTensors() {
        FusedBuckets buckets = FusedBuckets.plan(SIZES, 100);
        ByteBuffer[] tensors = tensors(0);
        int[] seenCounts = new int[buckets.bucketCount()];
        buckets.reduceAll(tensors, (bucket, fp32, count) -> {
            seenCounts[bucket] = count;
            if (!buckets.isFused(bucket)) {
                assertTrue(fp32 == tensors[buckets.tensors(bucket)[0]], "a large tensor is reduced in place");
            }
            for (int i = 0; i < count; i++) {
                fp32.putFloat(4 * i, fp32.getFloat(4 * i) * 2);
            }
        });
        assertArrayEquals(new int[] {500, 105, 300, 8}, seenCounts);
        for (int t = 0; t < SIZES.length; t++) {
            for (int i = 0; i < SIZES[t]; i++) {
                assertEquals(2 * value(0, t, i), tensors[t].getFloat(4 * i));
            }
        }
    }

    private static float value(int rank, int tensor, int index) {
        return rank * 1000 + tensor * 10 + index % 10;
    }

    private static ByteBuffer[] tensors(int rank) {
        ByteBuffer[] tensors = new ByteBuffer[SIZES.length];
        for (int t = 0; t < SIZES.length; t++) {
            int tensor = t;
            tensors[t] = TestData.floats(SIZES[t], i -> value(rank, tensor, i));
        }
        return tensors;
    }
}
