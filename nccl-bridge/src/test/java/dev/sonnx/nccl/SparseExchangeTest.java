package dev.sonnx.nccl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The sparse exchange against a reference that selects by sorting: the result must be exactly the
 * sum, in rank order, of every rank's selected elements, and the residual exactly what was not sent.
 */
class SparseExchangeTest {

    private static final int COUNT = 10_007;
    private static final int STEPS = 3;
    private static final TcpOptions OPTIONS = ThreadRanks.loopback(ThreadRanks.TEST_TIMEOUT);

    /** What one rank saw at each step: the dense result, its residual after the step, pairs it sent. */
    record Step(float[] result, float[] residual, long pairsSent) {
    }

    @ParameterizedTest(name = "{0} ranks, topK={1}, corr={2}")
    @CsvSource({
        "1, true, true", "2, true, true", "3, true, true", "4, true, true",
        "1, false, true", "2, false, true", "3, false, true", "4, false, true",
        "3, true, false", "3, false, false"})
    void resultIsTheSumOfEveryRanksSelectionAndTheResidualKeepsTheRest(int worldSize, boolean topK, boolean corr) {
        float spars = topK ? 0.05f : 6f;
        List<Step[]> ranks = ThreadRanks.runAll(worldSize, OPTIONS, comm -> {
            SparseExchange exchange = new SparseExchange();
            ByteBuffer residual = corr ? TestData.direct(4 * COUNT) : null;
            ByteBuffer result = TestData.direct(4 * COUNT);
            Step[] steps = new Step[STEPS];
            for (int s = 0; s < STEPS; s++) {
                int step = s;
                ByteBuffer gradient = TestData.floats(COUNT, i -> gradient(comm.rank(), step, i));
                exchange.exchange(comm, gradient, COUNT, topK, spars, corr, residual, result);
                steps[s] = new Step(toArray(result), corr ? toArray(residual) : null, exchange.pairsSentLastCall());
                assertEquals(TestData.floats(COUNT, i -> gradient(comm.rank(), step, i)), gradient.clear(),
                        "the gradient is left as it was");
            }
            return steps;
        });

        float[][] residuals = new float[worldSize][COUNT];
        for (int s = 0; s < STEPS; s++) {
            float[] expected = new float[COUNT];
            for (int r = 0; r < worldSize; r++) {
                float[] candidates = new float[COUNT];
                for (int i = 0; i < COUNT; i++) {
                    candidates[i] = corr ? residuals[r][i] + gradient(r, s, i) : gradient(r, s, i);
                }
                int[] sent = topK ? referenceTopK(candidates, SparseExchange.topKCount(COUNT, spars))
                        : referenceThreshold(candidates, spars);
                for (int i : sent) {
                    expected[i] += candidates[i];
                }
                if (corr) {
                    residuals[r] = candidates;
                    for (int i : sent) {
                        residuals[r][i] = 0;
                    }
                }
                Step seen = ranks.get(r)[s];
                assertEquals(sent.length, seen.pairsSent(), "pairs rank " + r + " sent at step " + s);
                if (corr) {
                    assertArrayEquals(residuals[r], seen.residual(), "residual of rank " + r + " after step " + s);
                }
            }
            for (int r = 0; r < worldSize; r++) {
                assertArrayEquals(expected, ranks.get(r)[s].result(), "result of rank " + r + " at step " + s);
            }
        }
    }

    @ParameterizedTest(name = "topK={0}")
    @ValueSource(booleans = {true, false})
    void nanIsAlwaysSentAndTheResultMayBeTheGradientBuffer(boolean topK) {
        List<float[]> results = ThreadRanks.runAll(2, OPTIONS, comm -> {
            ByteBuffer gradient = TestData.floats(100, i -> i == 7 && comm.rank() == 1 ? Float.NaN : 0.001f * i);
            new SparseExchange().exchange(comm, gradient, 100, topK, topK ? 0.01f : 1e6f, false, null, gradient);
            return toArray(gradient);
        });
        for (float[] result : results) {
            assertTrue(Float.isNaN(result[7]), "a diverged element reaches every rank");
        }
    }

    @ParameterizedTest(name = "{0} ranks")
    @ValueSource(ints = {2, 3})
    void ranksThatDisagreeOnTheElementCountFailNamingTheOther(int worldSize) {
        List<String> failures = ThreadRanks.runAll(worldSize, OPTIONS, comm -> {
            int count = comm.rank() == 1 ? 90 : 100;
            ByteBuffer gradient = TestData.floats(100, i -> i);
            try {
                new SparseExchange().exchange(comm, gradient, count, true, 0.1f, false, null, TestData.direct(400));
                return null;
            } catch (CommunicatorException e) {
                return e.getMessage();
            }
        });
        assertNotNull(failures.get(0));
        assertTrue(failures.get(0).startsWith("rank 0 sparse exchange: rank 1 exchanges 90 elements, this rank 100"),
                failures.get(0));
    }

    /** Gradients on a coarse grid, so that many magnitudes tie and the tie-breaking is exercised. */
    private static float gradient(int rank, int step, int index) {
        double u = new SplittableRandom(rank * 1_000_003L + step * 7_919L + index).nextDouble(-10, 10);
        return Math.round(u * 4) / 4f;
    }

    /** Indices of the k largest magnitudes (NaN largest), lower index first among equals, in index order. */
    private static int[] referenceTopK(float[] values, int k) {
        Comparator<Integer> byMagnitudeThenIndex = Comparator
                .comparingInt((Integer i) -> -(Float.floatToRawIntBits(values[i]) & 0x7fff_ffff))
                .thenComparingInt(i -> i);
        return IntStream.range(0, values.length).boxed().sorted(byMagnitudeThenIndex).limit(k)
                .mapToInt(Integer::intValue).sorted().toArray();
    }

    private static int[] referenceThreshold(float[] values, float threshold) {
        return IntStream.range(0, values.length)
                .filter(i -> Float.isNaN(values[i]) || Math.abs(values[i]) >= threshold).toArray();
    }

    private static float[] toArray(ByteBuffer buffer) {
        float[] values = new float[buffer.capacity() / 4];
        for (int i = 0; i < values.length; i++) {
            values[i] = buffer.getFloat(4 * i);
        }
        return values;
    }
}
