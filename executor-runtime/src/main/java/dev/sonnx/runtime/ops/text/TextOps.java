package dev.sonnx.runtime.ops.text;

import dev.sonnx.runtime.ops.OpRegistry;

/** Operators of this family: string operators. */
public final class TextOps implements OpRegistry.OpSet {
    @Override
    public void register(OpRegistry r) {
        r.add("StringNormalizer", 10, (n, b) -> new StringNormalizerOp(n));
        r.add("TfIdfVectorizer", 9, (n, b) -> new TfIdfVectorizerOp(n));
        r.add("RegexFullMatch", 20, (n, b) -> new RegexFullMatchOp(n));
        r.add("StringConcat", 20, (n, b) -> new StringConcatOp(n));
        r.add("StringSplit", 20, (n, b) -> new StringSplitOp(n));
    }
}
