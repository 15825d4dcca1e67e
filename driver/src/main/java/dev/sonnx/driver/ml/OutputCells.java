package dev.sonnx.driver.ml;

import dev.sonnx.runtime.tensor.Tensor;

/** Turns a row's slice of an output tensor into a column cell, and ranks class scores. */
final class OutputCells {
    private OutputCells() {
    }

    /** Elements {@code [from, from + count)} as a primitive array of the tensor's type. */
    static Object slice(Tensor t, int from, int count) {
        switch (t.dtype()) {
            case FLOAT -> {
                float[] v = new float[count];
                t.floats().get(from, v);
                return v;
            }
            case DOUBLE -> {
                double[] v = new double[count];
                t.doubles().get(from, v);
                return v;
            }
            case INT32 -> {
                int[] v = new int[count];
                t.ints().get(from, v);
                return v;
            }
            case INT64 -> {
                long[] v = new long[count];
                t.longs().get(from, v);
                return v;
            }
            default -> throw new IllegalStateException("output of type " + t.dtype() + " cannot become a column");
        }
    }

    /** Elements {@code [from, from + into.length)} as floats. */
    static void floats(Tensor t, int from, float[] into) {
        for (int i = 0; i < into.length; i++) {
            into[i] = (float) t.getDouble(from + i);
        }
    }

    /** The index of the largest score (the first of equals). */
    static int argMax(float[] scores) {
        int best = 0;
        for (int i = 1; i < scores.length; i++) {
            if (scores[i] > scores[best]) {
                best = i;
            }
        }
        return best;
    }

    /** The k best classes, best first, and their softmax probabilities. */
    record TopK(int[] labels, float[] scores) {
    }

    static TopK topKSoftmax(float[] logits, int k) {
        int n = Math.min(k, logits.length);
        float max = Float.NEGATIVE_INFINITY;
        for (float v : logits) {
            max = Math.max(max, v);
        }
        double sum = 0;
        for (float v : logits) {
            sum += Math.exp(v - max);
        }
        int[] labels = new int[n];
        float[] probs = new float[n];
        boolean[] taken = new boolean[logits.length];
        // k is small (a handful of classes): k passes of selection beat sorting every row
        for (int j = 0; j < n; j++) {
            int best = -1;
            for (int i = 0; i < logits.length; i++) {
                if (!taken[i] && (best < 0 || logits[i] > logits[best])) {
                    best = i;
                }
            }
            taken[best] = true;
            labels[j] = best;
            probs[j] = (float) (Math.exp(logits[best] - max) / sum);
        }
        return new TopK(labels, probs);
    }
}
