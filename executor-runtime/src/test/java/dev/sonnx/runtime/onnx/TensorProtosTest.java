package dev.sonnx.runtime.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.sonnx.runtime.onnx.proto.Onnx.TensorProto;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.MemoryLimit;
import dev.sonnx.runtime.tensor.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

class TensorProtosTest {

    /** Values every numeric type can hold exactly (unsigned types skip the negatives). */
    private static double[] sample(DataType t) {
        if (t == DataType.BOOL) {
            return new double[] {1, 0, 1, 1, 0, 0};
        }
        if (t.isUnsignedInteger()) {
            return new double[] {0, 1, 2, 100, 7, 255};
        }
        return new double[] {0, -1, 2.5, 100, -7.25, 0.125};
    }

    @ParameterizedTest
    @EnumSource(value = DataType.class, names = {"FLOAT", "DOUBLE", "FLOAT16", "BFLOAT16", "INT8", "INT16",
            "INT32", "INT64", "UINT8", "UINT16", "UINT32", "UINT64", "BOOL"})
    void numericTypesRoundTripThroughRawData(DataType t) {
        double[] v = sample(t);
        Tensor original = Tensor.fromDoubles(t, v, 2, 3);
        TensorProto p = TensorProtos.fromTensor(original, "x");
        assertEquals(t.code(), p.getDataType());
        assertEquals(java.util.List.of(2L, 3L), p.getDimsList());
        assertEquals(6L * t.byteSize(), p.getRawData().size());
        Tensor back = TensorProtos.toTensor(p);
        assertEquals(t, back.dtype());
        assertArrayEquals(new int[] {2, 3}, back.shape());
        for (int i = 0; i < v.length; i++) {
            double expected = t.isInteger() ? (long) v[i] : v[i];
            assertEquals(expected, back.getDouble(i), 0, t + " element " + i);
        }
    }

    @Test
    void typedFieldsAreReadForEveryType() {
        TensorProto f = TensorProto.newBuilder().setDataType(DataType.FLOAT.code()).addDims(2)
                .addFloatData(1.5f).addFloatData(-2f).build();
        assertArrayEquals(new float[] {1.5f, -2f}, TensorProtos.toTensor(f).toFloatArray());

        TensorProto d = TensorProto.newBuilder().setDataType(DataType.DOUBLE.code()).addDims(1)
                .addDoubleData(Math.PI).build();
        assertEquals(Math.PI, TensorProtos.toTensor(d).getDouble(0));

        TensorProto i64 = TensorProto.newBuilder().setDataType(DataType.INT64.code()).addDims(2)
                .addInt64Data(Long.MIN_VALUE).addInt64Data(Long.MAX_VALUE).build();
        assertArrayEquals(new long[] {Long.MIN_VALUE, Long.MAX_VALUE}, TensorProtos.toTensor(i64).toLongArray());

        // int32_data carries int8/16, uint8/16, bool and float16 bit patterns
        TensorProto i8 = TensorProto.newBuilder().setDataType(DataType.INT8.code()).addDims(2)
                .addInt32Data(-128).addInt32Data(127).build();
        assertArrayEquals(new long[] {-128, 127}, TensorProtos.toTensor(i8).toLongArray());
        TensorProto u16 = TensorProto.newBuilder().setDataType(DataType.UINT16.code()).addDims(1)
                .addInt32Data(65535).build();
        assertEquals(65535L, TensorProtos.toTensor(u16).getLong(0));
        TensorProto h = TensorProto.newBuilder().setDataType(DataType.FLOAT16.code()).addDims(1)
                .addInt32Data(0x3c00).build();
        assertEquals(1.0, TensorProtos.toTensor(h).getDouble(0));
        TensorProto b = TensorProto.newBuilder().setDataType(DataType.BOOL.code()).addDims(2)
                .addInt32Data(1).addInt32Data(0).build();
        assertTrue(TensorProtos.toTensor(b).getBool(0));

        // uint64_data carries uint32 and uint64
        TensorProto u64 = TensorProto.newBuilder().setDataType(DataType.UINT64.code()).addDims(1)
                .addUint64Data(-1L).build();
        assertEquals(-1L, TensorProtos.toTensor(u64).getLong(0));
        assertEquals(18446744073709551615.0, TensorProtos.toTensor(u64).getDouble(0));
        TensorProto u32 = TensorProto.newBuilder().setDataType(DataType.UINT32.code()).addDims(1)
                .addUint64Data(4294967295L).build();
        assertEquals(4294967295L, TensorProtos.toTensor(u32).getLong(0));
    }

    @Test
    void rawDataIsLittleEndian() {
        ByteBuffer raw = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt(0x01020304).putFloat(2f);
        TensorProto p = TensorProto.newBuilder().setDataType(DataType.INT32.code()).addDims(2)
                .setRawData(ByteString.copyFrom(raw.array())).build();
        Tensor t = TensorProtos.toTensor(p);
        assertEquals(0x01020304, t.getLong(0));
        assertEquals(Float.floatToIntBits(2f), t.getLong(1));
    }

    @Test
    void stringsRoundTrip() {
        Tensor s = Tensor.of(new String[] {"", "héllo", "a\u0000b"}, 3);
        TensorProto p = TensorProtos.fromTensor(s, "s");
        assertEquals("héllo", p.getStringData(1).toString(StandardCharsets.UTF_8));
        Tensor back = TensorProtos.toTensor(p);
        assertArrayEquals(new String[] {"", "héllo", "a\u0000b"}, back.strings());
    }

    @Test
    void scalarsAndEmptyTensors() {
        Tensor scalar = Tensor.scalar(DataType.INT64, 42);
        TensorProto p = TensorProtos.fromTensor(scalar, null);
        assertEquals(0, p.getDimsCount());
        Tensor back = TensorProtos.toTensor(p);
        assertEquals(0, back.rank());
        assertEquals(42L, back.getLong(0));

        Tensor empty = Tensor.zeros(DataType.FLOAT, 3, 0, 2);
        Tensor e2 = TensorProtos.toTensor(TensorProtos.fromTensor(empty, "e"));
        assertArrayEquals(new int[] {3, 0, 2}, e2.shape());
        assertEquals(0, e2.size());
    }

    @Test
    void complexTypesLoadAsRawPairs() {
        TensorProto c = TensorProto.newBuilder().setDataType(DataType.COMPLEX64.code()).addDims(2)
                .addFloatData(1).addFloatData(2).addFloatData(3).addFloatData(4).build();
        Tensor t = TensorProtos.toTensor(c);
        assertEquals(DataType.COMPLEX64, t.dtype());
        assertEquals(3f, t.bytes().getFloat(8));
    }

    @Test
    void wrongElementCountsNameTheTensor() {
        TensorProto bad = TensorProto.newBuilder().setName("w").setDataType(DataType.FLOAT.code()).addDims(3)
                .addFloatData(1).build();
        OnnxFormatException e = assertThrows(OnnxFormatException.class, () -> TensorProtos.toTensor(bad));
        assertTrue(e.getMessage().contains("'w'") && e.getMessage().contains("3"), e.getMessage());

        TensorProto badRaw = TensorProto.newBuilder().setName("r").setDataType(DataType.INT64.code()).addDims(2)
                .setRawData(ByteString.copyFrom(new byte[12])).build();
        e = assertThrows(OnnxFormatException.class, () -> TensorProtos.toTensor(badRaw));
        assertTrue(e.getMessage().contains("16 bytes"), e.getMessage());

        TensorProto unknown = TensorProto.newBuilder().setName("u").setDataType(99).addDims(1).build();
        assertThrows(OnnxFormatException.class, () -> TensorProtos.toTensor(unknown));
    }

    @Test
    void hugeDimsWithoutDataAreRefusedBeforeAnyAllocation() {
        long saved = MemoryLimit.get();
        MemoryLimit.set(1 << 10);
        try {
            // 500 million floats claimed, none given: a count error, not an attempt to allocate 2 GB
            for (DataType t : new DataType[] {DataType.FLOAT, DataType.INT64, DataType.INT32, DataType.DOUBLE,
                    DataType.UINT64, DataType.COMPLEX64}) {
                TensorProto p = TensorProto.newBuilder().setName("big").setDataType(t.code()).addDims(500_000_000)
                        .build();
                OnnxFormatException e = assertThrows(OnnxFormatException.class, () -> TensorProtos.toTensor(p),
                        t.toString());
                assertTrue(e.getMessage().contains("'big'") && e.getMessage().contains("holds 0 values"),
                        e.getMessage());
            }
            TensorProto strings = TensorProto.newBuilder().setName("s").setDataType(DataType.STRING.code())
                    .addDims(500_000_000).build();
            assertTrue(assertThrows(OnnxFormatException.class, () -> TensorProtos.toTensor(strings)).getMessage()
                    .contains("'s'"));
            // data present but over the limit: the limit's error, naming nothing it cannot know
            TensorProto overLimit = TensorProto.newBuilder().setName("w").setDataType(DataType.FLOAT.code())
                    .addDims(1024).setRawData(ByteString.copyFrom(new byte[4096])).build();
            assertThrows(MemoryLimit.TensorAllocationException.class, () -> TensorProtos.toTensor(overLimit));
        } finally {
            MemoryLimit.set(saved);
        }
    }

    @Test
    void dimsOutOfRangeOrOverflowingAreRefusedWithTheTensorName() {
        long[][] cases = {{-1}, {1L << 40}, {Integer.MAX_VALUE, Integer.MAX_VALUE}, {1L << 31},
                {65536, 65536}, {Long.MAX_VALUE, Long.MAX_VALUE}, {Long.MIN_VALUE}};
        for (long[] dims : cases) {
            TensorProto.Builder b = TensorProto.newBuilder().setName("d").setDataType(DataType.FLOAT.code());
            for (long d : dims) {
                b.addDims(d);
            }
            TensorProto p = b.build();
            OnnxFormatException e = assertThrows(OnnxFormatException.class, () -> TensorProtos.toTensor(p),
                    java.util.Arrays.toString(dims));
            assertTrue(e.getMessage().contains("'d'"), e.getMessage());
        }
    }
}
