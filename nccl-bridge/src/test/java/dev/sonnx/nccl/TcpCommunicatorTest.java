package dev.sonnx.nccl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The TCP ring's collectives, ranks as threads over loopback, checked against sums computed here. */
class TcpCommunicatorTest {

    /** Small chunks, so that even these modest buffers stream through many pipelined chunks. */
    private static final TcpOptions OPTIONS = ThreadRanks.loopback(ThreadRanks.TEST_TIMEOUT).withChunkBytes(4096);

    /** Counts below, at and above the world size, and one spanning many chunks. */
    private static final int[] COUNTS = {0, 1, 2, 3, 5, 1000, 100_003};

    @ParameterizedTest(name = "{0} ranks")
    @ValueSource(ints = {1, 2, 3, 4})
    void allReduceSumsIntegerValuedFloatsExactlyAndEveryRankGetsTheSameBits(int worldSize) {
        for (int count : COUNTS) {
            List<ByteBuffer> results = ThreadRanks.runAll(worldSize, OPTIONS, comm -> {
                ByteBuffer data = TestData.floats(count, i -> TestData.integerValued(comm.rank(), i));
                comm.allReduce(data, count, ElementType.FLOAT32, ReduceOp.SUM);
                return data;
            });
            for (int i = 0; i < count; i++) {
                float expected = 0;
                for (int r = 0; r < worldSize; r++) {
                    expected += TestData.integerValued(r, i);
                }
                assertEquals(expected, results.get(0).getFloat(4 * i), "element " + i + " of " + count);
            }
            assertSameBits(results);
        }
    }

    @ParameterizedTest(name = "{0} ranks")
    @ValueSource(ints = {1, 2, 3, 4})
    void allReduceAveragesAndTakesTheMaximum(int worldSize) {
        int count = 10_007;
        List<ByteBuffer[]> results = ThreadRanks.runAll(worldSize, OPTIONS, comm -> {
            ByteBuffer average = TestData.floats(count, i -> TestData.integerValued(comm.rank(), i));
            ByteBuffer max = TestData.floats(count, i -> TestData.integerValued(comm.rank(), i));
            comm.allReduce(average, count, ElementType.FLOAT32, ReduceOp.AVERAGE);
            comm.allReduce(max, count, ElementType.FLOAT32, ReduceOp.MAX);
            return new ByteBuffer[] {average, max};
        });
        for (int i = 0; i < count; i++) {
            float sum = 0;
            float max = Float.NEGATIVE_INFINITY;
            for (int r = 0; r < worldSize; r++) {
                sum += TestData.integerValued(r, i);
                max = Math.max(max, TestData.integerValued(r, i));
            }
            for (ByteBuffer[] rank : results) {
                assertEquals(sum / worldSize, rank[0].getFloat(4 * i), "average of element " + i);
                assertEquals(max, rank[1].getFloat(4 * i), "maximum of element " + i);
            }
        }
    }

    @ParameterizedTest(name = "{0} ranks")
    @ValueSource(ints = {2, 3, 4})
    void allReduceOfRandomFloatsIsTheSumWithinFloatRounding(int worldSize) {
        int count = 65_537;
        List<ByteBuffer> results = ThreadRanks.runAll(worldSize, OPTIONS, comm -> {
            ByteBuffer data = TestData.floats(count, i -> TestData.uniform(comm.rank(), i));
            comm.allReduce(data, count, ElementType.FLOAT32, ReduceOp.SUM);
            return data;
        });
        for (int i = 0; i < count; i++) {
            double exact = 0;
            double magnitudes = 0;
            for (int r = 0; r < worldSize; r++) {
                exact += TestData.uniform(r, i);
                magnitudes += Math.abs(TestData.uniform(r, i));
            }
            // n - 1 float additions, each off by at most half an ulp of a partial sum
            double bound = (worldSize - 1) * 0x1p-24 * magnitudes + Float.MIN_VALUE;
            assertEquals(exact, results.get(0).getFloat(4 * i), bound, "element " + i);
        }
        assertSameBits(results);
    }

    @ParameterizedTest(name = "{0} ranks")
    @ValueSource(ints = {1, 2, 3, 4})
    void fp16SumIsWithinFp16RoundingAndAverageAndMaxWork(int worldSize) {
        int count = 20_011;
        List<ByteBuffer[]> results = ThreadRanks.runAll(worldSize, OPTIONS, comm -> {
            ByteBuffer sum = TestData.halves(count, i -> TestData.halfValue(comm.rank(), i));
            ByteBuffer average = TestData.halves(count, i -> TestData.halfValue(comm.rank(), i));
            ByteBuffer max = TestData.halves(count, i -> TestData.halfValue(comm.rank(), i));
            comm.allReduce(sum, count, ElementType.FLOAT16, ReduceOp.SUM);
            comm.allReduce(average, count, ElementType.FLOAT16, ReduceOp.AVERAGE);
            comm.allReduce(max, count, ElementType.FLOAT16, ReduceOp.MAX);
            return new ByteBuffer[] {sum, average, max};
        });
        for (int i = 0; i < count; i++) {
            double exact = 0;
            double magnitudes = 0;
            float max = Float.NEGATIVE_INFINITY;
            for (int r = 0; r < worldSize; r++) {
                exact += TestData.halfValue(r, i);
                magnitudes += Math.abs(TestData.halfValue(r, i));
                max = Math.max(max, TestData.halfValue(r, i));
            }
            // each hop rounds its float32 sum back to fp16: at most half an fp16 ulp (2^-11 relative) per hop
            double bound = (worldSize - 1) * 0x1p-11 * magnitudes + 0x1p-25;
            ByteBuffer[] rank0 = results.get(0);
            assertEquals(exact, Float16.toFloat(rank0[0].getShort(2 * i)), bound, "sum of element " + i);
            assertEquals(exact / worldSize, Float16.toFloat(rank0[1].getShort(2 * i)),
                    bound / worldSize + Math.abs(exact / worldSize) * 0x1p-11, "average of element " + i);
            assertEquals(max, Float16.toFloat(rank0[2].getShort(2 * i)), "maximum of element " + i);
        }
        for (int k = 0; k < 3; k++) {
            int which = k;
            assertSameBits(results.stream().map(buffers -> buffers[which]).toList());
        }
    }

    @ParameterizedTest(name = "{0} ranks")
    @ValueSource(ints = {1, 2, 3, 4})
    void integerAllReducesAreExact(int worldSize) {
        int count = 3001;
        List<ByteBuffer[]> results = ThreadRanks.runAll(worldSize, OPTIONS, comm -> {
            int r = comm.rank();
            ByteBuffer ints = TestData.direct(4 * count);
            ByteBuffer intAverages = TestData.direct(4 * count);
            ByteBuffer intMaxima = TestData.direct(4 * count);
            ByteBuffer longs = TestData.direct(8 * count);
            for (int i = 0; i < count; i++) {
                ints.putInt(4 * i, i * 1_000 - r * 77_777);
                intAverages.putInt(4 * i, i + r);
                intMaxima.putInt(4 * i, (i % 7) * (r + 1) - 3);
                longs.putLong(8 * i, (1L << 40) * (r + 1) + i);
            }
            comm.allReduce(ints, count, ElementType.INT32, ReduceOp.SUM);
            comm.allReduce(intAverages, count, ElementType.INT32, ReduceOp.AVERAGE);
            comm.allReduce(intMaxima, count, ElementType.INT32, ReduceOp.MAX);
            comm.allReduce(longs, count, ElementType.INT64, ReduceOp.SUM);
            return new ByteBuffer[] {ints, intAverages, intMaxima, longs};
        });
        int n = worldSize;
        for (ByteBuffer[] rank : results) {
            for (int i = 0; i < count; i++) {
                assertEquals(n * i * 1_000 - 77_777 * n * (n - 1) / 2, rank[0].getInt(4 * i));
                assertEquals((n * i + n * (n - 1) / 2) / n, rank[1].getInt(4 * i), "truncating integer average");
                assertEquals((i % 7) * n - 3, rank[2].getInt(4 * i));
                assertEquals((1L << 40) * n * (n + 1) / 2 + (long) n * i, rank[3].getLong(8 * i));
            }
        }
    }

    @ParameterizedTest(name = "{0} ranks")
    @ValueSource(ints = {1, 2, 3, 4})
    void allGatherPlacesEveryRanksBlockAtItsRank(int worldSize) {
        for (int count : new int[] {0, 1, 7, 30_000}) {
            List<ByteBuffer> results = ThreadRanks.runAll(worldSize, OPTIONS, comm -> {
                ByteBuffer mine = TestData.direct(4 * count);
                for (int i = 0; i < count; i++) {
                    mine.putInt(4 * i, comm.rank() * 1_000_000 + i);
                }
                ByteBuffer gathered = TestData.direct(4 * count * worldSize);
                comm.allGather(mine, count, ElementType.INT32, gathered);
                return gathered;
            });
            for (ByteBuffer gathered : results) {
                for (int r = 0; r < worldSize; r++) {
                    for (int i = 0; i < count; i++) {
                        assertEquals(r * 1_000_000 + i, gathered.getInt(4 * (r * count + i)));
                    }
                }
            }
        }
    }

    @ParameterizedTest(name = "{0} ranks")
    @ValueSource(ints = {1, 2, 3, 4})
    void allGatherBytesCarriesMessagesOfAnyLengthInRankOrder(int worldSize) {
        List<byte[][][]> results = ThreadRanks.runAll(worldSize, OPTIONS, comm -> {
            // rank 0 sends nothing; the second round is longer, so the scratch grows between calls
            byte[][] first = comm.allGatherBytes(TestData.message(comm.rank(), comm.rank() * 37));
            byte[][] second = comm.allGatherBytes(TestData.message(comm.rank(), 10_000 + comm.rank()));
            return new byte[][][] {first, second};
        });
        for (byte[][][] rank : results) {
            for (int r = 0; r < worldSize; r++) {
                assertArrayEquals(TestData.message(r, r * 37), rank[0][r]);
                assertArrayEquals(TestData.message(r, 10_000 + r), rank[1][r]);
            }
        }
    }

    @ParameterizedTest(name = "{0} ranks")
    @ValueSource(ints = {1, 2, 3, 4})
    void broadcastFromEveryRootReachesEveryRank(int worldSize) {
        int count = 50_001;
        List<ByteBuffer[]> results = ThreadRanks.runAll(worldSize, OPTIONS, comm -> {
            ByteBuffer[] received = new ByteBuffer[worldSize];
            for (int root = 0; root < worldSize; root++) {
                int from = root;
                received[root] = TestData.floats(count, i -> comm.rank() == from ? from * 100_000 + i : -1);
                comm.broadcast(received[root], count, ElementType.FLOAT32, root);
            }
            return received;
        });
        for (ByteBuffer[] rank : results) {
            for (int root = 0; root < worldSize; root++) {
                for (int i = 0; i < count; i++) {
                    assertEquals(root * 100_000 + i, rank[root].getFloat(4 * i), "from root " + root);
                }
            }
        }
    }

    @ParameterizedTest(name = "{0} ranks")
    @ValueSource(ints = {2, 3, 4})
    void barrierReturnsOnlyAfterTheLastRankArrives(int worldSize) {
        long[] arrivals = new long[worldSize];
        List<Long> departures = ThreadRanks.runAll(worldSize, OPTIONS, comm -> {
            Thread.sleep(150L * comm.rank());
            arrivals[comm.rank()] = System.nanoTime();
            comm.barrier();
            return System.nanoTime();
        });
        long lastArrival = arrivals[worldSize - 1];
        for (int r = 0; r < worldSize; r++) {
            assertTrue(departures.get(r) >= lastArrival, "rank " + r + " left the barrier before rank "
                    + (worldSize - 1) + " arrived");
        }
    }

    @ParameterizedTest(name = "{0} ranks")
    @ValueSource(ints = {1, 2, 3, 4})
    void allReduceSendsTwiceTheDataTimesNMinusOneOverN(int worldSize) {
        int count = 12 * 1024; // divisible by 1, 2, 3 and 4: segments are equal
        List<Long> sent = ThreadRanks.runAll(worldSize, OPTIONS, comm -> {
            ByteBuffer data = TestData.floats(count, i -> 1);
            comm.allReduce(data, count, ElementType.FLOAT32, ReduceOp.SUM);
            return comm.bytesSent();
        });
        for (long bytes : sent) {
            assertEquals(2L * (worldSize - 1) * 4 * count / worldSize, bytes);
        }
    }

    static void assertSameBits(List<ByteBuffer> buffers) {
        for (int r = 1; r < buffers.size(); r++) {
            assertEquals(buffers.get(0).clear(), buffers.get(r).clear(), "rank " + r + " differs from rank 0");
        }
    }
}
