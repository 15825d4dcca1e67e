package dev.sonnx.runtime.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.sonnx.runtime.backend.SingaBackend;
import dev.sonnx.runtime.cpu.CpuDevice;
import dev.sonnx.runtime.onnx.proto.Onnx.ModelProto;
import dev.sonnx.runtime.onnx.proto.Onnx.StringStringEntryProto;
import dev.sonnx.runtime.onnx.proto.Onnx.TensorProto;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.testing.Models;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelIOTest {

    @TempDir
    Path dir;

    /** The model y = x + w, with w's four floats stored in {@code location} at {@code offset}. */
    private static ModelProto externalModel(String location, long offset) {
        ModelProto m = Models.addWeight(Tensor.of(new float[4], 4));
        TensorProto w = m.getGraph().getInitializer(0).toBuilder().clearRawData()
                .setDataLocation(TensorProto.DataLocation.EXTERNAL)
                .addExternalData(StringStringEntryProto.newBuilder().setKey("location").setValue(location))
                .addExternalData(StringStringEntryProto.newBuilder().setKey("offset").setValue(Long.toString(offset)))
                .addExternalData(StringStringEntryProto.newBuilder().setKey("length").setValue("16"))
                .build();
        return m.toBuilder().setGraph(m.getGraph().toBuilder().setInitializer(0, w)).build();
    }

    private static byte[] floats(float... v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) {
            b.putFloat(f);
        }
        return b.array();
    }

    @Test
    void saveAndLoadRoundTrip() {
        ModelProto m = Models.addWeight(Tensor.of(new float[] {1, 2, 3, 4}, 4));
        Path f = dir.resolve("m.onnx");
        ModelIO.save(m, f);
        assertEquals(m, ModelIO.load(f));
        try (var s = Files.list(dir)) {
            assertEquals(List.of(f), s.toList(), "no temporary file is left behind");
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void externalDataIsReadBesideTheModel() throws Exception {
        byte[] blob = new byte[8 + 16];
        System.arraycopy(floats(10, 20, 30, 40), 0, blob, 8, 16);
        Files.createDirectories(dir.resolve("weights"));
        Files.write(dir.resolve("weights/w.bin"), blob);
        Path f = dir.resolve("m.onnx");
        Files.write(f, externalModel("weights/w.bin", 8).toByteArray());

        ModelProto loaded = ModelIO.load(f);
        Tensor w = TensorProtos.toTensor(loaded.getGraph().getInitializer(0));
        assertArrayEquals(new float[] {10, 20, 30, 40}, w.toFloatArray());

        var rep = SingaBackend.prepare(f, CpuDevice.get());
        Tensor y = rep.run(List.of(Tensor.of(new float[] {1, 1, 1, 1}, 4))).get(0);
        assertArrayEquals(new float[] {11, 21, 31, 41}, y.toFloatArray());
    }

    @Test
    void externalDataOutsideTheModelFolderIsRefused() throws Exception {
        Path modelDir = Files.createDirectories(dir.resolve("model"));
        Files.write(dir.resolve("secret.bin"), floats(1, 2, 3, 4));
        Path f = modelDir.resolve("m.onnx");

        for (String location : List.of("../secret.bin", "sub/../../secret.bin", dir.resolve("secret.bin").toString())) {
            Files.write(f, externalModel(location, 0).toByteArray());
            OnnxFormatException e = assertThrows(OnnxFormatException.class, () -> ModelIO.load(f), location);
            assertTrue(e.getMessage().contains("'w'") && e.getMessage().contains(location), e.getMessage());
        }

        // a link inside the folder that points outside it
        Files.createSymbolicLink(modelDir.resolve("link.bin"), dir.resolve("secret.bin"));
        Files.write(f, externalModel("link.bin", 0).toByteArray());
        OnnxFormatException e = assertThrows(OnnxFormatException.class, () -> ModelIO.load(f));
        assertTrue(e.getMessage().contains("link"), e.getMessage());
    }

    @Test
    void missingOrShortExternalDataIsRefused() throws Exception {
        Path f = dir.resolve("m.onnx");
        Files.write(f, externalModel("nothere.bin", 0).toByteArray());
        OnnxFormatException e = assertThrows(OnnxFormatException.class, () -> ModelIO.load(f));
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());

        Files.write(dir.resolve("short.bin"), new byte[10]);
        Files.write(f, externalModel("short.bin", 0).toByteArray());
        e = assertThrows(OnnxFormatException.class, () -> ModelIO.load(f));
        assertTrue(e.getMessage().contains("outside"), e.getMessage());
    }

    @Test
    void externalDataWithoutAFolderIsAClearError() {
        byte[] bytes = externalModel("w.bin", 0).toByteArray();
        OnnxFormatException e = assertThrows(OnnxFormatException.class, () -> ModelIO.parse(bytes));
        assertTrue(e.getMessage().contains("not loaded from a file"), e.getMessage());
    }

    @Test
    void garbageIsRefusedWithTheFileName() throws Exception {
        Path empty = dir.resolve("empty.onnx");
        Files.write(empty, new byte[0]);
        assertTrue(assertThrows(OnnxFormatException.class, () -> ModelIO.load(empty)).getMessage()
                .contains("empty"));

        Path text = dir.resolve("text.onnx");
        Files.writeString(text, "this is not a protobuf at all, just some text\n");
        OnnxFormatException e = assertThrows(OnnxFormatException.class, () -> ModelIO.load(text));
        assertTrue(e.getMessage().contains("text.onnx"), e.getMessage());

        byte[] good = Models.addWeight(Tensor.of(new float[] {1, 2}, 2)).toByteArray();
        Path truncated = dir.resolve("truncated.onnx");
        Files.write(truncated, java.util.Arrays.copyOf(good, good.length / 2));
        assertThrows(OnnxFormatException.class, () -> ModelIO.load(truncated));
    }

    @Test
    void rawBytesRoundTripUnchanged() {
        ModelProto m = Models.addWeight(Tensor.fromDoubles(DataType.FLOAT16, new double[] {0.5, -1}, 2));
        ByteString bytes = m.toByteString();
        assertEquals(m, ModelIO.parse(bytes.toByteArray()));
    }
}
