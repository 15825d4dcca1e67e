package dev.sonnx.runtime.ops.math;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sonnx.runtime.cpu.CpuDevice;
import dev.sonnx.runtime.ops.BackwardContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Device;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import dev.sonnx.runtime.testing.GradCheck;
import dev.sonnx.runtime.testing.OpTester;
import dev.sonnx.runtime.testing.TestContext;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The hand-written float32 loops of Add, Sub, Mul, Div and Relu agree bit for bit with the general
 * per-element path, for every broadcasting layout they specialise (same shape, bias rows, per-channel
 * constants, scalars on either side) and the ones they do not.
 */
class FloatLoopsTest {
    private static final Device CPU = CpuDevice.withThreads(4);

    static Stream<Arguments> layouts() {
        int[][][] pairs = {
                {{64, 1000}, {64, 1000}},          // same shape, big enough to run in parallel spans
                {{7, 13}, {7, 13}},
                {{32, 100}, {100}},                // bias along rows
                {{100}, {32, 100}},                // bias on the left
                {{2, 8, 5, 5}, {8, 1, 1}},         // one constant per channel row
                {{8, 1, 1}, {2, 8, 5, 5}},
                {{3, 40000}, {}},                  // tensor and scalar: one row split in spans
                {{}, {3, 40000}},
                {{5, 1}, {1, 6}},                  // outer product: both sides broadcast
                {{4, 1, 3}, {2, 1}},
                {{}, {}},
                {{0, 3}, {3}},
        };
        Stream.Builder<Arguments> b = Stream.builder();
        for (FloatLoops.Binary op : FloatLoops.Binary.values()) {
            for (int[][] p : pairs) {
                b.add(Arguments.of(op, p[0], p[1]));
            }
        }
        return b.build();
    }

    private static BinaryFn generalFn(FloatLoops.Binary op) {
        return switch (op) {
            case ADD -> BinaryFn.floating((a, b) -> a + b, (a, b) -> a + b);
            case SUB -> BinaryFn.floating((a, b) -> a - b, (a, b) -> a - b);
            case MUL -> BinaryFn.floating((a, b) -> a * b, (a, b) -> a * b);
            case DIV -> BinaryFn.floating((a, b) -> a / b, (a, b) -> a / b);
        };
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("layouts")
    void kernelAgreesWithGeneralPath(FloatLoops.Binary op, int[] shapeA, int[] shapeB) {
        Tensor a = MathTesting.randomFloats(1, -4, 4, shapeA);
        Tensor b = MathTesting.randomFloats(2, 0.5f, 3, shapeB);
        BinaryFn general = generalFn(op);
        Tensor fast = Elementwise.binary(a, b, DataType.FLOAT, general.withKernel(op), CPU);
        Tensor slow = Elementwise.binaryGeneral(a, b, DataType.FLOAT, general, CPU);
        assertArrayEquals(slow.shape(), fast.shape());
        assertArrayEquals(slow.toFloatArray(), fast.toFloatArray(), 0f);
        // and both agree with the definition, computed here element by element
        int[] out = fast.shape();
        for (int i = 0; i < fast.size(); i++) {
            float x = a.getFloat(index(i, out, shapeA));
            float y = b.getFloat(index(i, out, shapeB));
            float expected = switch (op) {
                case ADD -> x + y;
                case SUB -> x - y;
                case MUL -> x * y;
                case DIV -> x / y;
            };
            assertEquals(expected, fast.getFloat(i), 0f, "element " + i);
        }
    }

    /** The flat index in a tensor of {@code shape} read at output position {@code flat} (numpy broadcasting). */
    private static int index(int flat, int[] out, int[] shape) {
        int idx = 0;
        int stride = 1;
        for (int d = out.length - 1, s = shape.length - 1; d >= 0; d--, s--) {
            int coord = flat % out[d];
            flat /= out[d];
            if (s >= 0) {
                idx += (shape[s] == 1 ? 0 : coord) * stride;
                stride *= shape[s];
            }
        }
        return idx;
    }

    @ParameterizedTest
    @MethodSource("reluSizes")
    void reluLoopsAgreeWithGeneralPath(int n) {
        Tensor x = MathTesting.randomFloats(3, -1, 1, n);
        if (n > 2) {
            x.setFloat(0, Float.NaN);
            x.setFloat(1, -0f);
            x.setFloat(2, 0f);
        }
        if (n > 6) {
            // the edges of the branch-free mask: the smallest positive and negative floats, infinities
            x.setFloat(3, Float.MIN_VALUE);
            x.setFloat(4, Float.POSITIVE_INFINITY);
            x.setFloat(5, Float.NEGATIVE_INFINITY);
            x.setFloat(6, -Float.MIN_VALUE);
        }
        Tensor fast = FloatLoops.relu(x, CPU);
        Tensor slow = Elementwise.unary(x, DataType.FLOAT, UnaryFn.real(v -> Math.max(v, 0)), CPU);
        assertArrayEquals(slow.toFloatArray(), fast.toFloatArray(), 0f);

        Tensor gy = MathTesting.randomFloats(4, -1, 1, n);
        Tensor gx = FloatLoops.reluBackward(x, gy, CPU);
        for (int i = 0; i < n; i++) {
            assertEquals(x.getFloat(i) > 0 ? gy.getFloat(i) : 0f, gx.getFloat(i), 0f, "element " + i);
        }
    }

    static Stream<Integer> reluSizes() {
        return Stream.of(0, 1, 17, 100_000);
    }

    @ParameterizedTest
    @MethodSource("operators")
    void operatorsTakeTheFastPathThroughTheRegistry(String op) {
        Tensor a = MathTesting.randomFloats(5, 1, 2, 16, 32);
        Tensor b = MathTesting.randomFloats(6, 1, 2, 32);
        Tensor y = MathTesting.run(op, 14, a, b);
        for (int i = 0; i < y.size(); i++) {
            float x = a.getFloat(i);
            float z = b.getFloat(i % 32);
            float expected = switch (op) {
                case "Add" -> x + z;
                case "Sub" -> x - z;
                case "Mul" -> x * z;
                default -> x / z;
            };
            assertEquals(expected, y.getFloat(i), 0f);
        }
    }

    static Stream<String> operators() {
        return Stream.of("Add", "Sub", "Mul", "Div");
    }

    /** The float32 gradients of Add/Sub/Mul (linear and product shortcuts) match the definition. */
    @ParameterizedTest
    @MethodSource("operators")
    void float32GradientsOfBiasBroadcast(String op) {
        Operator o = OpTester.of(op, 14).inputs(2).build();
        Tensor a = MathTesting.randomFloats(7, 1, 2, 3, 4);
        Tensor b = MathTesting.randomFloats(8, 1, 2, 4);
        TestContext ctx = new TestContext(true);
        Value[] out = o.forward(new Tensor[] {a, b}, ctx);
        Tensor gy = MathTesting.randomFloats(9, -1, 1, 3, 4);
        Tensor[] g = o.backward(new BackwardContext(new Value[] {a, b}, out, new Tensor[] {gy},
                new boolean[] {true, true}, ctx.saved, ctx));
        for (int i = 0; i < 12; i++) {
            float bv = b.getFloat(i % 4);
            float da = switch (op) {
                case "Add", "Sub" -> 1;
                case "Mul" -> bv;
                default -> 1 / bv;
            };
            assertEquals(gy.getFloat(i) * da, g[0].getFloat(i), 1e-6);
        }
        for (int j = 0; j < 4; j++) {
            double sum = 0;
            for (int r = 0; r < 3; r++) {
                int i = r * 4 + j;
                float av = a.getFloat(i);
                float bv = b.getFloat(j);
                double db = switch (op) {
                    case "Add" -> 1;
                    case "Sub" -> -1;
                    case "Mul" -> av;
                    default -> -av / (bv * bv);
                };
                sum += gy.getFloat(i) * db;
            }
            assertEquals(sum, g[1].getFloat(j), 1e-5);
        }
        // and against central differences in float64
        GradCheck.of(o).check(new Tensor[] {GradCheck.random(1, 1, 2, 3, 4), GradCheck.random(2, 1, 2, 4)}, 0, 1);
    }
}
