package dev.sonnx.nccl;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;

/**
 * One rank of a ring in its own JVM, started by {@link TcpProcessTest}:
 * {@code RingWorker RANK WORLD_SIZE RENDEZVOUS_DIR TIMEOUT_MS SCENARIO}.
 *
 * <ul>
 *   <li>{@code collectives}: runs every collective, checks each result against what the rank
 *       computes itself, prints PASS and exits 0 (or prints the mismatch and exits 1);</li>
 *   <li>{@code loop}: all-reduces until the ring breaks, printing RUNNING after the first one; on a
 *       CommunicatorException prints FAILED and its message and exits 3.</li>
 * </ul>
 */
public final class RingWorker {

    static final int EXIT_COMMUNICATOR_FAILED = 3;

    private RingWorker() {
    }

    public static void main(String[] args) {
        int rank = Integer.parseInt(args[0]);
        int worldSize = Integer.parseInt(args[1]);
        Duration timeout = Duration.ofMillis(Long.parseLong(args[3]));
        Rendezvous rendezvous = new FileRendezvous(Path.of(args[2]), rank, worldSize, timeout);
        TcpOptions options = TcpOptions.defaults().withBindHost("127.0.0.1").withTimeout(timeout).withChunkBytes(8192);
        try (TcpCommunicator comm = TcpCommunicator.create(rank, worldSize, rendezvous, options)) {
            switch (args[4]) {
                case "collectives" -> checkCollectives(comm);
                case "loop" -> allReduceUntilTheRingBreaks(comm);
                default -> throw new IllegalArgumentException("unknown scenario " + args[4]);
            }
            System.out.println("PASS");
            System.exit(0);
        } catch (CommunicatorException e) {
            System.out.println("FAILED " + e.getMessage());
            System.exit(EXIT_COMMUNICATOR_FAILED);
        } catch (Throwable e) {
            e.printStackTrace(System.out);
            System.exit(1);
        }
    }

    private static void allReduceUntilTheRingBreaks(TcpCommunicator comm) {
        int count = 1 << 20;
        ByteBuffer data = TestData.floats(count, i -> 1);
        comm.allReduce(data, count, ElementType.FLOAT32, ReduceOp.SUM);
        System.out.println("RUNNING");
        while (true) {
            comm.allReduce(data, count, ElementType.FLOAT32, ReduceOp.AVERAGE);
        }
    }

    private static void checkCollectives(TcpCommunicator comm) {
        int n = comm.worldSize();
        int rank = comm.rank();
        int count = 100_003;

        ByteBuffer sum = TestData.floats(count, i -> TestData.integerValued(rank, i));
        comm.allReduce(sum, count, ElementType.FLOAT32, ReduceOp.SUM);
        ByteBuffer average = TestData.floats(count, i -> TestData.uniform(rank, i));
        comm.allReduce(average, count, ElementType.FLOAT32, ReduceOp.AVERAGE);
        ByteBuffer halfSum = TestData.halves(count, i -> TestData.halfValue(rank, i));
        comm.allReduce(halfSum, count, ElementType.FLOAT16, ReduceOp.SUM);
        for (int i = 0; i < count; i++) {
            float exactSum = 0;
            double uniformSum = 0;
            double uniformMagnitudes = 0;
            double halfExact = 0;
            double halfMagnitudes = 0;
            for (int r = 0; r < n; r++) {
                exactSum += TestData.integerValued(r, i);
                uniformSum += TestData.uniform(r, i);
                uniformMagnitudes += Math.abs(TestData.uniform(r, i));
                halfExact += TestData.halfValue(r, i);
                halfMagnitudes += Math.abs(TestData.halfValue(r, i));
            }
            check(sum.getFloat(4 * i) == exactSum, "fp32 sum of element " + i);
            check(Math.abs(average.getFloat(4 * i) - uniformSum / n)
                    <= (n * 0x1p-24 * uniformMagnitudes) / n + Math.abs(uniformSum / n) * 0x1p-24, "fp32 average of " + i);
            check(Math.abs(Float16.toFloat(halfSum.getShort(2 * i)) - halfExact)
                    <= (n - 1) * 0x1p-11 * halfMagnitudes + 0x1p-25, "fp16 sum of element " + i);
        }

        ByteBuffer mine = TestData.floats(1000, i -> rank * 10_000 + i);
        ByteBuffer gathered = TestData.direct(4 * 1000 * n);
        comm.allGather(mine, 1000, ElementType.FLOAT32, gathered);
        for (int r = 0; r < n; r++) {
            for (int i = 0; i < 1000; i++) {
                check(gathered.getFloat(4 * (r * 1000 + i)) == r * 10_000 + i, "allGather block " + r);
            }
        }

        byte[][] messages = comm.allGatherBytes(TestData.message(rank, 100 * rank + 3));
        for (int r = 0; r < n; r++) {
            check(Arrays.equals(messages[r], TestData.message(r, 100 * r + 3)), "allGatherBytes message of rank " + r);
        }

        for (int root = 0; root < n; root++) {
            int from = root;
            ByteBuffer data = TestData.floats(30_000, i -> rank == from ? from + i : -1);
            comm.broadcast(data, 30_000, ElementType.FLOAT32, root);
            for (int i = 0; i < 30_000; i++) {
                check(data.getFloat(4 * i) == root + i, "broadcast from root " + root);
            }
        }
        comm.barrier();
    }

    private static void check(boolean condition, String what) {
        if (!condition) {
            throw new AssertionError("rank mismatch: " + what);
        }
    }
}
