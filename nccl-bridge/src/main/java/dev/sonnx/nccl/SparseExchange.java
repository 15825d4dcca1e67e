package dev.sonnx.nccl;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Sparsified gradient all-reduce (SINGA's {@code sparsification}, used by
 * {@code DistOpt.backward_and_sparse_update}): each rank sends only its significant gradient
 * elements as (index, value) pairs, every rank gathers all ranks' pairs and adds them into a dense
 * result, which is therefore the sum over ranks of each rank's selected elements.
 *
 * <ul>
 *   <li>top-K: the ceil(spars × count) elements of largest magnitude; among equal magnitudes the
 *       lower indices go first, so the choice is deterministic;</li>
 *   <li>threshold: the elements with |g| ≥ spars;</li>
 *   <li>NaN counts as larger than any magnitude and is always sent, so a diverged rank shows on all.</li>
 * </ul>
 *
 * <p>With correction ({@code corr}), the residual buffer accumulates what a rank did not send: the
 * gradient is first added into the residual, the selection is made on that sum, the selected
 * elements are sent and zeroed, and the residual keeps exactly the rest for the next step.
 *
 * <p>The exchange gathers every rank's pair count first, then all-gathers the pairs padded to the
 * largest count (the collectives carry equal blocks, as NCCL's do), then adds rank 0's pairs, rank
 * 1's, and so on. Scratch buffers are kept between calls and grow only when a step selects more
 * pairs than any step before: in steady state nothing is allocated. One instance per bucket stream;
 * not for concurrent use.
 */
public final class SparseExchange {

    /** A pair on the wire: int32 index, then the fp32 value. */
    private static final int PAIR_BYTES = 8;
    /** Magnitude keys are the 31 low bits of the float, compared as ints; split in two 16-bit digits. */
    private static final int DIGIT_BITS = 16;

    private final int[] highDigitCounts = new int[1 << DIGIT_BITS];
    private final int[] lowDigitCounts = new int[1 << DIGIT_BITS];
    private ByteBuffer countsSent = littleEndianDirect(8);
    private ByteBuffer countsGathered = littleEndianDirect(0);
    private ByteBuffer pairsSent = littleEndianDirect(0);
    private ByteBuffer pairsGathered = littleEndianDirect(0);
    private long pairsSentLastCall;

    /**
     * Exchanges the selected elements of {@code count} fp32 gradients and writes their sum over all
     * ranks into {@code resultFp32}. Every rank calls it with the same count, mode and spars.
     *
     * @param gradFp32   this rank's gradient; left unchanged
     * @param topK       true: select the fraction {@code spars} of elements of largest magnitude;
     *                   false: select the elements with |g| ≥ {@code spars}
     * @param corr       true: add {@code residual} into the gradient before selecting, and leave in it
     *                   what was not sent; false: what is not sent is dropped ({@code residual} unused)
     * @param resultFp32 receives the dense sum; it may be {@code gradFp32} itself, not the residual
     */
    public void exchange(Communicator communicator, ByteBuffer gradFp32, int count, boolean topK, float spars,
                         boolean corr, ByteBuffer residual, ByteBuffer resultFp32) {
        checkArguments(gradFp32, count, topK, spars, corr, residual, resultFp32);
        ByteBuffer candidates;
        if (corr) {
            candidates = Buffers.littleEndian(residual);
            addInto(candidates, Buffers.littleEndian(gradFp32), count);
        } else {
            candidates = Buffers.littleEndian(gradFp32);
        }
        int selected = topK
                ? selectLargest(candidates, count, topKCount(count, spars), corr)
                : selectAtLeast(candidates, count, spars, corr);
        pairsSentLastCall = selected;
        int mostSelected = exchangeCounts(communicator, selected, count);
        int worldSize = communicator.worldSize();
        pairsGathered = ensureCapacity(pairsGathered, (long) worldSize * mostSelected * PAIR_BYTES);
        // pairs travel as INT32 pairs of words: the collective only moves them, never adds them
        communicator.allGather(pairsSent, 2 * mostSelected, ElementType.INT32, pairsGathered);
        sumPairs(communicator.rank(), worldSize, mostSelected, count, Buffers.littleEndian(resultFp32));
    }

    /** How many (index, value) pairs this rank sent in its last exchange. */
    public long pairsSentLastCall() {
        return pairsSentLastCall;
    }

    /** SINGA's top-K count: ceil(spars × count). */
    public static int topKCount(int count, float spars) {
        return (int) Math.min(count, (long) Math.ceil((double) spars * count));
    }

    private static void checkArguments(ByteBuffer grad, int count, boolean topK, float spars, boolean corr,
                                       ByteBuffer residual, ByteBuffer result) {
        Buffers.requireElements("sparse exchange: the gradient", grad, count, 4);
        Buffers.requireElements("sparse exchange: the result", result, count, 4);
        if (topK ? !(spars > 0 && spars <= 1) : !(spars >= 0)) {
            throw new IllegalArgumentException("sparse exchange: spars " + spars + (topK
                    ? " is not a fraction in (0, 1]" : " is not a magnitude threshold >= 0"));
        }
        if (corr) {
            if (residual == null) {
                throw new IllegalArgumentException("sparse exchange: corr needs a residual buffer");
            }
            Buffers.requireElements("sparse exchange: the residual", residual, count, 4);
            if (residual == result || residual == grad) {
                throw new IllegalArgumentException("sparse exchange: the residual needs a buffer of its own");
            }
        }
    }

    private static void addInto(ByteBuffer sum, ByteBuffer addend, int count) {
        for (int i = 0; i < count; i++) {
            int k = i << 2;
            sum.putFloat(k, sum.getFloat(k) + addend.getFloat(k));
        }
    }

    /**
     * Selects the {@code k} elements of largest magnitude with a two-digit radix select on the
     * magnitude bits (monotonic in the magnitude for non-negative floats): three passes, no copy of
     * the data, and ties at the cut broken by index.
     */
    private int selectLargest(ByteBuffer candidates, int count, int k, boolean zeroSent) {
        pairsSent = ensureCapacity(pairsSent, (long) k * PAIR_BYTES);
        if (k == 0) {
            return 0;
        }
        java.util.Arrays.fill(highDigitCounts, 0);
        for (int i = 0; i < count; i++) {
            highDigitCounts[magnitudeKey(candidates, i) >>> DIGIT_BITS]++;
        }
        int highDigit = highDigitCounts.length - 1;
        int above = 0; // elements whose key is above the cut's high digit
        while (above + highDigitCounts[highDigit] < k) {
            above += highDigitCounts[highDigit--];
        }
        java.util.Arrays.fill(lowDigitCounts, 0);
        for (int i = 0; i < count; i++) {
            int key = magnitudeKey(candidates, i);
            if (key >>> DIGIT_BITS == highDigit) {
                lowDigitCounts[key & 0xffff]++;
            }
        }
        int lowDigit = lowDigitCounts.length - 1;
        while (above + lowDigitCounts[lowDigit] < k) {
            above += lowDigitCounts[lowDigit--];
        }
        int cut = (highDigit << DIGIT_BITS) | lowDigit;
        int tiesToTake = k - above;
        int selected = 0;
        for (int i = 0; i < count; i++) {
            int key = magnitudeKey(candidates, i);
            if (key > cut || (key == cut && tiesToTake-- > 0)) {
                takePair(candidates, i, selected++, zeroSent);
            }
        }
        return selected;
    }

    private int selectAtLeast(ByteBuffer candidates, int count, float threshold, boolean zeroSent) {
        int selected = 0;
        for (int i = 0; i < count; i++) {
            if (isSent(candidates.getFloat(i << 2), threshold)) {
                selected++;
            }
        }
        pairsSent = ensureCapacity(pairsSent, (long) selected * PAIR_BYTES);
        int written = 0;
        for (int i = 0; i < count; i++) {
            if (isSent(candidates.getFloat(i << 2), threshold)) {
                takePair(candidates, i, written++, zeroSent);
            }
        }
        return written;
    }

    /** |value| >= threshold, with NaN sent. */
    private static boolean isSent(float value, float threshold) {
        return !(Math.abs(value) < threshold);
    }

    private static int magnitudeKey(ByteBuffer values, int index) {
        return Float.floatToRawIntBits(values.getFloat(index << 2)) & 0x7fff_ffff;
    }

    private void takePair(ByteBuffer candidates, int index, int pair, boolean zeroSent) {
        int at = pair * PAIR_BYTES;
        pairsSent.putInt(at, index);
        pairsSent.putFloat(at + 4, candidates.getFloat(index << 2));
        if (zeroSent) {
            candidates.putFloat(index << 2, 0f); // sent: no longer part of the residual
        }
    }

    /** Gathers every rank's (pair count, element count); checks the element counts agree; returns the largest pair count. */
    private int exchangeCounts(Communicator communicator, int selected, int count) {
        int worldSize = communicator.worldSize();
        countsGathered = ensureCapacity(countsGathered, 8L * worldSize);
        countsSent.putInt(0, selected).putInt(4, count);
        communicator.allGather(countsSent, 2, ElementType.INT32, countsGathered);
        int most = 0;
        for (int r = 0; r < worldSize; r++) {
            int theirCount = countsGathered.getInt(8 * r + 4);
            if (theirCount != count) {
                throw new CommunicatorException("rank " + communicator.rank() + " sparse exchange: rank " + r
                        + " exchanges " + theirCount + " elements, this rank " + count);
            }
            most = Math.max(most, countsGathered.getInt(8 * r));
        }
        // the send block is read up to the largest count; the padding after this rank's pairs is ignored
        if ((long) most * PAIR_BYTES > pairsSent.capacity()) {
            ByteBuffer selectedPairs = pairsSent;
            pairsSent = ensureCapacity(pairsSent, (long) most * PAIR_BYTES);
            pairsSent.put(0, selectedPairs, 0, selected * PAIR_BYTES);
        }
        return most;
    }

    private void sumPairs(int rank, int worldSize, int mostSelected, int count, ByteBuffer result) {
        for (int i = 0; i < count; i++) {
            result.putFloat(i << 2, 0f);
        }
        for (int r = 0; r < worldSize; r++) {
            int pairs = countsGathered.getInt(8 * r);
            int base = r * mostSelected * PAIR_BYTES;
            for (int p = 0; p < pairs; p++) {
                int at = base + p * PAIR_BYTES;
                int index = pairsGathered.getInt(at);
                if (index < 0 || index >= count) {
                    throw new CommunicatorException("rank " + rank + " sparse exchange: rank " + r
                            + " sent index " + index + " outside 0.." + (count - 1));
                }
                int k = index << 2;
                result.putFloat(k, result.getFloat(k) + pairsGathered.getFloat(at + 4));
            }
        }
    }

    /** The buffer if it holds {@code bytes}, else a larger one (a quarter more, so a slowly growing count reallocates rarely). */
    private static ByteBuffer ensureCapacity(ByteBuffer buffer, long bytes) {
        if (bytes <= buffer.capacity()) {
            return buffer;
        }
        long grown = Math.min(Integer.MAX_VALUE - 8, Math.max(bytes, bytes + bytes / 4));
        if (bytes > grown) {
            throw new IllegalArgumentException("sparse exchange needs " + bytes + " bytes of pairs, more than one buffer holds");
        }
        return littleEndianDirect((int) grown);
    }

    private static ByteBuffer littleEndianDirect(int bytes) {
        return ByteBuffer.allocateDirect(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }
}
