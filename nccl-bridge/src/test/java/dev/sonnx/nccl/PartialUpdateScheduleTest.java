package dev.sonnx.nccl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;

class PartialUpdateScheduleTest {

    private static final int[] SIZES = {10, 500, 20, 30, 45, 7, 300, 1};

    @Test
    void partitionsAreSingasGroupsTakingTurnsFromStepZero() {
        PartialUpdateSchedule schedule = PartialUpdateSchedule.plan(SIZES, 100);
        assertEquals(4, schedule.partitionCount());
        assertArrayEquals(new int[] {1}, schedule.parameters(0));
        assertArrayEquals(new int[] {0, 2, 3, 4}, schedule.parameters(1));
        assertArrayEquals(new int[] {6}, schedule.parameters(2));
        assertArrayEquals(new int[] {5, 7}, schedule.parameters(3));
        int[] partitions = new int[9];
        for (int step = 0; step < partitions.length; step++) {
            partitions[step] = schedule.partitionAt(step);
        }
        assertArrayEquals(new int[] {0, 1, 2, 3, 0, 1, 2, 3, 0}, partitions);
        assertEquals(105, schedule.elements(1));
    }

    @Test
    void aStepAveragesItsPartitionAcrossRanksAndLeavesTheRestLocal() {
        int worldSize = 4;
        long step = 5; // partition 1: parameters 0, 2, 3, 4
        List<ByteBuffer[]> results = ThreadRanks.runAll(worldSize, ThreadRanks.loopback(ThreadRanks.TEST_TIMEOUT),
                comm -> {
                    PartialUpdateSchedule schedule = PartialUpdateSchedule.plan(SIZES, 100);
                    ByteBuffer[] parameters = parameters(comm.rank());
                    schedule.averageStep(step, comm, parameters);
                    return parameters;
                });
        for (int r = 0; r < worldSize; r++) {
            for (int p = 0; p < SIZES.length; p++) {
                boolean averaged = p == 0 || p == 2 || p == 3 || p == 4;
                for (int i = 0; i < SIZES[p]; i++) {
                    float expected = averaged ? (value(0, p, i) + value(1, p, i) + value(2, p, i) + value(3, p, i)) / 4
                            : value(r, p, i);
                    assertEquals(expected, results.get(r)[p].getFloat(4 * i), "rank " + r + " parameter " + p);
                }
            }
        }
    }

    private static float value(int rank, int parameter, int index) {
        return rank * 8 + parameter + index % 5;
    }

    private static ByteBuffer[] parameters(int rank) {
        ByteBuffer[] parameters = new ByteBuffer[SIZES.length];
        for (int p = 0; p < SIZES.length; p++) {
            int parameter = p;
            parameters[p] = TestData.floats(SIZES[p], i -> value(rank, parameter, i));
        }
        return parameters;
    }
}
