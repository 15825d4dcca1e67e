package dev.sonnx.runtime.ops.random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sonnx.runtime.backend.SingaRep;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.testing.Models;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Device;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import dev.sonnx.runtime.testing.OpTester;
import dev.sonnx.runtime.testing.TestContext;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Random operators: shapes and types, determinism under a seed, and distributions checked by their
 * sample moments, each within four standard errors of the exact value.
 */
class RandomOpsTest {
    private static final int N = 20_000;

    private static Tensor run(Operator op, Tensor... inputs) {
        return run(op, new TestContext(false), inputs);
    }

    private static Tensor run(Operator op, TestContext ctx, Tensor... inputs) {
        return op.forward(inputs, ctx)[0].asTensor();
    }

    private static double mean(Tensor t) {
        return Arrays.stream(t.toDoubleArray()).average().orElseThrow();
    }

    private static double variance(Tensor t) {
        double m = mean(t);
        return Arrays.stream(t.toDoubleArray()).map(v -> (v - m) * (v - m)).sum() / (t.size() - 1);
    }

    @Test
    void uniformCoversItsRangeWithTheRightMoments() {
        Tensor u = run(OpTester.of("RandomUniform", 1).inputs(0).attrInts("shape", 100, N / 100)
                .attr("low", -2f).attr("high", 3f).build());
        assertEquals(DataType.FLOAT, u.dtype());
        assertArrayEquals(new int[] {100, N / 100}, u.shape());
        for (double v : u.toDoubleArray()) {
            assertTrue(v >= -2 && v <= 3, "value " + v + " outside [-2, 3]");
        }
        double sd = 5 / Math.sqrt(12);
        assertEquals(0.5, mean(u), 4 * sd / Math.sqrt(N));
        assertEquals(sd * sd, variance(u), 4 * sd * sd * Math.sqrt(0.8 / N));
    }

    @Test
    void normalHasItsMeanAndScale() {
        Tensor x = run(OpTester.of("RandomNormal", 1).inputs(0).attrInts("shape", N).attr("mean", 1f)
                .attr("scale", 2f).attr("dtype", DataType.DOUBLE.code()).build());
        assertEquals(DataType.DOUBLE, x.dtype());
        assertEquals(1, mean(x), 4 * 2 / Math.sqrt(N));
        assertEquals(4, variance(x), 4 * 4 * Math.sqrt(2.0 / N));
    }

    @Test
    void seededNodesRepeatTheirOutput() {
        Operator seeded = OpTester.of("RandomNormal", 1).inputs(0).attrInts("shape", 50).attr("seed", 3f).build();
        TestContext one = new TestContext(false);
        Tensor a = run(seeded, one);
        Tensor b = run(seeded, one);
        assertArrayEquals(a.toFloatArray(), b.toFloatArray());
        Operator otherSeed = OpTester.of("RandomNormal", 1).inputs(0).attrInts("shape", 50).attr("seed", 4f).build();
        assertFalse(Arrays.equals(a.toFloatArray(), run(otherSeed).toFloatArray()));
    }

    @Test
    void unseededNodesDrawFromTheRun() {
        // The same model run with two generators: the seeded output repeats, the unseeded one does not.
        var g = Models.graph("main", List.of(
                        Models.node("RandomUniform", List.of(), List.of("free"), Models.ints("shape", 64)),
                        Models.node("RandomUniform", List.of(), List.of("fixed"), Models.ints("shape", 64),
                                Models.floating("seed", 1f))),
                List.of(), List.of(Models.tensor("free", DataType.FLOAT, 64), Models.tensor("fixed", DataType.FLOAT, 64)));
        SingaRep rep = Models.prepare(g, 13);
        List<Value> first = rep.runValues(List.of(), -1, false, null, new SplittableRandom(1));
        List<Value> second = rep.runValues(List.of(), -1, false, null, new SplittableRandom(2));
        assertFalse(Arrays.equals(first.get(0).asTensor().toFloatArray(), second.get(0).asTensor().toFloatArray()));
        assertArrayEquals(first.get(1).asTensor().toFloatArray(), second.get(1).asTensor().toFloatArray());
        List<Value> again = rep.runValues(List.of(), -1, false, null, new SplittableRandom(1));
        assertArrayEquals(first.get(0).asTensor().toFloatArray(), again.get(0).asTensor().toFloatArray());
    }

    @Test
    void outputDoesNotDependOnTheThreadCount() {
        Operator op = OpTester.of("RandomUniform", 1).inputs(0).attrInts("shape", 5 * RandomSource.BLOCK + 17)
                .attr("seed", 9f).build();
        Tensor single = run(op, new TestContext(false, Device.parse("cpu:1")));
        Tensor several = run(op, new TestContext(false, Device.parse("cpu:4")));
        assertArrayEquals(single.toFloatArray(), several.toFloatArray());
    }

    @Test
    void likeFormsTakeShapeAndTypeFromTheInput() {
        Tensor in = Tensor.zeros(DataType.DOUBLE, 3, 4);
        Tensor u = run(OpTester.of("RandomUniformLike", 1).inputs(1).build(), in);
        assertEquals(DataType.DOUBLE, u.dtype());
        assertArrayEquals(new int[] {3, 4}, u.shape());
        Tensor ints = Tensor.zeros(DataType.INT32, 2);
        Tensor n = run(OpTester.of("RandomNormalLike", 1).inputs(1).attr("dtype", DataType.FLOAT16.code()).build(),
                ints);
        assertEquals(DataType.FLOAT16, n.dtype());
        Exception e = assertThrows(IllegalArgumentException.class,
                () -> run(OpTester.of("RandomNormalLike", 1).inputs(1).build(), ints));
        assertTrue(e.getMessage().contains("without attribute 'dtype'"), e.getMessage());
    }

    @Test
    void randomOperatorsAreNotDeterministic() {
        assertFalse(OpTester.of("RandomUniform", 1).inputs(0).attrInts("shape", 1).build().deterministic());
        assertFalse(OpTester.of("Bernoulli", 15).inputs(1).build().deterministic());
        assertFalse(OpTester.of("Multinomial", 7).inputs(1).build().deterministic());
    }

    // ------------------------------------------------------------------ Multinomial

    @Test
    void multinomialDrawsClassesInProportion() {
        // Row 0: classes 0 and 1 with probabilities 0.2 and 0.8; row 1: class 1 only (-inf weighs 0).
        float never = Float.NEGATIVE_INFINITY;
        Tensor logits = Tensor.of(new float[] {(float) Math.log(0.2), (float) Math.log(0.8), never,
                never, 0, never}, 2, 3);
        Tensor s = run(OpTester.of("Multinomial", 7).inputs(1).attr("sample_size", N).attr("seed", 5f).build(), logits);
        assertEquals(DataType.INT32, s.dtype());
        assertArrayEquals(new int[] {2, N}, s.shape());
        int ones = 0;
        int zeros = 0;
        for (int i = 0; i < N; i++) {
            long row0 = s.getLong(i);
            assertTrue(row0 == 0 || row0 == 1, "row 0 drew class " + row0);
            ones += row0 == 1 ? 1 : 0;
            zeros += row0 == 0 ? 1 : 0;
            assertEquals(1, s.getLong(N + i), "row 1 has one class with weight");
        }
        assertEquals(0.8, ones / (double) N, 4 * Math.sqrt(0.16 / N));
        assertEquals(N, ones + zeros);
    }

    @Test
    void multinomialTypeAndShapeChecks() {
        Tensor logits = Tensor.of(new float[] {0, 0}, 1, 2);
        Tensor s = run(OpTester.of("Multinomial", 7).inputs(1).attr("dtype", DataType.INT64.code()).build(), logits);
        assertEquals(DataType.INT64, s.dtype());
        assertArrayEquals(new int[] {1, 1}, s.shape());
        assertThrows(IllegalArgumentException.class,
                () -> OpTester.of("Multinomial", 7).inputs(1).attr("dtype", DataType.FLOAT.code()).build());
        assertThrows(IllegalArgumentException.class,
                () -> run(OpTester.of("Multinomial", 7).inputs(1).build(), Tensor.of(new float[] {0, 0}, 2)));
    }

    // ------------------------------------------------------------------ Bernoulli

    @Test
    void bernoulliMeanIsTheProbability() {
        float[] p = new float[N];
        Arrays.fill(p, 0.3f);
        Tensor y = run(OpTester.of("Bernoulli", 15).inputs(1).build(), Tensor.of(p, N));
        assertEquals(DataType.FLOAT, y.dtype());
        for (double v : y.toDoubleArray()) {
            assertTrue(v == 0 || v == 1, "value " + v);
        }
        assertEquals(0.3, mean(y), 4 * Math.sqrt(0.21 / N));
    }

    @Test
    void bernoulliCertainOutcomesAndOutputType() {
        Tensor p = Tensor.of(new double[] {0, 1, 1, 0}, 2, 2);
        Tensor y = run(OpTester.of("Bernoulli", 15).inputs(1).attr("dtype", DataType.INT32.code()).build(), p);
        assertEquals(DataType.INT32, y.dtype());
        assertArrayEquals(new int[] {2, 2}, y.shape());
        assertArrayEquals(new long[] {0, 1, 1, 0}, y.toLongArray());
        Tensor b = run(OpTester.of("Bernoulli", 15).inputs(1).attr("dtype", DataType.BOOL.code()).build(), p);
        assertEquals(DataType.BOOL, b.dtype());
        assertTrue(b.getBool(1));
        Tensor d = run(OpTester.of("Bernoulli", 15).inputs(1).build(), p);
        assertEquals(DataType.DOUBLE, d.dtype());
    }

    @Test
    void bernoulliSeedRepeatsAndBadProbabilitiesFail() {
        float[] p = new float[100];
        Arrays.fill(p, 0.5f);
        Operator seeded = OpTester.of("Bernoulli", 15).inputs(1).attr("seed", 0f).build();
        assertArrayEquals(run(seeded, Tensor.of(p, 100)).toFloatArray(), run(seeded, Tensor.of(p, 100)).toFloatArray());
        Exception e = assertThrows(IllegalArgumentException.class,
                () -> run(seeded, Tensor.of(new float[] {0.5f, 1.5f}, 2)));
        assertTrue(e.getMessage().contains("input[1] = 1.5"), e.getMessage());
    }
}
