package dev.sonnx.runtime.ops.tensor;

/** A stable merge sort of int arrays (item numbers) by a comparator over ints, without boxing. */
final class StableSort {
    private StableSort() {
    }

    @FunctionalInterface
    interface IntComparator {
        int compare(int a, int b);
    }

    static void sort(int[] a, IntComparator c) {
        if (a.length < 2) {
            return;
        }
        int[] tmp = new int[a.length];
        int[] src = a;
        int[] dst = tmp;
        // bottom-up: merge runs of width 1, 2, 4... alternating between the two arrays
        for (int width = 1; width < a.length; width *= 2) {
            for (int lo = 0; lo < a.length; lo += 2 * width) {
                int mid = Math.min(lo + width, a.length);
                int hi = Math.min(lo + 2 * width, a.length);
                int i = lo;
                int j = mid;
                int k = lo;
                while (i < mid && j < hi) {
                    dst[k++] = c.compare(src[j], src[i]) < 0 ? src[j++] : src[i++];
                }
                while (i < mid) {
                    dst[k++] = src[i++];
                }
                while (j < hi) {
                    dst[k++] = src[j++];
                }
            }
            int[] t = src;
            src = dst;
            dst = t;
        }
        if (src != a) {
            System.arraycopy(src, 0, a, 0, a.length);
        }
    }
}
