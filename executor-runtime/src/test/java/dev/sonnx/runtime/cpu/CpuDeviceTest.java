package dev.sonnx.runtime.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** parallelFor: every index exactly once, whoever runs it; failures reach the caller. */
class CpuDeviceTest {

    @Test
    void everyIndexRunsExactlyOnceForAnyCountAndCost() {
        CpuDevice d = CpuDevice.withThreads(3);
        for (int count : new int[] {1, 2, 7, 1000, 65_537, 1 << 20}) {
            for (long cost : new long[] {1, 64, 100_000}) {
                AtomicIntegerArray hits = new AtomicIntegerArray(count);
                d.parallelFor(count, cost, (s, e) -> {
                    for (int i = s; i < e; i++) {
                        hits.incrementAndGet(i);
                    }
                });
                for (int i = 0; i < count; i++) {
                    assertEquals(1, hits.get(i), "index " + i + " of " + count + " at cost " + cost);
                }
            }
        }
    }

    @Test
    void nestedLoopsAndConcurrentCallersComplete() throws Exception {
        CpuDevice d = CpuDevice.withThreads(2);
        AtomicLong sum = new AtomicLong();
        Thread[] callers = new Thread[4];
        for (int t = 0; t < callers.length; t++) {
            callers[t] = new Thread(() -> d.parallelFor(64, 1 << 20, (s, e) -> {
                for (int i = s; i < e; i++) {
                    d.parallelFor(1000, 1 << 10, (s2, e2) -> sum.addAndGet(e2 - s2));
                }
            }));
            callers[t].start();
        }
        for (Thread t : callers) {
            t.join(60_000);
        }
        assertEquals(4L * 64 * 1000, sum.get());
    }

    @Test
    void aFailingChunkFailsTheLoopWhereverItRan() {
        CpuDevice d = CpuDevice.withThreads(2);
        IllegalStateException boom = new IllegalStateException("boom");
        for (int failAt : new int[] {0, 500_000, 999_999}) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> d.parallelFor(1_000_000, 1,
                    (s, end) -> {
                        if (s <= failAt && failAt < end) {
                            throw boom;
                        }
                    }));
            assertSame(boom, e);
        }
        // the device still works afterwards
        AtomicLong n = new AtomicLong();
        d.parallelFor(1_000_000, 1, (s, e) -> n.addAndGet(e - s));
        assertEquals(1_000_000, n.get());
    }
}
