package dev.sonnx.runtime.ops.text;

import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.util.Arrays;

/**
 * TfIdfVectorizer-9: counts, per row of a [C] or [N, C] input of int32, int64 or string tokens, the
 * pool's n-grams of length {@code min_gram_length..max_gram_length}, the items of an n-gram being
 * {@code skip + 1} apart for every skip in {@code 0..max_skip_count} (unigrams counted once). Output
 * [max(ngram_indexes) + 1] or [N, that], float: the counts (TF), 1 where the count is positive
 * (IDF), or the counts (TFIDF), the last two scaled by {@code weights}. As in onnxruntime and
 * skl2onnx, {@code weights} is read by output coordinate (the spec's pool order when
 * {@code ngram_indexes} is the identity).
 */
final class TfIdfVectorizerOp extends Operator {
    private enum Mode { TF, IDF, TFIDF }

    private final Mode mode;
    private final int minGram;
    private final int maxGram;
    private final int maxSkip;
    private final boolean stringPool;
    private final NgramTrie trie;
    private final int outputSize;
    /** Weight per output coordinate; null means all ones. */
    private final float[] weights;

    TfIdfVectorizerOp(Node node) {
        super(node);
        String m = node.attributes().getString("mode", null);
        if (m == null) {
            throw new IllegalArgumentException("required attribute 'mode' is missing (TF, IDF or TFIDF)");
        }
        try {
            this.mode = Mode.valueOf(m);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("attribute 'mode' = '" + m + "' must be TF, IDF or TFIDF");
        }
        this.minGram = intAttribute(node, "min_gram_length");
        this.maxGram = intAttribute(node, "max_gram_length");
        this.maxSkip = intAttribute(node, "max_skip_count");
        if (minGram < 1 || maxGram < minGram) {
            throw new IllegalArgumentException("min_gram_length = " + minGram + " and max_gram_length = " + maxGram
                    + " must satisfy 1 <= min <= max");
        }
        if (maxSkip < 0) {
            throw new IllegalArgumentException("attribute 'max_skip_count' = " + maxSkip + " is negative");
        }
        long[] ints = node.attributes().getLongs("pool_int64s", null);
        String[] strings = node.attributes().getStrings("pool_strings", null);
        if ((ints == null) == (strings == null)) {
            throw new IllegalArgumentException("exactly one of the attributes 'pool_int64s' and 'pool_strings' must"
                    + " be given");
        }
        this.stringPool = strings != null;
        long[] counts = node.attributes().getLongs("ngram_counts", null);
        long[] indexes = node.attributes().getLongs("ngram_indexes", null);
        if (counts == null || indexes == null) {
            throw new IllegalArgumentException("attributes 'ngram_counts' and 'ngram_indexes' are required");
        }
        long max = -1;
        for (long i : indexes) {
            if (i < 0 || i >= Integer.MAX_VALUE) {
                throw new IllegalArgumentException("attribute 'ngram_indexes' holds " + i + ", outside [0, 2^31-1)");
            }
            max = Math.max(max, i);
        }
        this.outputSize = (int) (max + 1);
        this.trie = NgramTrie.build(ints, strings, counts, indexes);
        float[] w = node.attributes().getFloats("weights", null);
        if (w != null && w.length > 0 && w.length < outputSize) {
            throw new IllegalArgumentException("attribute 'weights' has " + w.length + " entries, the output has "
                    + outputSize + " coordinates");
        }
        this.weights = w == null || w.length == 0 ? null : w;
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor x = required(inputs, 0);
        boolean stringInput = x.dtype() == DataType.STRING;
        if (stringInput != stringPool || !stringInput && x.dtype() != DataType.INT32 && x.dtype() != DataType.INT64) {
            throw new IllegalArgumentException("input has type " + x.dtype().onnxName() + ", the pool holds "
                    + (stringPool ? "strings" : "integers (input int32 or int64)"));
        }
        if (x.rank() != 1 && x.rank() != 2) {
            throw new IllegalArgumentException("input is " + x.describe() + ", expected [C] or [N, C]");
        }
        int rows = x.rank() == 1 ? 1 : x.shape()[0];
        int columns = x.shape()[x.rank() - 1];
        Tensor out = Tensor.zeros(DataType.FLOAT, x.rank() == 1 ? new int[] {outputSize}
                : new int[] {rows, outputSize});
        FloatBuffer o = out.floats();
        IntBuffer int32 = x.dtype() == DataType.INT32 ? x.ints() : null;
        LongBuffer int64 = x.dtype() == DataType.INT64 ? x.longs() : null;
        long cost = (long) columns * (maxSkip + 1) * maxGram + outputSize;
        ctx.device().parallelFor(rows, cost, (s, e) -> {
            int[] ids = new int[columns];
            int[] counts = new int[outputSize];
            for (int r = s; r < e; r++) {
                int base = r * columns;
                for (int c = 0; c < columns; c++) {
                    ids[c] = int32 != null ? trie.tokenId(int32.get(base + c))
                            : int64 != null ? trie.tokenId(int64.get(base + c))
                            : trie.tokenId(x.getString(base + c));
                }
                Arrays.fill(counts, 0);
                count(ids, counts);
                write(counts, o, r * outputSize);
            }
        });
        return outputs(out);
    }

    private static int intAttribute(Node node, String name) {
        long v = node.attributes().requireLong(name);
        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("attribute '" + name + "' = " + v + " is out of range");
        }
        return (int) v;
    }

    /** Adds the row's pool n-gram occurrences to {@code counts}, by output coordinate. */
    private void count(int[] ids, int[] counts) {
        int columns = ids.length;
        int shortest = minGram;
        // Two items of a row lie at most columns - 1 apart: larger skips find nothing new.
        long lastDistance = Math.min(maxSkip + 1L, Math.max(1, columns - 1));
        for (int distance = 1; distance <= lastDistance; distance++) {
            for (int start = 0; start < columns; start++) {
                if (start + (long) distance * (shortest - 1) >= columns) {
                    break;
                }
                int node = NgramTrie.ROOT;
                for (int n = 1, pos = start; n <= maxGram && pos < columns; n++, pos += distance) {
                    int id = ids[pos];
                    node = id == NgramTrie.NONE ? NgramTrie.NONE : trie.child(node, id);
                    if (node == NgramTrie.NONE) {
                        break;
                    }
                    int coordinate = trie.coordinate(node);
                    if (n >= shortest && coordinate != NgramTrie.NONE) {
                        counts[coordinate]++;
                    }
                }
            }
            // Unigrams do not depend on the skip: count them on the first pass only.
            if (shortest == 1) {
                shortest = 2;
                if (shortest > maxGram) {
                    break;
                }
            }
        }
    }

    private void write(int[] counts, FloatBuffer o, int offset) {
        for (int c = 0; c < counts.length; c++) {
            float w = weights == null ? 1f : weights[c];
            float v = switch (mode) {
                case TF -> counts[c];
                case IDF -> counts[c] > 0 ? w : 0f;
                case TFIDF -> counts[c] * w;
            };
            o.put(offset + c, v);
        }
    }
}
