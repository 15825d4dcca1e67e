package dev.sonnx.runtime.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sonnx.runtime.backend.SingaBackend;
import dev.sonnx.runtime.backend.SingaRep;
import dev.sonnx.runtime.cpu.CpuDevice;
import dev.sonnx.runtime.onnx.proto.Onnx.GraphProto;
import dev.sonnx.runtime.testing.Models;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.Test;

/** Large run blocks are carved from shared regions: best fit, split, merged again; outputs move out. */
class CarvedRegionsTest {
    private static final int MB = 1 << 20;

    @Test
    void aDeadLargeBlockServesSeveralSmallerOnes() {
        CarvedRegions r = new CarvedRegions(1L << 30);
        ByteBuffer stem = r.take(25 * MB + 700 * 1024);
        assertEquals(0, stem.capacity() % CarvedRegions.GRANULE, "sizes are whole pages");
        assertTrue(r.give(stem));
        long region = r.regionBytes();
        List<ByteBuffer> later = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            later.add(r.take(6 * MB + 300 * 1024));
        }
        assertEquals(region, r.regionBytes(), "four 6.3 MB blocks fit in the dead 25.7 MB one");
        assertEquals(4L * roundUp(6 * MB + 300 * 1024), r.lentBytes());
        // and a fifth needs a region of its own
        later.add(r.take(6 * MB + 300 * 1024));
        assertTrue(r.regionBytes() > region);
    }

    @Test
    void freedNeighboursMergeInAnyOrder() {
        for (int[] order : new int[][] {{0, 1, 2}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {0, 2, 1}}) {
            CarvedRegions r = new CarvedRegions(1L << 30);
            r.give(r.take(3 * MB));
            ByteBuffer[] parts = {r.take(MB), r.take(MB), r.take(MB)};
            assertEquals(3L * MB, r.regionBytes());
            for (int i : order) {
                assertTrue(r.give(parts[i]));
            }
            assertNotNull(r.take(3 * MB));
            assertEquals(3L * MB, r.regionBytes(), "the three pieces merged back into one chunk, order "
                    + java.util.Arrays.toString(order));
        }
    }

    /** Random takes and gives: lent blocks never overlap (each keeps its own fill) and all come back. */
    @Test
    void lentBlocksNeverOverlap() {
        CarvedRegions r = new CarvedRegions(1L << 30);
        SplittableRandom random = new SplittableRandom(7);
        List<ByteBuffer> lent = new ArrayList<>();
        List<Byte> fills = new ArrayList<>();
        for (int step = 0; step < 600; step++) {
            if (!lent.isEmpty() && random.nextInt(3) == 0) {
                int i = random.nextInt(lent.size());
                ByteBuffer b = lent.remove(i);
                byte fill = fills.remove(i);
                assertFilled(b, fill, step);
                assertTrue(r.give(b));
                assertFalse(r.give(b), "a block goes back once");
            } else {
                int bytes = 256 * 1024 + random.nextInt(3 * MB);
                ByteBuffer b = r.take(bytes);
                assertTrue(b.capacity() >= bytes);
                assertEquals(0, new Pointer(b).address() % CarvedRegions.GRANULE, "page-aligned");
                byte fill = (byte) step;
                Pointer.memset(new Pointer(b), fill, b.capacity());
                lent.add(b);
                fills.add(fill);
            }
            for (int i = 0; i < lent.size(); i++) {
                assertFilled(lent.get(i), fills.get(i), step);
            }
        }
        long region = r.regionBytes();
        lent.forEach(r::give);
        assertEquals(0, r.lentBytes());
        assertEquals(region, r.regionBytes());
    }

    @Test
    void pastTheLimitTheCallerIsToldToAllocateItsOwn() {
        CarvedRegions r = new CarvedRegions(4L * MB);
        assertNotNull(r.take(3 * MB));
        assertNull(r.take(2 * MB));
        assertFalse(r.give(ByteBuffer.allocateDirect(16)), "a block it never lent");
    }

    /**
     * y = ((x + x) * x + x) * x over 1M floats (4 MB blocks, carved): the output moves out of the
     * regions when it escapes, so later runs that reuse every carved block leave it intact, and the
     * regions stop growing after the first run.
     */
    @Test
    void largeOutputsMoveOutOfTheRegionsAndSurviveLaterRuns() {
        int n = 1 << 20;
        SingaRep rep = chain(n);
        float[] a = new float[n];
        float[] b = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (i % 1000) * 0.01f;
            b[i] = -(i % 777) * 0.02f;
        }
        Tensor ya = rep.run(List.of(Tensor.of(a, n))).get(0);
        HostStorage out = (HostStorage) ya.storage();
        assertTrue(out.pooledBlock() == null, "the output moved into memory of its own");
        long regions = BufferPool.HOST.carvedRegionBytes();
        for (int k = 0; k < 4; k++) {
            Tensor yb = rep.run(List.of(Tensor.of(b, n))).get(0);
            for (int i = 0; i < n; i += 997) {
                assertEquals(expected(b[i]), yb.getFloat(i), 1e-4f);
            }
            yb.release();
        }
        assertEquals(regions, BufferPool.HOST.carvedRegionBytes(), "later runs reuse the regions");
        for (int i = 0; i < n; i++) {
            if (Math.abs(expected(a[i]) - ya.getFloat(i)) > 1e-4f) {
                throw new AssertionError("element " + i + " of the first output changed: " + ya.getFloat(i));
            }
        }
    }

    /** y = ((x + x) * x + x) * x over {@code n} floats. */
    private static SingaRep chain(int n) {
        GraphProto g = GraphProto.newBuilder().setName("chain")
                .addNode(Models.node("Add", "a", new String[] {"x", "x"}, new String[] {"t1"}))
                .addNode(Models.node("Mul", "b", new String[] {"t1", "x"}, new String[] {"t2"}))
                .addNode(Models.node("Add", "c", new String[] {"t2", "x"}, new String[] {"t3"}))
                .addNode(Models.node("Mul", "d", new String[] {"t3", "x"}, new String[] {"y"}))
                .addInput(Models.tensorInfo("x", DataType.FLOAT, n))
                .addOutput(Models.tensorInfo("y", DataType.FLOAT, n))
                .build();
        return SingaBackend.prepare(Models.model(g, 13), CpuDevice.get());
    }

    /**
     * Four threads running the chain over 1.5 MB tensors at once, each with its own inputs: every
     * output is exactly what that input gives (no two runs ever share a carved block).
     */
    @Test
    void concurrentRunsNeverShareCarvedBlocks() throws Exception {
        int n = 3 << 17;
        SingaRep rep = chain(n);
        int threads = 4;
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads);
        try {
            List<java.util.concurrent.Future<String>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int seed = t;
                results.add(pool.submit(() -> {
                    for (int k = 0; k < 12; k++) {
                        float scale = 0.001f * (seed * 16 + k + 1);
                        float[] x = new float[n];
                        for (int i = 0; i < n; i++) {
                            x[i] = (i % 509) * scale;
                        }
                        Tensor y = rep.run(List.of(Tensor.of(x, n))).get(0);
                        for (int i = 0; i < n; i++) {
                            if (y.getFloat(i) != expected(x[i])) {
                                return "thread " + seed + " run " + k + " element " + i + ": " + y.getFloat(i)
                                        + " instead of " + expected(x[i]);
                            }
                        }
                        y.release();
                    }
                    return null;
                }));
            }
            for (var r : results) {
                assertNull(r.get());
            }
        } finally {
            pool.shutdown();
        }
    }

    private static float expected(float x) {
        return ((x + x) * x + x) * x;
    }

    private static int roundUp(int bytes) {
        return (bytes + CarvedRegions.GRANULE - 1) & -CarvedRegions.GRANULE;
    }

    private static void assertFilled(ByteBuffer b, byte fill, int step) {
        for (int i = 0; i < b.capacity(); i += 4093) {
            if (b.get(i) != fill) {
                throw new AssertionError("step " + step + ": byte " + i + " of a lent block was overwritten");
            }
        }
        assertEquals(fill, b.get(b.capacity() - 1));
    }
}
