package dev.sonnx.runtime.ops.reduce;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ReducePlanTest {

    private static boolean[] flags(int rank, int... axes) {
        boolean[] f = new boolean[rank];
        for (int a : axes) {
            f[a] = true;
        }
        return f;
    }

    @Test
    void oneReducedGroupNeedsNoCopy() {
        ReducePlan p = ReducePlan.of(new int[] {2, 3, 4, 5}, flags(4, 1, 2), true);
        assertFalse(p.needsCopy());
        assertEquals(2, p.outer());
        assertEquals(12, p.reduced());
        assertEquals(5, p.inner());
        assertArrayEquals(new int[] {2, 1, 1, 5}, p.outShape());
        assertArrayEquals(new int[] {2, 1, 1, 5}, p.keepShape());
    }

    @Test
    void withoutKeepdimsReducedAxesLeaveTheShape() {
        ReducePlan p = ReducePlan.of(new int[] {2, 3, 4, 5}, flags(4, 0, 3), false);
        assertArrayEquals(new int[] {3, 4}, p.outShape());
        assertArrayEquals(new int[] {1, 3, 4, 1}, p.keepShape());
    }

    @Test
    void sizeOneAxesDoNotSplitGroups() {
        // axes 0 and 2 of [3, 1, 4, 5] are adjacent once the size-1 axis is dropped
        ReducePlan p = ReducePlan.of(new int[] {3, 1, 4, 5}, flags(4, 0, 2), true);
        assertFalse(p.needsCopy());
        assertEquals(1, p.outer());
        assertEquals(12, p.reduced());
        assertEquals(5, p.inner());
    }

    @Test
    void separatedReducedGroupsAreRegrouped() {
        ReducePlan p = ReducePlan.of(new int[] {2, 3, 4, 5}, flags(4, 0, 2), false);
        assertTrue(p.needsCopy());
        // kept: 3 (outer) and 5 (trailing, inner); reduced: 2 * 4
        assertEquals(3, p.outer());
        assertEquals(8, p.reduced());
        assertEquals(5, p.inner());
        assertArrayEquals(new int[] {3, 5}, p.outShape());
    }

    @Test
    void trailingReducedGroupStaysLast() {
        ReducePlan p = ReducePlan.of(new int[] {2, 3, 4, 5}, flags(4, 1, 3), false);
        assertTrue(p.needsCopy());
        assertEquals(8, p.outer());
        assertEquals(15, p.reduced());
        assertEquals(1, p.inner());
    }

    @Test
    void noAxesReduceEachElementAlone() {
        ReducePlan p = ReducePlan.of(new int[] {2, 3}, flags(2), false);
        assertEquals(6, p.outer() * p.inner());
        assertEquals(1, p.reduced());
        assertArrayEquals(new int[] {2, 3}, p.outShape());
    }

    @Test
    void scalarIsOneElement() {
        ReducePlan p = ReducePlan.of(new int[0], new boolean[0], true);
        assertEquals(1, p.outer());
        assertEquals(1, p.reduced());
        assertEquals(1, p.inner());
        assertArrayEquals(new int[0], p.outShape());
    }

    @Test
    void emptyReducedAxis() {
        ReducePlan p = ReducePlan.of(new int[] {2, 0, 3}, flags(3, 1), true);
        assertEquals(0, p.reduced());
        assertEquals(6, p.outer() * p.inner());
        assertArrayEquals(new int[] {2, 1, 3}, p.outShape());
    }
}
