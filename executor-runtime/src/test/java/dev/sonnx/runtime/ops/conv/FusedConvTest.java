package dev.sonnx.runtime.ops.conv;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.testing.OpTester;
import dev.sonnx.runtime.testing.TestContext;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * dev.sonnx.FusedConv against the convolution computed by {@link ConvReference} in double precision,
 * followed by the residual add and the activation written out here from the ONNX definitions.
 */
class FusedConvTest {

    /** An activation by its ONNX name and parameters, with its formula. */
    private record Act(String name, float[] params, DoubleUnaryOperator f) {
    }

    private static final List<Act> ACTIVATIONS = List.of(
            new Act("", new float[0], v -> v),
            new Act("Relu", new float[0], v -> Math.max(v, 0)),
            new Act("Clip", new float[] {0f, 0.6f}, v -> Math.min(Math.max(v, 0), 0.6f)),
            new Act("Clip", new float[] {-0.25f, 0.25f}, v -> Math.min(Math.max(v, -0.25f), 0.25f)),
            new Act("LeakyRelu", new float[] {0.1f}, v -> v >= 0 ? v : 0.1f * v),
            new Act("HardSigmoid", new float[] {0.2f, 0.5f}, v -> Math.max(0, Math.min(1, 0.2f * v + 0.5f))),
            new Act("HardSwish", new float[0], v -> v * Math.max(0, Math.min(1, v / 6 + 0.5))));

    private static OpTester fused(ConvTest.Case k, Act act, boolean residual) {
        OpTester f = OpTester.of(FusedConv.DOMAIN, FusedConv.OP_TYPE, 1)
                .inputs(k.bias() ? (residual ? new String[] {"x", "w", "b", "z"} : new String[] {"x", "w", "b"})
                        : (residual ? new String[] {"x", "w", "", "z"} : new String[] {"x", "w"}))
                .attr("group", k.group()).attrInts("strides", ConvTest.longs(k.strides()))
                .attrInts("dilations", ConvTest.longs(k.dilations()));
        if (k.autoPad().equals("NOTSET")) {
            int r = k.rank();
            int[] pads = new int[2 * r];
            System.arraycopy(k.padBegin(), 0, pads, 0, r);
            System.arraycopy(k.padEnd(), 0, pads, r, r);
            f.attrInts("pads", ConvTest.longs(pads));
        } else {
            f.attr("auto_pad", k.autoPad());
        }
        if (!act.name().isEmpty()) {
            f.attr(FusedConv.ACTIVATION, act.name()).attrFloats(FusedConv.ACTIVATION_PARAMS, act.params());
        }
        return f;
    }

    /** Runs one case in {@code type}; the residual (when asked for) has shape {@code zShape}, or Y's shape. */
    private static void check(ConvTest.Case k, Act act, boolean residual, int[] zShape, DataType type, long seed,
                              double tol) {
        double[] x = ConvTest.rounded(type, ConvReference.random(seed, ConvReference.size(k.xShape())));
        double[] w = ConvTest.rounded(type, ConvReference.random(seed + 1, ConvReference.size(k.wShape())));
        double[] b = k.bias() ? ConvTest.rounded(type, ConvReference.random(seed + 2, k.m())) : null;
        int[] yShape = ConvTest.concat(k.n(), k.m(), k.outSpatial());
        double[] conv = ConvReference.conv(x, k.xShape(), w, k.wShape(), b, k.group(), k.strides(), k.dilations(),
                k.effectivePads()[0], k.outSpatial());
        int[] zs = zShape == null ? yShape : zShape;
        double[] z = residual ? ConvTest.rounded(type, ConvReference.random(seed + 3, ConvReference.size(zs))) : null;

        // expected: act(conv + z) with numpy broadcasting of the two
        int[] outShape = residual ? dev.sonnx.runtime.tensor.Shapes.broadcast(yShape, zs) : yShape;
        double[] expected = new double[ConvReference.size(outShape)];
        int[] idx = new int[outShape.length];
        for (int i = 0; i < expected.length; i++) {
            double v = conv[broadcastOffset(yShape, outShape, idx)];
            if (residual) {
                v += z[broadcastOffset(zs, outShape, idx)];
            }
            expected[i] = act.f().applyAsDouble(v);
            ConvReference.next(idx, outShape);
        }

        Tensor[] in = new Tensor[residual ? 4 : (k.bias() ? 3 : 2)];
        in[0] = Tensor.fromDoubles(type, x, k.xShape());
        in[1] = Tensor.fromDoubles(type, w, k.wShape());
        if (k.bias()) {
            in[2] = Tensor.fromDoubles(type, b, k.m());
        }
        if (residual) {
            in[3] = Tensor.fromDoubles(type, z, zs);
        }
        Tensor y = fused(k, act, residual).run(in)[0];
        String what = type + " " + act.name() + " residual=" + residual + " z=" + java.util.Arrays.toString(zs)
                + " " + k;
        assertEquals(type, y.dtype(), what);
        assertArrayEquals(outShape, y.shape(), what);
        ConvTest.assertClose(expected, y, tol, tol, what);
    }

    /** The offset in a tensor of {@code shape} read at output index {@code idx} under numpy broadcasting. */
    private static int broadcastOffset(int[] shape, int[] outShape, int[] idx) {
        int off = 0;
        int lead = outShape.length - shape.length;
        for (int d = 0; d < shape.length; d++) {
            off = off * shape[d] + (shape[d] == 1 ? 0 : idx[lead + d]);
        }
        return off;
    }

    @Test
    void everyActivationWithAndWithoutResidualOnRandomGeometries() {
        SplittableRandom r = new SplittableRandom(71);
        for (int i = 0; i < 12; i++) {
            ConvTest.Case k = ConvTest.randomCase(r);
            Act act = ACTIVATIONS.get(i % ACTIVATIONS.size());
            check(k, act, false, null, DataType.FLOAT, 100 + i, 1e-5);
            check(k, act, true, null, DataType.FLOAT, 200 + i, 1e-5);
        }
    }

    @Test
    void aBroadcastResidualIsAddedAsTheAddItReplacesWould() {
        SplittableRandom r = new SplittableRandom(72);
        for (int i = 0; i < 6; i++) {
            ConvTest.Case k = ConvTest.randomCase(r);
            int[] y = ConvTest.concat(k.n(), k.m(), k.outSpatial());
            // one value per channel, and a residual with a larger batch than the convolution's
            int[] perChannel = new int[y.length - 1];
            perChannel[0] = k.m();
            java.util.Arrays.fill(perChannel, 1, perChannel.length, 1);
            int[] wider = y.clone();
            wider[0] = 1;
            int[] widerBatch = new int[y.length + 1];
            widerBatch[0] = 2;
            System.arraycopy(wider, 0, widerBatch, 1, y.length);
            Act act = ACTIVATIONS.get((i + 1) % ACTIVATIONS.size());
            check(k, act, true, perChannel, DataType.FLOAT, 300 + i, 1e-5);
            check(k, act, true, widerBatch, DataType.FLOAT, 400 + i, 1e-5);
        }
    }

    @Test
    void float64AndFloat16TakeTheGenericKernelsAndTheSameEpilogue() {
        SplittableRandom r = new SplittableRandom(73);
        for (int i = 0; i < 6; i++) {
            ConvTest.Case k = ConvTest.randomCase(r);
            Act act = ACTIVATIONS.get(i % ACTIVATIONS.size());
            check(k, act, true, null, DataType.DOUBLE, 500 + i, 1e-12);
            check(k, act, i % 2 == 0, null, DataType.FLOAT16, 600 + i, 1e-2);
        }
    }

    /** y = x through a 1x1 convolution of one channel with weight 1, then the activation, in {@code type}. */
    private static Tensor identityConv(DataType type, String act, float... params) {
        double[] x = {Double.NaN, -2, 3, 8};
        return OpTester.of(FusedConv.DOMAIN, FusedConv.OP_TYPE, 1).inputs("x", "w")
                .attr(FusedConv.ACTIVATION, act).attrFloats(FusedConv.ACTIVATION_PARAMS, params)
                .run(Tensor.fromDoubles(type, x, 1, 1, 2, 2), Tensor.fromDoubles(type, new double[] {1}, 1, 1, 1, 1))[0];
    }

    @Test
    void nanFollowsOneDnnOnEveryPath() {
        // float32 runs oneDNN's post-ops, float64 the epilogue loops: both give the same answers
        for (DataType type : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            assertArrayEquals(new double[] {0, 0, 3, 8}, identityConv(type, "Relu").toDoubleArray());
            assertArrayEquals(new double[] {0, 0, 3, 6}, identityConv(type, "Clip", 0, 6).toDoubleArray());
            assertArrayEquals(new double[] {-1, -1, 2, 2}, identityConv(type, "Clip", -1, 2).toDoubleArray());
            // crossed bounds: every element becomes the upper one
            assertArrayEquals(new double[] {1, 1, 1, 1}, identityConv(type, "Clip", 2, 1).toDoubleArray());
            double[] leaky = identityConv(type, "LeakyRelu", 0.5f).toDoubleArray();
            assertTrue(Double.isNaN(leaky[0]));
            assertArrayEquals(new double[] {-1, 3, 8}, java.util.Arrays.copyOfRange(leaky, 1, 4));
            double[] hs = identityConv(type, "HardSigmoid", 0.25f, 0.5f).toDoubleArray();
            assertArrayEquals(new double[] {1, 0, 1, 1}, hs, type.toString());
            assertTrue(Double.isNaN(identityConv(type, "HardSwish").getDouble(0)));
        }
    }

    /**
     * An inference run that gives Z up lets the primitive add into Z's memory (oneDNN's sum post-op):
     * Y comes back in Z's storage with the reference's values, in both layouts; a run that still
     * reads Z finds it unchanged.
     */
    @Test
    void aResidualTheRunGivesUpIsAccumulatedIntoInPlace() {
        SplittableRandom r = new SplittableRandom(74);
        int inPlace = 0;
        for (int i = 0; i < 16; i++) {
            ConvTest.Case k = ConvTest.randomCase(r);
            boolean channelsLast = i % 2 == 1;
            Act act = ACTIVATIONS.get(i % ACTIVATIONS.size());
            int[] yShape = ConvTest.concat(k.n(), k.m(), k.outSpatial());
            double[] x = ConvReference.random(800 + i, ConvReference.size(k.xShape()));
            double[] w = ConvReference.random(900 + i, ConvReference.size(k.wShape()));
            double[] z = ConvReference.random(1000 + i, ConvReference.size(yShape));
            // no bias: the operator below is built without one
            double[] conv = ConvReference.conv(x, k.xShape(), w, k.wShape(), null, k.group(), k.strides(),
                    k.dilations(), k.effectivePads()[0], k.outSpatial());
            double[] expected = new double[conv.length];
            for (int j = 0; j < conv.length; j++) {
                expected[j] = act.f().applyAsDouble(conv[j] + z[j]);
            }
            OpTester tester = fused(new ConvTest.Case(k.n(), k.c(), k.m(), k.group(), k.image(), k.kernel(),
                    k.strides(), k.dilations(), k.padBegin(), k.padEnd(), k.autoPad(), false), act, true);
            if (channelsLast) {
                tester.attr(FusedConv.CHANNELS_LAST, 1);
            }
            Operator op = tester.build();
            Tensor xt = layout(Tensor.fromDoubles(DataType.FLOAT, x, k.xShape()), channelsLast);
            Tensor wt = Tensor.fromDoubles(DataType.FLOAT, w, k.wShape());
            String what = act.name() + (channelsLast ? " channels-last " : " ") + k;

            Tensor kept = layout(Tensor.fromDoubles(DataType.FLOAT, z, yShape), channelsLast);
            float[] keptBefore = kept.toFloatArray();
            Tensor y = (Tensor) op.forward(new Tensor[] {xt, wt, null, kept}, TestContext.inference())[0];
            ConvTest.assertClose(expected, plain(y, channelsLast), 1e-5, 1e-5, what);
            assertArrayEquals(keptBefore, kept.toFloatArray(), what + ": Z changed although the run still reads it");

            Tensor given = layout(Tensor.fromDoubles(DataType.FLOAT, z, yShape), channelsLast);
            Tensor yInPlace = (Tensor) op.forward(new Tensor[] {xt, wt, null, given},
                    TestContext.inferenceOverwritingInputs())[0];
            ConvTest.assertClose(expected, plain(yInPlace, channelsLast), 1e-5, 1e-5, what);
            inPlace += yInPlace.storage() == given.storage() ? 1 : 0;
        }
        assertTrue(!dev.sonnx.runtime.ops.conv.dnnl.Dnnl.available() || inPlace >= 8,
                "only " + inPlace + " of 16 cases accumulated into Z although oneDNN is available");
    }

    private static Tensor layout(Tensor t, boolean channelsLast) {
        return channelsLast ? ChannelsLast.toLast(t, dev.sonnx.runtime.cpu.CpuDevice.get()) : t;
    }

    private static Tensor plain(Tensor t, boolean channelsLast) {
        return channelsLast ? ChannelsLast.toFirst(t, dev.sonnx.runtime.cpu.CpuDevice.get()) : t;
    }

    @Test
    void badAttributesAndAMissingResidualAreNamed() {
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> OpTester.of(FusedConv.DOMAIN, FusedConv.OP_TYPE, 1).inputs("x", "w")
                        .attr(FusedConv.ACTIVATION, "Gelu").build());
        assertTrue(unknown.getMessage().contains("'activation'") && unknown.getMessage().contains("Gelu"),
                unknown.getMessage());
        IllegalArgumentException params = assertThrows(IllegalArgumentException.class,
                () -> OpTester.of(FusedConv.DOMAIN, FusedConv.OP_TYPE, 1).inputs("x", "w")
                        .attr(FusedConv.ACTIVATION, "Clip").attrFloats(FusedConv.ACTIVATION_PARAMS, 1f).build());
        assertTrue(params.getMessage().contains("'activation_params'") && params.getMessage().contains("2"),
                params.getMessage());
        Operator op = OpTester.of(FusedConv.DOMAIN, FusedConv.OP_TYPE, 1).inputs("x", "w", "", "z").build();
        Tensor x = Tensor.zeros(DataType.FLOAT, 1, 1, 2, 2);
        Tensor w = Tensor.zeros(DataType.FLOAT, 1, 1, 1, 1);
        assertThrows(RuntimeException.class, () -> op.forward(new Tensor[] {x, w, null, null}, new TestContext(false)));
        assertFalse(op.differentiable(), "fused convolutions exist only in inference plans");
    }
}
