package dev.sonnx.runtime.ops.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.sonnx.runtime.onnx.proto.Onnx.AttributeProto;
import dev.sonnx.runtime.onnx.proto.Onnx.NodeProto;
import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.testing.OpTester;
import dev.sonnx.runtime.testing.TestContext;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class TextOpsTest {

    private static Tensor strings(String... s) {
        return Tensor.of(s, s.length);
    }

    private static AttributeProto stringsAttr(String name, String... values) {
        AttributeProto.Builder a = AttributeProto.newBuilder().setName(name)
                .setType(AttributeProto.AttributeType.STRINGS);
        for (String v : values) {
            a.addStrings(ByteString.copyFrom(v, StandardCharsets.UTF_8));
        }
        return a.build();
    }

    /** Builds an operator from a node with STRINGS attributes, which OpTester does not set. */
    private static Operator build(String op, int opset, AttributeProto... attrs) {
        NodeProto.Builder np = NodeProto.newBuilder().setOpType(op).addInput("x").addOutput("y");
        for (AttributeProto a : attrs) {
            np.addAttribute(a);
        }
        Node node = new Node(np.build(), opset);
        return switch (op) {
            case "StringNormalizer" -> new StringNormalizerOp(node);
            case "TfIdfVectorizer" -> new TfIdfVectorizerOp(node);
            default -> throw new IllegalArgumentException(op);
        };
    }

    private static Tensor run(Operator op, Tensor x) {
        return op.forward(new Tensor[] {x}, new TestContext(false))[0].asTensor();
    }

    private static AttributeProto str(String name, String v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.STRING)
                .setS(ByteString.copyFrom(v, StandardCharsets.UTF_8)).build();
    }

    private static AttributeProto integer(String name, long v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(v).build();
    }

    private static AttributeProto ints(String name, long... v) {
        AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
        for (long x : v) {
            a.addInts(x);
        }
        return a.build();
    }

    private static AttributeProto floats(String name, float... v) {
        AttributeProto.Builder a = AttributeProto.newBuilder().setName(name)
                .setType(AttributeProto.AttributeType.FLOATS);
        for (float x : v) {
            a.addFloats(x);
        }
        return a.build();
    }

    // ------------------------------------------------------------------ StringNormalizer

    @Test
    void normalizerDropsStopwordsIgnoringCaseThenChangesCase() {
        Operator op = build("StringNormalizer", 10, stringsAttr("stopwords", "the"), str("case_change_action", "LOWER"));
        Tensor y = run(op, strings("The", "Quick", "THE", "fox"));
        assertArrayEquals(new String[] {"quick", "fox"}, y.strings());
        Operator sensitive = build("StringNormalizer", 10, stringsAttr("stopwords", "the"),
                integer("is_case_sensitive", 1), str("case_change_action", "UPPER"));
        assertArrayEquals(new String[] {"THE", "QUICK", "THE", "FOX"},
                run(sensitive, strings("The", "Quick", "THE", "fox")).strings());
    }

    @Test
    void normalizerLeavesOneEmptyStringWhenEverythingGoes() {
        Operator op = build("StringNormalizer", 10, stringsAttr("stopwords", "a", "b"));
        Tensor flat = run(op, strings("a", "B"));
        assertArrayEquals(new int[] {1}, flat.shape());
        assertEquals("", flat.getString(0));
        Tensor row = run(op, Tensor.of(new String[] {"b", "a"}, 1, 2));
        assertArrayEquals(new int[] {1, 1}, row.shape());
        assertEquals("", row.getString(0));
        assertArrayEquals(new int[] {1, 1}, run(op, Tensor.of(new String[] {"c", "a"}, 1, 2)).shape());
    }

    @Test
    void normalizerUsesTheLocale() {
        Operator turkish = build("StringNormalizer", 10, str("case_change_action", "UPPER"), str("locale", "tr_TR"));
        assertEquals("İSTANBUL", run(turkish, strings("istanbul")).getString(0));
        Operator english = build("StringNormalizer", 10, str("case_change_action", "UPPER"));
        assertEquals("ISTANBUL", run(english, strings("istanbul")).getString(0));
    }

    @Test
    void normalizerChecksShapeAndAttributes() {
        Operator op = build("StringNormalizer", 10);
        Exception e = assertThrows(IllegalArgumentException.class,
                () -> run(op, Tensor.of(new String[] {"a", "b", "c", "d"}, 2, 2)));
        assertTrue(e.getMessage().contains("expected [C] or [1, C]"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> build("StringNormalizer", 10, str("case_change_action", "TITLE")));
    }

    // ------------------------------------------------------------------ TfIdfVectorizer

    /** Pool: unigrams a, b, c then bigrams (a, b), (b, c), at output coordinates given by {@code indexes}. */
    private static Operator tfidf(String mode, int minGram, int maxSkip, long[] indexes, AttributeProto... more) {
        AttributeProto[] attrs = new AttributeProto[7 + more.length];
        attrs[0] = str("mode", mode);
        attrs[1] = integer("min_gram_length", minGram);
        attrs[2] = integer("max_gram_length", 2);
        attrs[3] = integer("max_skip_count", maxSkip);
        attrs[4] = stringsAttr("pool_strings", "a", "b", "c", "a", "b", "b", "c");
        attrs[5] = ints("ngram_counts", 0, 3);
        attrs[6] = ints("ngram_indexes", indexes);
        System.arraycopy(more, 0, attrs, 7, more.length);
        return build("TfIdfVectorizer", 9, attrs);
    }

    private static final long[] IDENTITY = {0, 1, 2, 3, 4};

    @Test
    void termFrequenciesOfUnigramsAndBigrams() {
        // a b c a b: a = 2, b = 2, c = 1, (a, b) = 2, (b, c) = 1.
        Tensor y = run(tfidf("TF", 1, 0, IDENTITY), strings("a", "b", "c", "a", "b"));
        assertEquals(DataType.FLOAT, y.dtype());
        assertArrayEquals(new float[] {2, 2, 1, 2, 1}, y.toFloatArray());
    }

    @Test
    void skipsFindSpreadBigramsButCountUnigramsOnce() {
        // a x b c: adjacent bigrams give (b, c); two apart give (a, b).
        Tensor x = strings("a", "x", "b", "c");
        assertArrayEquals(new float[] {1, 1, 1, 0, 1}, run(tfidf("TF", 1, 0, IDENTITY), x).toFloatArray());
        assertArrayEquals(new float[] {1, 1, 1, 1, 1}, run(tfidf("TF", 1, 1, IDENTITY), x).toFloatArray());
        assertArrayEquals(new float[] {0, 0, 0, 1, 1}, run(tfidf("TF", 2, 5, IDENTITY), x).toFloatArray());
    }

    @Test
    void ngramIndexesPlaceTheCounts() {
        Tensor y = run(tfidf("TF", 1, 0, new long[] {4, 3, 2, 1, 0}), strings("a", "b", "c", "a", "b"));
        assertArrayEquals(new float[] {1, 2, 1, 2, 2}, y.toFloatArray());
    }

    @Test
    void idfAndTfidfWeights() {
        AttributeProto w = floats("weights", 0.5f, 1, 2, 3, 4);
        Tensor x = strings("a", "b", "c", "a", "b");
        assertArrayEquals(new float[] {0.5f, 1, 2, 3, 4}, run(tfidf("IDF", 1, 0, IDENTITY, w), x).toFloatArray());
        assertArrayEquals(new float[] {1, 1, 1, 1, 1}, run(tfidf("IDF", 1, 0, IDENTITY), x).toFloatArray());
        assertArrayEquals(new float[] {1, 2, 2, 6, 4}, run(tfidf("TFIDF", 1, 0, IDENTITY, w), x).toFloatArray());
        assertArrayEquals(new float[] {0, 0, 0, 0, 0},
                run(tfidf("IDF", 1, 0, IDENTITY, w), strings("z")).toFloatArray());
    }

    @Test
    void integerBatchesGiveOneRowEach() {
        Operator op = build("TfIdfVectorizer", 9, str("mode", "TF"), integer("min_gram_length", 1),
                integer("max_gram_length", 2), integer("max_skip_count", 0), ints("pool_int64s", 7, 8, 7, 8),
                ints("ngram_counts", 0, 2), ints("ngram_indexes", 0, 1, 2));
        Tensor x = Tensor.of(new long[] {7, 8, 7, 8, 8, 8}, 2, 3);
        Tensor y = run(op, x);
        assertArrayEquals(new int[] {2, 3}, y.shape());
        // Row 0: 7 8 7 -> 7 twice, 8 once, (7, 8) once. Row 1: 8 8 8 -> 8 three times.
        assertArrayEquals(new float[] {2, 1, 1, 0, 3, 0}, y.toFloatArray());
        Tensor int32 = Tensor.of(new int[] {8, 7, 8}, 3);
        assertArrayEquals(new float[] {1, 2, 1}, run(op, int32).toFloatArray());
        Exception e = assertThrows(IllegalArgumentException.class, () -> run(op, strings("7")));
        assertTrue(e.getMessage().contains("the pool holds integers"), e.getMessage());
    }

    @Test
    void poolAttributesAreChecked() {
        Exception e = assertThrows(IllegalArgumentException.class, () -> build("TfIdfVectorizer", 9,
                str("mode", "TF"), integer("min_gram_length", 1), integer("max_gram_length", 1),
                integer("max_skip_count", 0), ints("pool_int64s", 1, 2, 3), ints("ngram_counts", 0, 2),
                ints("ngram_indexes", 0, 1, 2)));
        assertTrue(e.getMessage().contains("not a whole number of 2-grams"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> build("TfIdfVectorizer", 9, str("mode", "TF"),
                integer("min_gram_length", 1), integer("max_gram_length", 1), integer("max_skip_count", 0),
                ints("pool_int64s", 1), stringsAttr("pool_strings", "a"), ints("ngram_counts", 0),
                ints("ngram_indexes", 0)));
    }

    // ------------------------------------------------------------------ opset 20 string operators

    @Test
    void regexFullMatchMatchesWholeStrings() {
        Tensor y = OpTester.of("RegexFullMatch", 20).inputs(1).attr("pattern", "(?P<user>[a-z]+)@[a-z]+\\.com")
                .run(strings("ab@cd.com", "x@y.org", "AB@cd.com", "ab@cd.com!"))[0];
        assertEquals(DataType.BOOL, y.dtype());
        assertArrayEquals(new long[] {1, 0, 0, 0}, y.toLongArray());
        assertThrows(IllegalArgumentException.class, () -> OpTester.of("RegexFullMatch", 20).inputs(1)
                .attr("pattern", "(unclosed").build());
    }

    @Test
    void stringConcatBroadcasts() {
        Tensor y = OpTester.of("StringConcat", 20).inputs(2)
                .run(Tensor.of(new String[] {"a", "b"}, 2, 1), Tensor.of(new String[] {"1", "2", "3"}, 3))[0];
        assertArrayEquals(new int[] {2, 3}, y.shape());
        assertArrayEquals(new String[] {"a1", "a2", "a3", "b1", "b2", "b3"}, y.strings());
    }

    @Test
    void stringSplitOnADelimiterKeepsEmptyPieces() {
        Tensor[] out = OpTester.of("StringSplit", 20).inputs(1).outputs(2).attr("delimiter", ",")
                .run(strings("a,b,,c", "d", ""));
        assertArrayEquals(new int[] {3, 4}, out[0].shape());
        assertArrayEquals(new String[] {"a", "b", "", "c", "d", "", "", "", "", "", "", ""}, out[0].strings());
        assertArrayEquals(new long[] {4, 1, 1}, out[1].toLongArray());
        Tensor[] limited = OpTester.of("StringSplit", 20).inputs(1).outputs(2).attr("delimiter", "--")
                .attr("maxsplit", 1).run(strings("1--2--3"));
        assertArrayEquals(new String[] {"1", "2--3"}, limited[0].strings());
    }

    @Test
    void stringSplitOnWhitespaceDropsTheEnds() {
        Tensor[] out = OpTester.of("StringSplit", 20).inputs(1).outputs(2)
                .run(Tensor.of(new String[] {"  hello \t world ", "a", "   "}, 3, 1));
        assertArrayEquals(new int[] {3, 1, 2}, out[0].shape());
        assertArrayEquals(new String[] {"hello", "world", "a", "", "", ""}, out[0].strings());
        assertArrayEquals(new int[] {3, 1}, out[1].shape());
        assertArrayEquals(new long[] {2, 1, 0}, out[1].toLongArray());
        Tensor[] limited = OpTester.of("StringSplit", 20).inputs(1).outputs(2).attr("maxsplit", 1)
                .run(strings(" a b  c "));
        assertArrayEquals(new String[] {"a", "b  c "}, limited[0].strings());
        Tensor[] empty = OpTester.of("StringSplit", 20).inputs(1).outputs(2).run(Tensor.of(new String[0], 0));
        assertArrayEquals(new int[] {0, 0}, empty[0].shape());
        assertArrayEquals(new int[] {0}, empty[1].shape());
    }

    /** Found by fuzzing: a skip count far beyond any row used to loop over every skip (minutes). */
    @Test
    void hugeSkipCountsCostNoMoreThanTheRowAllows() {
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            Tensor[] out = OpTester.of("TfIdfVectorizer", 9).inputs(1)
                    .attr("mode", "TF").attr("min_gram_length", 2L).attr("max_gram_length", 2L)
                    .attr("max_skip_count", 634002216L)
                    .attrInts("ngram_counts", 0, 0).attrInts("ngram_indexes", 0).attrInts("pool_int64s", 2, 3)
                    .run(Tensor.of(new long[] {2, 5, 3, 2, 3}, 5));
            // the bigram (2, 3) occurs at positions (3, 4) with skip 0, (0, 2) with skip 1, (0, 4) with skip 3
            assertEquals(3.0, out[0].getDouble(0));
        });
    }
}
