package dev.sonnx.runtime.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Host storage whose contents go back to the system at once: constants reclaimed by their sole
 * reader and rebuilt on the next read, and scratch arenas released when they close.
 */
class ReclaimableStorageTest {

    private static float[] values(int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) Math.sin(i * 0.37) * 100 + i;
        }
        return v;
    }

    /** Direct memory in use by the JDK's buffers (what allocateDirect reserves and its cleaners release). */
    private static long directBytes() {
        for (BufferPoolMXBean b : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
            if (b.getName().equals("direct")) {
                return b.getMemoryUsed();
            }
        }
        throw new AssertionError("no direct buffer pool");
    }

    /** A refill from a copy taken now, counting its calls. */
    private static HostStorage.Refill copyOf(Tensor t, AtomicInteger calls) {
        ByteBuffer saved = ByteBuffer.allocate(t.size() * t.dtype().byteSize());
        saved.put(0, t.bytes(), 0, saved.capacity());
        return target -> {
            calls.incrementAndGet();
            target.put(0, saved, 0, target.capacity());
        };
    }

    @Test
    void reclaimedContentsComeBackOnTheNextRead() {
        float[] v = values(1 << 20);
        Tensor t = Tensor.of(v, 1024, 1024);
        HostStorage h = (HostStorage) t.storage();
        long bytes = h.byteSize();
        h.allowReclaim();
        AtomicInteger calls = new AtomicInteger();
        long before = directBytes();
        assertTrue(h.reclaim(copyOf(t, calls)));
        assertTrue(h.isReclaimed());
        // the memory went back now, not at some later collection
        assertTrue(before - directBytes() >= bytes, "direct memory in use went from " + before + " to " + directBytes());
        assertEquals(bytes, h.byteSize());
        assertEquals(0, calls.get());

        float[] back = t.toFloatArray();
        assertArrayEquals(v, back);
        assertEquals(1, calls.get());
        assertFalse(h.isReclaimed());
        assertEquals(0, t.pointer().address() % 64, "rebuilt contents stay 64-byte aligned");
        t.toFloatArray();
        assertEquals(1, calls.get(), "rebuilt once, then read as any tensor");

        // it may be reclaimed again, with a new way back
        assertTrue(h.reclaim(copyOf(t, calls)));
        assertEquals(v[12345], t.getFloat(12345));
        assertEquals(2, calls.get());
    }

    @Test
    void onlyStorageThePlanAllowsIsReclaimed() {
        Tensor t = Tensor.of(values(64), 64);
        HostStorage h = (HostStorage) t.storage();
        AtomicInteger calls = new AtomicInteger();
        assertFalse(h.reclaim(copyOf(t, calls)));
        assertFalse(h.isReclaimed());
        assertArrayEquals(values(64), t.toFloatArray());

        // pooled memory belongs to a run's arena
        try (Arena run = new Arena(false); Arena.Scope ignored = run.enter()) {
            Tensor pooled = Tensor.zeros(DataType.FLOAT, 64);
            HostStorage p = (HostStorage) pooled.storage();
            p.allowReclaim();
            assertFalse(p.reclaim(copyOf(pooled, calls)));
        }
        Tensor strings = Tensor.of(new String[] {"a", "b"}, 2);
        HostStorage s = (HostStorage) strings.storage();
        s.allowReclaim();
        assertFalse(s.reclaim(target -> { }));
        assertEquals("b", strings.getString(1));
    }

    @Test
    void pinnedStorageKeepsItsContents() {
        float[] v = values(4096);
        Tensor t = Tensor.of(v, 4096);
        HostStorage h = (HostStorage) t.storage();
        h.allowReclaim();
        AtomicInteger calls = new AtomicInteger();
        assertTrue(h.reclaim(copyOf(t, calls)));
        h.pin();
        assertEquals(1, calls.get(), "pinning rebuilds reclaimed contents");
        assertFalse(h.isReclaimed());
        assertFalse(h.reclaim(copyOf(t, calls)), "pinned storage is never reclaimed again");
        assertArrayEquals(v, t.toFloatArray());
    }

    @Test
    void mallocIsTrimmedOnceEnoughWasFreed() {
        DirectMemory.trim(); // whatever earlier tests freed
        assertFalse(DirectMemory.trim(), "nothing freed since the last trim");
        try (Arena a = Arena.scratch(); Arena.Scope ignored = a.enter()) {
            Tensor.zeros(DataType.FLOAT, 256 << 10); // 1 MiB
        }
        assertFalse(DirectMemory.trim(), "1 MiB is not worth a trim");
        try (Arena a = Arena.scratch(); Arena.Scope ignored = a.enter()) {
            for (int i = 0; i < 8; i++) {
                Tensor.zeros(DataType.FLOAT, 256 << 10);
            }
        }
        assertTrue(DirectMemory.trim(), "9 MiB freed: malloc hands its free pages back");
        assertFalse(DirectMemory.trim());
    }

    @Test
    void scratchArenaGivesItsMemoryBackWhenItCloses() {
        int n = 4 << 20; // 16 MiB
        Tensor scratch;
        Tensor kept;
        long before = directBytes();
        try (Arena a = Arena.scratch(); Arena.Scope ignored = a.enter()) {
            scratch = Tensor.zeros(DataType.FLOAT, n);
            scratch.setFloat(n - 1, 7f);
            assertEquals(7f, scratch.getFloat(n - 1));
            // state that outlives the work is allocated detached, as operator caches are
            kept = Arena.detached(() -> Tensor.of(values(256), 256));
            assertTrue(directBytes() - before >= 4L * n);
        }
        assertTrue(directBytes() - before < 4L * n, "direct memory in use grew by " + (directBytes() - before));
        assertThrows(IllegalStateException.class, () -> scratch.getFloat(0));
        assertArrayEquals(values(256), kept.toFloatArray());
    }
}
