package dev.sonnx.nccl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * NCCL on real GPUs when the machine has them; without CUDA the tests that need a GPU are skipped,
 * saying why, and creating a communicator must fail with a clear message instead of crashing.
 */
class NcclCommunicatorTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    @Test
    void withoutCudaCreatingFailsWithAClearMessage() {
        String reason = NcclCommunicator.unavailableReason();
        assumeNoGpu(reason);
        CommunicatorException e = assertThrows(CommunicatorException.class,
                () -> NcclCommunicator.create(0, 1, 0, mine -> new byte[][] {mine}, TIMEOUT));
        if (reason.startsWith("CUDA/NCCL libraries not found: ")) {
            assertEquals(reason, e.getMessage());
        } else {
            assertTrue(e.getMessage().startsWith("rank 0 NCCL init: "), e.getMessage());
        }
    }

    @Test
    void aRankWithoutCudaMakesItsPeersFailInsteadOfWaiting() throws Exception {
        String reason = NcclCommunicator.unavailableReason();
        assumeNoGpu(reason);
        InProcessRendezvous rendezvous = new InProcessRendezvous(2, TIMEOUT);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<String>> failures = new ArrayList<>();
            for (int r = 0; r < 2; r++) {
                int rank = r;
                failures.add(pool.submit(() -> assertThrows(CommunicatorException.class,
                        () -> NcclCommunicator.create(rank, 2, 0, rendezvous.forRank(rank), TIMEOUT)).getMessage()));
            }
            for (Future<String> failure : failures) {
                assertTrue(failure.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS).contains(
                        reason.startsWith("CUDA/NCCL") ? reason : "NCCL init"));
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void hostCollectivesOnOneGpu() {
        assumeGpus(1);
        try (NcclCommunicator comm = NcclCommunicator.create(0, 1, 0, mine -> new byte[][] {mine}, TIMEOUT)) {
            ByteBuffer data = TestData.floats(1000, i -> i);
            comm.allReduce(data, 1000, ElementType.FLOAT32, ReduceOp.SUM);
            comm.allReduce(data, 1000, ElementType.FLOAT32, ReduceOp.AVERAGE);
            for (int i = 0; i < 1000; i++) {
                assertEquals(i, data.getFloat(4 * i));
            }
            ByteBuffer gathered = TestData.direct(4000);
            comm.allGather(data, 1000, ElementType.FLOAT32, gathered);
            assertEquals(data.clear(), gathered.clear());
            comm.broadcast(data, 1000, ElementType.FLOAT32, 0);
            assertArrayEquals(new byte[] {1, 2, 3}, comm.allGatherBytes(new byte[] {1, 2, 3})[0]);
            comm.barrier();
        }
    }

    @Test
    void allReduceAcrossTwoGpus() throws Exception {
        assumeGpus(2);
        int count = 1 << 20;
        InProcessRendezvous rendezvous = new InProcessRendezvous(2, TIMEOUT);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<ByteBuffer>> results = new ArrayList<>();
            for (int r = 0; r < 2; r++) {
                int rank = r;
                results.add(pool.submit(() -> {
                    try (NcclCommunicator comm = NcclCommunicator.create(rank, 2, rank, rendezvous.forRank(rank),
                            TIMEOUT)) {
                        ByteBuffer data = TestData.floats(count, i -> TestData.integerValued(rank, i));
                        comm.allReduce(data, count, ElementType.FLOAT32, ReduceOp.SUM);
                        return data;
                    }
                }));
            }
            for (Future<ByteBuffer> result : results) {
                ByteBuffer data = result.get(TIMEOUT.toSeconds() * 2, TimeUnit.SECONDS);
                for (int i = 0; i < count; i++) {
                    assertEquals(TestData.integerValued(0, i) + TestData.integerValued(1, i), data.getFloat(4 * i));
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private static void assumeNoGpu(String reason) {
        Assumptions.assumeTrue(reason != null, "this machine has CUDA, NCCL and a GPU: the no-CUDA path is not"
                + " what it can test");
    }

    private static void assumeGpus(int needed) {
        int gpus = NcclCommunicator.deviceCount();
        if (gpus < needed) {
            String why = "skipping NCCL test: it needs " + needed + " GPU(s), this machine has " + gpus
                    + (gpus == 0 ? " (" + NcclCommunicator.unavailableReason() + ")" : "");
            System.out.println(why);
            Assumptions.abort(why);
        }
    }
}
