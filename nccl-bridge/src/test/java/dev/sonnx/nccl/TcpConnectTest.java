package dev.sonnx.nccl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How ranks find and connect to each other: addresses, port ranges, rendezvous mistakes. */
class TcpConnectTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    @Test
    void defaultOptionsListenEverywhereAndAdvertiseThisHostsAddress() {
        List<Float> sums = ThreadRanks.runAll(2, TcpOptions.defaults().withTimeout(TIMEOUT), comm -> {
            ByteBuffer one = TestData.floats(1, i -> comm.rank() + 1);
            comm.allReduce(one, 1, ElementType.FLOAT32, ReduceOp.SUM);
            return one.getFloat(0);
        });
        assertEquals(List.of(3f, 3f), sums);
    }

    @Test
    void ranksListenWithinThePortRange() throws IOException {
        int first = freePort();
        TcpOptions ranged = ThreadRanks.loopback(TIMEOUT).withPortRange(first, first + 50);
        List<Integer> ranks = ThreadRanks.runAll(3, ranged, comm -> {
            comm.barrier();
            return comm.rank();
        });
        assertEquals(List.of(0, 1, 2), ranks);
    }

    @Test
    void aPortRangeWithNoFreePortFailsSayingSo() throws IOException {
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            int port = taken.getLocalPort();
            TcpOptions ranged = ThreadRanks.loopback(TIMEOUT).withPortRange(port, port);
            CommunicatorException e = assertThrows(CommunicatorException.class,
                    () -> TcpCommunicator.create(0, 2, mine -> new byte[][] {mine, mine}, ranged));
            assertTrue(e.getMessage().startsWith("rank 0 connect: cannot listen on 127.0.0.1 ports " + port + ".." + port
                    + ": "), e.getMessage());
        }
    }

    @Test
    void aRendezvousThatReturnsTheWrongNumberOfRanksIsReported() {
        CommunicatorException e = assertThrows(CommunicatorException.class, () -> TcpCommunicator.create(0, 3,
                mine -> new byte[][] {mine, mine}, ThreadRanks.loopback(TIMEOUT)));
        assertEquals("rank 0 connect: the rendezvous returned 2 addresses for a world of 3 ranks", e.getMessage());
    }

    @Test
    void optionsRejectNonsense() {
        TcpOptions defaults = TcpOptions.defaults();
        assertThrows(IllegalArgumentException.class, () -> defaults.withPortRange(10, 5));
        assertThrows(IllegalArgumentException.class, () -> defaults.withTimeout(Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> defaults.withChunkBytes(1000));
        assertThrows(IllegalArgumentException.class, () -> TcpCommunicator.create(2, 2, mine -> null, defaults));
    }

    private static int freePort() throws IOException {
        try (ServerSocket probe = new ServerSocket(0)) {
            return probe.getLocalPort();
        }
    }
}
