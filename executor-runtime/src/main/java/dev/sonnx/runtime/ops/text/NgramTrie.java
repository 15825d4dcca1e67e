package dev.sonnx.runtime.ops.text;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * The n-gram pool of TfIdfVectorizer as a trie over token ids. Pool tokens get dense ids (so input
 * tokens outside the pool are recognized at once); an edge (node, token id) is one entry of a
 * {@link LongIntMap}; a node that completes a pool n-gram knows its output coordinate.
 */
final class NgramTrie {
    static final int ROOT = 0;
    static final int NONE = -1;

    private final LongIntMap intTokens;
    private final Map<String, Integer> stringTokens;
    private final LongIntMap edges;
    /** Output coordinate of the n-gram ending at each node, or NONE for prefixes only. */
    private final int[] coordinate;

    private NgramTrie(LongIntMap intTokens, Map<String, Integer> stringTokens, LongIntMap edges, int[] coordinate) {
        this.intTokens = intTokens;
        this.stringTokens = stringTokens;
        this.edges = edges;
        this.coordinate = coordinate;
    }

    /**
     * Builds the trie from a pool of {@code long[]} or {@code String[]} tokens: the n-grams of length
     * n fill {@code pool[ngramCounts[n-1], ngramCounts[n])} (the last level runs to the pool's end),
     * and the k-th n-gram of the pool in order goes to output coordinate {@code ngramIndexes[k]}.
     */
    static NgramTrie build(long[] intPool, String[] stringPool, long[] ngramCounts, long[] ngramIndexes) {
        int poolSize = intPool != null ? intPool.length : stringPool.length;
        LongIntMap intTokens = intPool != null ? new LongIntMap(poolSize) : null;
        Map<String, Integer> stringTokens = stringPool != null ? new HashMap<>() : null;
        int[] ids = new int[poolSize];
        for (int i = 0; i < poolSize; i++) {
            ids[i] = intPool != null ? intTokens.putIfAbsent(intPool[i], intTokens.size())
                    : stringTokens.computeIfAbsent(stringPool[i], s -> stringTokens.size());
        }
        LongIntMap edges = new LongIntMap(poolSize);
        int[] coordinate = new int[poolSize + 1];
        Arrays.fill(coordinate, NONE);
        int nodes = 1;
        int ngram = 0;
        for (int level = 0; level < ngramCounts.length; level++) {
            int n = level + 1;
            long start = ngramCounts[level];
            long end = level + 1 < ngramCounts.length ? ngramCounts[level + 1] : poolSize;
            if (start < 0 || end < start || end > poolSize) {
                throw new IllegalArgumentException("attribute 'ngram_counts' = " + Arrays.toString(ngramCounts)
                        + " does not split a pool of " + poolSize + " items into levels");
            }
            if ((end - start) % n != 0) {
                throw new IllegalArgumentException("the " + n + "-grams of the pool (items " + start + " to " + end
                        + ") are not a whole number of " + n + "-grams");
            }
            for (long g = start; g < end; g += n) {
                int node = ROOT;
                for (int j = 0; j < n; j++) {
                    long key = edge(node, ids[(int) g + j]);
                    int child = edges.get(key);
                    if (child == LongIntMap.MISSING) {
                        child = edges.putIfAbsent(key, nodes++);
                    }
                    node = child;
                }
                if (ngram >= ngramIndexes.length) {
                    throw new IllegalArgumentException("attribute 'ngram_indexes' has " + ngramIndexes.length
                            + " entries, fewer than the n-grams in the pool");
                }
                if (coordinate[node] != NONE) {
                    throw new IllegalArgumentException("the pool holds n-gram " + ngram + " twice");
                }
                coordinate[node] = (int) ngramIndexes[ngram++];
            }
        }
        if (ngram != ngramIndexes.length) {
            throw new IllegalArgumentException("attribute 'ngram_indexes' has " + ngramIndexes.length
                    + " entries, the pool holds " + ngram + " n-grams");
        }
        return new NgramTrie(intTokens, stringTokens, edges, Arrays.copyOf(coordinate, nodes));
    }

    private static long edge(int node, int tokenId) {
        return ((long) node << 32) | (tokenId & 0xffffffffL);
    }

    /** The id of an integer token, or NONE when it is not in the pool. */
    int tokenId(long token) {
        return intTokens == null ? NONE : intTokens.get(token);
    }

    /** The id of a string token, or NONE when it is not in the pool. */
    int tokenId(String token) {
        Integer id = stringTokens == null ? null : stringTokens.get(token);
        return id == null ? NONE : id;
    }

    /** The child of {@code node} along token {@code tokenId}, or NONE. */
    int child(int node, int tokenId) {
        return edges.get(edge(node, tokenId));
    }

    /** The output coordinate of the n-gram that ends at {@code node}, or NONE. */
    int coordinate(int node) {
        return coordinate[node];
    }
}
