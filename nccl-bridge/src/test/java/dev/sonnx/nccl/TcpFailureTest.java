package dev.sonnx.nccl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A peer that dies, closes or stalls makes every other rank's collective throw a
 * CommunicatorException naming a peer rank and the collective, within the timeout: never a hang.
 */
class TcpFailureTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(2);
    private static final TcpOptions OPTIONS = ThreadRanks.loopback(TIMEOUT);
    /** Scheduling slack on a busy machine, on top of the timeout. */
    private static final long SLACK_NANOS = TimeUnit.SECONDS.toNanos(3);

    /** How one rank's collective ended: the failure message (null if it completed) and how long it took. */
    record Ending(String failure, long nanos) {
        static Ending of(Runnable collective) {
            long start = System.nanoTime();
            try {
                collective.run();
                return new Ending(null, System.nanoTime() - start);
            } catch (CommunicatorException e) {
                return new Ending(e.getMessage(), System.nanoTime() - start);
            }
        }
    }

    @Test
    void aPeerThatIsGoneMakesTheOthersFailAtOnce() {
        int count = 1 << 20;
        List<Ending> endings = ThreadRanks.runAll(3, OPTIONS, comm -> {
            if (comm.rank() == 1) {
                comm.close(); // dies before the collective: its links close
                return null;
            }
            ByteBuffer data = TestData.floats(count, i -> i);
            return Ending.of(() -> comm.allReduce(data, count, ElementType.FLOAT32, ReduceOp.SUM));
        });
        for (int r : new int[] {0, 2}) {
            Ending ending = endings.get(r);
            assertFailedNamingAPeer(ending, r, "allReduce");
            assertTrue(ending.nanos() < TIMEOUT.toNanos(), "rank " + r + " learnt of the closed links at once, not"
                    + " after the timeout: " + TimeUnit.NANOSECONDS.toMillis(ending.nanos()) + " ms");
        }
    }

    @Test
    void aPeerThatDiesMidCollectiveMakesEveryRankFail() {
        int count = 8 << 20; // 32 MiB: the collective runs long enough to be cut in the middle
        List<Ending> endings = ThreadRanks.runAll(4, OPTIONS, comm -> {
            ByteBuffer data = TestData.floats(count, i -> 1);
            if (comm.rank() == 2) {
                Thread killer = new Thread(() -> {
                    while (comm.bytesSent() < (1 << 20)) {
                        Thread.onSpinWait();
                    }
                    comm.close(); // the rank dies with its collective half done
                });
                killer.start();
                Ending ending = Ending.of(() -> comm.allReduce(data, count, ElementType.FLOAT32, ReduceOp.SUM));
                killer.join();
                return ending;
            }
            return Ending.of(() -> comm.allReduce(data, count, ElementType.FLOAT32, ReduceOp.SUM));
        });
        assertTrue(endings.get(2).failure().contains("closed while the collective ran"), endings.get(2).failure());
        for (int r : new int[] {0, 1, 3}) {
            assertFailedNamingAPeer(endings.get(r), r, "allReduce");
            assertTrue(endings.get(r).nanos() < TIMEOUT.toNanos() + SLACK_NANOS, "rank " + r + " took "
                    + TimeUnit.NANOSECONDS.toMillis(endings.get(r).nanos()) + " ms");
        }
    }

    @Test
    void aStalledPeerMakesTheOthersFailWithinTheTimeoutAndItsLaterCallFailsToo() {
        List<Ending> endings = ThreadRanks.runAll(3, OPTIONS, comm -> {
            ByteBuffer data = TestData.floats(1000, i -> i);
            if (comm.rank() == 1) {
                Thread.sleep(TIMEOUT.toMillis() + 1500); // alive but not in the collective
            }
            return Ending.of(() -> comm.allReduce(data, 1000, ElementType.FLOAT32, ReduceOp.SUM));
        });
        boolean someoneSawTheStall = false;
        for (int r : new int[] {0, 2}) {
            Ending ending = endings.get(r);
            assertFailedNamingAPeer(ending, r, "allReduce");
            assertTrue(ending.nanos() < TIMEOUT.toNanos() + SLACK_NANOS, "rank " + r + " took "
                    + TimeUnit.NANOSECONDS.toMillis(ending.nanos()) + " ms");
            someoneSawTheStall |= ending.failure().contains("no progress for");
        }
        assertTrue(someoneSawTheStall, "a neighbour of the stalled rank reports the stall: " + endings);
        assertNotNull(endings.get(1).failure(), "the late rank finds its ring gone");
        assertTrue(endings.get(1).nanos() < TIMEOUT.toNanos(), "and learns it at once");
    }

    @Test
    void aFailedCommunicatorRefusesEveryLaterCall() {
        List<String[]> messages = ThreadRanks.runAll(2, OPTIONS, comm -> {
            if (comm.rank() == 1) {
                comm.close();
                return null;
            }
            ByteBuffer data = TestData.floats(10, i -> i);
            CommunicatorException first = assertThrows(CommunicatorException.class,
                    () -> comm.allReduce(data, 10, ElementType.FLOAT32, ReduceOp.SUM));
            CommunicatorException later = assertThrows(CommunicatorException.class, comm::barrier);
            return new String[] {first.getMessage(), later.getMessage()};
        });
        String[] rank0 = messages.get(0);
        assertTrue(rank0[1].startsWith("rank 0 barrier: the communicator is unusable after an earlier failure: "
                + rank0[0]), rank0[1]);
    }

    @Test
    void aNeighbourThatNeverListensFailsTheConnectWithinTheTimeout() throws Exception {
        int closedPort;
        try (ServerSocket probe = new ServerSocket(0)) {
            closedPort = probe.getLocalPort(); // free again once closed: connections are refused
        }
        int port = closedPort;
        TcpOptions quick = ThreadRanks.loopback(Duration.ofMillis(800));
        long start = System.nanoTime();
        CommunicatorException e = assertThrows(CommunicatorException.class, () -> TcpCommunicator.create(0, 2,
                mine -> new byte[][] {mine, fakeAddress("127.0.0.1", port)}, quick));
        long elapsed = System.nanoTime() - start;
        assertTrue(e.getMessage().startsWith("rank 0 connect: cannot connect to rank 1 (right neighbour) at 127.0.0.1:"
                + port), e.getMessage());
        assertTrue(elapsed < quick.timeout().toNanos() + SLACK_NANOS, TimeUnit.NANOSECONDS.toMillis(elapsed) + " ms");
    }

    @Test
    void collectivesAfterCloseSaySo() {
        TcpCommunicator single = TcpCommunicator.create(0, 1, mine -> new byte[][] {mine}, OPTIONS);
        single.close();
        CommunicatorException e = assertThrows(CommunicatorException.class, single::barrier);
        assertEquals("rank 0 barrier: the communicator is closed", e.getMessage());
    }

    /** An address as RingConnector publishes it: magic, token, port, host. */
    private static byte[] fakeAddress(String host, int port) {
        byte[] hostBytes = host.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        return ByteBuffer.allocate(16 + hostBytes.length).putInt(0x534e_5852).putLong(42).putInt(port)
                .put(hostBytes).array();
    }

    private static void assertFailedNamingAPeer(Ending ending, int rank, String operation) {
        assertNotNull(ending.failure(), "rank " + rank + " should have failed");
        assertTrue(ending.failure().startsWith("rank " + rank + " " + operation + "("), ending.failure());
        assertTrue(ending.failure().matches(".*: (no progress .*)?.*rank \\d \\((left|right) neighbour\\).*"),
                ending.failure());
    }
}
