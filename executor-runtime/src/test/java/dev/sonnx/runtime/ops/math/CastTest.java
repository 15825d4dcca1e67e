package dev.sonnx.runtime.ops.math;

import static dev.sonnx.runtime.ops.math.MathTesting.assertDoubles;
import static dev.sonnx.runtime.ops.math.MathTesting.assertLongs;
import static dev.sonnx.runtime.ops.math.MathTesting.typed;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sonnx.runtime.onnx.TensorProtos;
import dev.sonnx.runtime.onnx.proto.Onnx.TensorProto;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Half;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.testing.OpTester;
import dev.sonnx.runtime.testing.SharedData;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Cast and CastLike between numeric, bool and string types. */
class CastTest {

    private static Tensor cast(Tensor x, DataType to) {
        return OpTester.of("Cast", 13).inputs(1).attr("to", (long) to.code()).run(x)[0];
    }

    @ParameterizedTest
    @EnumSource(value = DataType.class, names = {"INT8", "INT16", "INT32", "INT64", "UINT8", "UINT16", "UINT32",
            "UINT64", "FLOAT", "DOUBLE", "FLOAT16", "BFLOAT16", "BOOL"})
    void smallIntegersSurviveEveryRoundTrip(DataType via) {
        Tensor x = Tensor.of(new float[] {0, 1, 7, 100}, 2, 2);
        Tensor there = cast(x, via);
        assertEquals(via, there.dtype());
        assertArrayEquals(x.shape(), there.shape());
        Tensor back = cast(there, DataType.FLOAT);
        float[] expected = via == DataType.BOOL ? new float[] {0, 1, 1, 1} : new float[] {0, 1, 7, 100};
        assertArrayEquals(expected, back.toFloatArray(), 0f);
        // and through int64 and string as well
        assertLongs(cast(there, DataType.INT64), DataType.INT64, via == DataType.BOOL ? new long[] {0, 1, 1, 1}
                : new long[] {0, 1, 7, 100});
        Tensor text = cast(there, DataType.STRING);
        assertEquals(there.dtype(), cast(text, via).dtype());
        assertArrayEquals(there.toDoubleArray(), cast(text, via).toDoubleArray(), 0);
    }

    @Test
    void floatsToIntegersTruncateAndWrap() {
        Tensor x = Tensor.of(new float[] {2.9f, -2.9f, 300.7f, -1f, Float.NaN}, 5);
        assertLongs(cast(x, DataType.INT32), DataType.INT32, 2, -2, 300, -1, 0);
        assertLongs(cast(x, DataType.UINT8), DataType.UINT8, 2, 254, 44, 255, 0);
        assertLongs(cast(x, DataType.INT8), DataType.INT8, 2, -2, 44, -1, 0);
        assertLongs(cast(Tensor.of(new double[] {1.8446744073709552e19 / 2 + 4096, 3e9}, 2), DataType.UINT64),
                DataType.UINT64, Long.MIN_VALUE + 4096, 3_000_000_000L);
        assertLongs(cast(Tensor.of(new double[] {3e9}, 1), DataType.UINT32), DataType.UINT32, 3_000_000_000L);
    }

    @Test
    void integersToNarrowerIntegersWrap() {
        Tensor x = Tensor.of(new long[] {300, -129, 65536 + 5}, 3);
        assertLongs(cast(x, DataType.INT8), DataType.INT8, 44, 127, 5);
        assertLongs(cast(x, DataType.UINT16), DataType.UINT16, 300, 65536 - 129, 5);
        assertLongs(cast(typed(DataType.UINT32, new long[] {0xffffffffL}, 1), DataType.INT32), DataType.INT32, -1);
        assertLongs(cast(typed(DataType.INT8, new long[] {-1}, 1), DataType.UINT64), DataType.UINT64, -1L);
    }

    @Test
    void unsigned64ConvertsByValue() {
        Tensor x = typed(DataType.UINT64, new long[] {-1L, 1L << 63}, 2);
        assertDoubles(cast(x, DataType.DOUBLE), DataType.DOUBLE, 0, 18446744073709551615.0, 9223372036854775808.0);
        assertDoubles(cast(x, DataType.FLOAT), DataType.FLOAT, 0, 18446744073709551615.0, 9223372036854775808.0);
    }

    @Test
    void toBoolIsNotZero() {
        Tensor x = Tensor.of(new float[] {0, -0f, 0.1f, Float.NaN, -3}, 5);
        Tensor b = cast(x, DataType.BOOL);
        assertArrayEquals(new long[] {0, 0, 1, 1, 1}, b.toLongArray());
        assertLongs(cast(Tensor.of(new long[] {0, 256, -1}, 3), DataType.BOOL), DataType.BOOL, 0, 1, 1);
    }

    @Test
    void doubleToFloat16RoundsOnce() {
        // 1 + 2^-11 + 2^-40 lies just above the midpoint of 1 and 1 + 2^-10: it rounds up. Through
        // float it would first become the midpoint 1 + 2^-11, then round to even, down to 1.
        double v = 1 + 0x1p-11 + 0x1p-40;
        Tensor h = cast(Tensor.of(new double[] {v, -v, 65520, 65519.99, 1e-8, Double.NaN}, 6), DataType.FLOAT16);
        assertEquals(1 + 0x1p-10, Half.toFloat(h.shorts().get(0)));
        assertEquals(-(1 + 0x1p-10), Half.toFloat(h.shorts().get(1)));
        assertEquals(Float.POSITIVE_INFINITY, Half.toFloat(h.shorts().get(2))); // rounds past the largest half
        assertEquals(65504f, Half.toFloat(h.shorts().get(3)));
        assertEquals(0x1p-24f * Math.round(1e-8 / 0x1p-24), Half.toFloat(h.shorts().get(4)));
        assertTrue(Float.isNaN(Half.toFloat(h.shorts().get(5))));
        // float32 to float16: round to nearest even
        Tensor f = cast(Tensor.of(new float[] {1 + 0x1p-11f, 1 + 3 * 0x1p-11f}, 2), DataType.FLOAT16);
        assertEquals(1f, Half.toFloat(f.shorts().get(0)));
        assertEquals(1 + 0x1p-9f, Half.toFloat(f.shorts().get(1)));
    }

    @Test
    void floatToBfloat16Truncates() {
        // 0x3f80c000 = 1.5 * 2^-7 above 1: the upper 16 bits, 0x3f80, are 1.0
        Tensor b = cast(Tensor.of(new float[] {Float.intBitsToFloat(0x3f80c000), Float.intBitsToFloat(0x7f800001)}, 2),
                DataType.BFLOAT16);
        assertEquals((short) 0x3f80, b.shorts().get(0));
        assertTrue(Float.isNaN(Half.bf16ToFloat(b.shorts().get(1)))); // a NaN stays a NaN
        assertEquals(1.0, cast(b, DataType.DOUBLE).getDouble(0));
    }

    /** The node suite stores bfloat16 data as uint16 (which its runner refuses); the bits match this Cast. */
    @Test
    void floatToBfloat16MatchesTheNodeSuite() throws Exception {
        Path dir = SharedData.nodeCase("test_cast_FLOAT_to_BFLOAT16").resolve("test_data_set_0");
        Tensor in = TensorProtos.toTensor(TensorProto.parseFrom(Files.readAllBytes(dir.resolve("input_0.pb"))));
        Tensor expected = TensorProtos.toTensor(TensorProto.parseFrom(Files.readAllBytes(dir.resolve("output_0.pb"))));
        Tensor out = cast(in, DataType.BFLOAT16);
        for (int i = 0; i < out.size(); i++) {
            assertEquals(expected.getLong(i), out.shorts().get(i) & 0xffff, "element " + i);
        }
    }

    @Test
    void bfloat16ToFloatMatchesTheNodeSuite() throws Exception {
        Path dir = SharedData.nodeCase("test_cast_BFLOAT16_to_FLOAT").resolve("test_data_set_0");
        Tensor bits = TensorProtos.toTensor(TensorProto.parseFrom(Files.readAllBytes(dir.resolve("input_0.pb"))));
        Tensor expected = TensorProtos.toTensor(TensorProto.parseFrom(Files.readAllBytes(dir.resolve("output_0.pb"))));
        Tensor in = Tensor.zeros(DataType.BFLOAT16, bits.shape());
        for (int i = 0; i < in.size(); i++) {
            in.shorts().put(i, (short) bits.getLong(i));
        }
        Tensor out = cast(in, DataType.FLOAT);
        for (int i = 0; i < out.size(); i++) {
            assertEquals(Float.floatToIntBits(expected.getFloat(i)), Float.floatToIntBits(out.getFloat(i)), "element " + i);
        }
    }

    @Test
    void stringsToNumbers() {
        Tensor s = Tensor.of(new String[] {"1e-5", "INF", "-inf", "NaN", " 2.5 ", "+3", "-Infinity", "1E8", ".5"}, 9);
        assertDoubles(cast(s, DataType.FLOAT), DataType.FLOAT, 0, 1e-5f, Double.POSITIVE_INFINITY,
                Double.NEGATIVE_INFINITY, Double.NaN, 2.5, 3, Double.NEGATIVE_INFINITY, 1e8, 0.5);
        assertEquals(0.1f, cast(Tensor.of(new String[] {"0.1"}, 1), DataType.FLOAT).getFloat(0)); // rounded once
        assertDoubles(cast(Tensor.of(new String[] {"0.1"}, 1), DataType.DOUBLE), DataType.DOUBLE, 0, 0.1);
        Tensor ints = Tensor.of(new String[] {"12345678901234567", "-3", "100.5", "1e3"}, 4);
        assertLongs(cast(ints, DataType.INT64), DataType.INT64, 12345678901234567L, -3, 100, 1000);
        assertLongs(cast(Tensor.of(new String[] {"18446744073709551615"}, 1), DataType.UINT64), DataType.UINT64, -1L);
        assertLongs(cast(Tensor.of(new String[] {"True", "false", "0", "2.5"}, 4), DataType.BOOL), DataType.BOOL, 1, 0, 0, 1);
        assertDoubles(cast(Tensor.of(new String[] {"65504", "1e-3"}, 2), DataType.FLOAT16), DataType.FLOAT16, 1e-3,
                65504, 1e-3);
    }

    @Test
    void textThatIsNotANumberIsAnError() {
        for (String bad : new String[] {"Hello", "0x10", "1.5f", "1d", "", "--1"}) {
            var e = assertThrows(IllegalArgumentException.class, () -> cast(Tensor.of(new String[] {bad}, 1), DataType.FLOAT));
            assertTrue(e.getMessage().contains("not a number"), e.getMessage());
        }
    }

    @Test
    void numbersToStringsAsNumpyPrintsThem() {
        Tensor f = Tensor.of(new float[] {0.1f, 1e-5f, 1e16f, 123f, 1e-4f, -0f, Float.NaN, Float.NEGATIVE_INFINITY,
                0.00015f, 0.9767611f, 3.4028235e38f}, 11);
        assertArrayEquals(new String[] {"0.1", "1e-05", "1e+16", "123.0", "1e-04", "-0.0", "nan", "-inf", "0.00015",
                "0.9767611", "3.4028235e+38"}, cast(f, DataType.STRING).strings());
        Tensor d = Tensor.of(new double[] {0.1, 1.0 / 3, 1e300, Double.MIN_VALUE, 1e-4, 2.5e15}, 6);
        assertArrayEquals(new String[] {"0.1", "0.3333333333333333", "1e+300", "5e-324", "0.0001", "2500000000000000.0"},
                cast(d, DataType.STRING).strings());
        Tensor h = typed(DataType.FLOAT16, new double[] {65504, 0.1, 6e-5}, 3);
        assertArrayEquals(new String[] {"65500.0", "0.1", "6e-05"}, cast(h, DataType.STRING).strings());
        Tensor i = typed(DataType.UINT64, new long[] {-1L}, 1);
        assertArrayEquals(new String[] {"18446744073709551615"}, cast(i, DataType.STRING).strings());
        assertArrayEquals(new String[] {"-7"}, cast(typed(DataType.INT8, new long[] {-7}, 1), DataType.STRING).strings());
        assertArrayEquals(new String[] {"True", "False"}, cast(Tensor.of(new boolean[] {true, false}, 2), DataType.STRING)
                .strings());
    }

    @Test
    void sameTypeReturnsTheInput() {
        Tensor x = Tensor.of(new float[] {1}, 1);
        assertSame(x, cast(x, DataType.FLOAT));
    }

    @Test
    void castOneNamesTheType() {
        Tensor y = OpTester.of("Cast", 1).inputs(1).attr("to", "FLOAT").run(Tensor.of(new int[] {3}, 1))[0];
        assertDoubles(y, DataType.FLOAT, 0, 3);
        var e = assertThrows(IllegalArgumentException.class, () -> OpTester.of("Cast", 1).inputs(1).attr("to", "REAL").build());
        assertTrue(e.getMessage().contains("REAL"), e.getMessage());
    }

    @Test
    void unsupportedTargetsAreRefusedAtPrepare() {
        var f8 = assertThrows(IllegalArgumentException.class,
                () -> OpTester.of("Cast", 19).inputs(1).attr("to", (long) DataType.FLOAT8E4M3FN.code()).build());
        assertTrue(f8.getMessage().contains("float8e4m3fn"), f8.getMessage());
        assertThrows(IllegalArgumentException.class, () -> OpTester.of("Cast", 21).inputs(1).attr("to", 22L).build());
        assertThrows(IllegalArgumentException.class,
                () -> OpTester.of("Cast", 13).inputs(1).attr("to", (long) DataType.COMPLEX64.code()).build());
        assertThrows(IllegalArgumentException.class, () -> OpTester.of("Cast", 13).inputs(1).build());
        var sat = assertThrows(IllegalArgumentException.class,
                () -> OpTester.of("Cast", 19).inputs(1).attr("to", 1L).attr("saturate", 2L).build());
        assertTrue(sat.getMessage().contains("saturate"), sat.getMessage());
        OpTester.of("Cast", 19).inputs(1).attr("to", 1L).attr("saturate", 0L).build();
    }

    @Test
    void castLikeTakesTheSecondInputsType() {
        Tensor y = OpTester.of("CastLike", 15).inputs(2).run(Tensor.of(new float[] {1.5f, -2.5f}, 2),
                Tensor.zeros(DataType.INT16, 0))[0];
        assertLongs(y, DataType.INT16, 1, -2);
        Tensor s = OpTester.of("CastLike", 19).inputs(2).run(Tensor.of(new String[] {"7"}, 1), Tensor.scalar(0f))[0];
        assertDoubles(s, DataType.FLOAT, 0, 7);
    }
}
