package dev.sonnx.runtime.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sonnx.runtime.tensor.Shapes;
import org.junit.jupiter.api.Test;

/**
 * The index plans of the broadcasting kernels, checked on the host (no GPU needed): for every output
 * element, the offsets the kernel would compute from the merged plan must equal numpy's broadcasting
 * offsets computed directly from the unmerged shapes.
 */
class CudaBroadcastTest {

    /** The kernel's broadcast_offsets, in Java. */
    private static long offset(long i, CudaBroadcast bc, int operand) {
        long off = 0;
        for (int k = bc.rank() - 1; k >= 0; k--) {
            long c = i % bc.dims[k];
            i /= bc.dims[k];
            off += c * bc.strides[operand][k];
        }
        return off;
    }

    /** numpy: the offset in an operand of shape {@code s} of output element i of shape {@code out}. */
    private static long numpyOffset(long i, int[] out, int[] s) {
        int[] st = Shapes.strides(s);
        long off = 0;
        for (int k = out.length - 1; k >= 0; k--) {
            long c = i % out[k];
            i /= out[k];
            int sk = k - (out.length - s.length);
            if (sk >= 0 && s[sk] != 1) {
                off += c * st[sk];
            }
        }
        return off;
    }

    private static void check(int[] a, int[] b) {
        int[] out = Shapes.broadcast(a, b);
        CudaBroadcast bc = CudaBroadcast.of(out, a, b);
        long n = Shapes.size(out);
        long product = 1;
        for (long d : bc.dims) {
            product *= d;
        }
        assertEquals(n, product, "the merged dims cover the output");
        for (long i = 0; i < n; i++) {
            assertEquals(numpyOffset(i, out, a), offset(i, bc, 0), "a at " + i);
            assertEquals(numpyOffset(i, out, b), offset(i, bc, 1), "b at " + i);
        }
    }

    @Test
    void offsetsMatchNumpyBroadcasting() {
        check(new int[] {2, 3, 4}, new int[] {4});
        check(new int[] {2, 3, 4}, new int[] {3, 1});
        check(new int[] {2, 1, 4}, new int[] {1, 3, 1});
        check(new int[] {5}, new int[] {2, 3, 5});
        check(new int[] {1, 1}, new int[] {3, 1, 2});
        check(new int[] {2, 3, 4, 5}, new int[] {2, 3, 4, 5});
        check(new int[] {2, 8, 4, 4}, new int[] {8, 1, 1});
        check(new int[] {}, new int[] {3, 2});
    }

    @Test
    void contiguousRunsMergeIntoOneAxis() {
        CudaBroadcast same = CudaBroadcast.of(new int[] {2, 3, 4, 5}, new int[] {2, 3, 4, 5}, new int[] {2, 3, 4, 5});
        assertEquals(1, same.rank());
        // a bias over channels of NCHW: N and HW stay apart from C
        CudaBroadcast bias = CudaBroadcast.of(new int[] {8, 16, 7, 7}, new int[] {8, 16, 7, 7}, new int[] {16, 1, 1});
        assertEquals(3, bias.rank());
    }

    @Test
    void shapesBeyondTheKernelRankAreRefused() {
        int[] a = {2, 1, 2, 1, 2, 1, 2, 1};
        int[] b = {1, 2, 1, 2, 1, 2, 1, 2};
        int[] out = Shapes.broadcast(a, b);
        assertNull(CudaBroadcast.of(out, a, b));
        int[] c = {2, 1, 2, 1, 2, 1, 2};
        int[] d = {1, 2, 1, 2, 1, 2, 1};
        assertNull(CudaBroadcast.of(Shapes.broadcast(c, d), c, d));
        assertTrue(CudaBroadcast.of(new int[] {2, 2, 2, 2, 2, 2, 2, 2}, new int[] {2, 2, 2, 2, 2, 2, 2, 2},
                new int[] {2, 2, 2, 2, 2, 2, 2, 2}).rank() == 1);
    }

    @Test
    void sizeClassesRoundUpByAtMostAQuarter() {
        assertEquals(512, CudaMemory.sizeClass(1));
        assertEquals(1024, CudaMemory.sizeClass(513));
        for (long bytes : new long[] {1 << 20, (1 << 20) + 1, 3_000_000, 47_000_000, 1L << 33}) {
            long c = CudaMemory.sizeClass(bytes);
            assertTrue(c >= bytes && c <= bytes * 5 / 4 + 1, bytes + " -> " + c);
            assertEquals(c, CudaMemory.sizeClass(c), "a class is its own class");
        }
    }
}
