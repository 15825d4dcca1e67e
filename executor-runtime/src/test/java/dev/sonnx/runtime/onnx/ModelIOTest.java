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
import dev.sonnx.runtime.tensor.MemoryLimit;
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

    /** y = x + w with {@code n} distinct float weights. */
    private static ModelProto largeModel(int n) {
        float[] w = new float[n];
        for (int i = 0; i < w.length; i++) {
            w[i] = i * 0.25f;
        }
        return Models.addWeight(Tensor.of(w, w.length));
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

    /** Direct memory in use by the JDK's buffers. */
    private static long directBytes() {
        for (java.lang.management.BufferPoolMXBean b
                : java.lang.management.ManagementFactory.getPlatformMXBeans(java.lang.management.BufferPoolMXBean.class)) {
            if (b.getName().equals("direct")) {
                return b.getMemoryUsed();
            }
        }
        throw new AssertionError("no direct buffer pool");
    }

    @Test
    void aLargeModelLoadsWithoutAFileSizedNativeBuffer() throws Exception {
        // 24 MiB of weights: Files.readAllBytes would read them through a 24 MiB temporary direct
        // buffer, which the JDK then keeps cached for the thread, beside the model's own bytes
        ModelProto m = largeModel(6 << 20);
        Path f = dir.resolve("large.onnx");
        ModelIO.save(m, f);
        // on a thread of its own, whose buffer cache starts empty
        long[] grew = new long[1];
        ModelProto[] loaded = new ModelProto[1];
        Thread t = new Thread(() -> {
            long before = directBytes();
            loaded[0] = ModelIO.load(f);
            grew[0] = directBytes() - before;
        });
        t.start();
        t.join();
        assertEquals(m, loaded[0]);
        long size = Files.size(f);
        // the model's own bytes, off the heap, and nothing more
        assertTrue(grew[0] >= size && grew[0] < size + (4 << 20),
                "loading a " + size + "-byte file left " + grew[0] + " bytes of direct buffers");
    }

    @Test
    void loadingKeepsTheFileOffTheHeap() {
        // 16 MiB of weights: the model's tensors alias the bytes read, which are off the heap
        ModelProto m = largeModel(4 << 20);
        Path f = dir.resolve("large.onnx");
        ModelIO.save(m, f);
        var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long before = threads.getCurrentThreadAllocatedBytes();
        ModelProto loaded = ModelIO.load(f);
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertEquals(m, loaded);
        long size = f.toFile().length();
        assertTrue(allocated < size / 8, "loading a " + size + "-byte model allocated " + allocated
                + " bytes of heap");
        // the weights are views of those bytes, not copies
        assertTrue(loaded.getGraph().getInitializer(0).getRawData().asReadOnlyByteBuffer().isDirect());
    }

    @Test
    void aFileThatIsNotWhatItsSizeSaidIsReadWhole() throws Exception {
        byte[] bytes = new byte[(3 << 20) + 17];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) (i * 31);
        }
        Path f = dir.resolve("blob");
        Files.write(f, bytes);
        assertArrayEquals(bytes, contents(ModelIO.readFile(f, bytes.length)));
        // the file grew or shrank between the size query and the read
        assertArrayEquals(bytes, contents(ModelIO.readFile(f, bytes.length - 1000)));
        assertArrayEquals(bytes, contents(ModelIO.readFile(f, 10)));
        assertArrayEquals(bytes, contents(ModelIO.readFile(f, 0)));
        assertArrayEquals(bytes, contents(ModelIO.readFile(f, bytes.length + 5000)));
    }

    /** Loads the model named by its argument and prints what happened (for a JVM of limited direct memory). */
    public static final class LoadOne {
        public static void main(String[] args) {
            try {
                ModelIO.load(Path.of(args[0]));
                System.out.println("loaded");
            } catch (OnnxFormatException e) {
                System.out.println("refused: " + e.getMessage());
            }
        }
    }

    /**
     * A model larger than the direct memory the JVM may still take is refused by name, as a bad file
     * is, rather than with a bare OutOfMemoryError (in a JVM of its own, limited to 1 MiB).
     */
    @Test
    void aModelLargerThanTheDirectMemoryLimitIsRefusedByName() throws Exception {
        Path f = dir.resolve("too-large.onnx");
        ModelIO.save(largeModel(1 << 20), f);
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:MaxDirectMemorySize=1m", "-cp", System.getProperty("java.class.path"),
                LoadOne.class.getName(), f.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS), "the JVM did not end: " + out);
        assertTrue(out.contains("refused: model " + f) && out.contains("-XX:MaxDirectMemorySize"), out);
        // the same file loads where the limit leaves room
        assertEquals(largeModel(1 << 20), ModelIO.load(f));
    }

    private static byte[] contents(java.nio.ByteBuffer b) {
        byte[] a = new byte[b.remaining()];
        b.duplicate().get(a);
        return a;
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

    /** A model with several nodes, initializers of two types and a nested attribute, for cutting up. */
    private static ModelProto richModel() {
        ModelProto m = Models.addWeight(Tensor.of(new float[] {1, 2, 3, 4}, 4));
        return m.toBuilder().setGraph(m.getGraph().toBuilder()
                .addNode(Models.node("Mul", "mul", new String[] {"y", "w"}, new String[] {"z"}))
                .addNode(Models.node("LeakyRelu", "leaky", new String[] {"z"}, new String[] {"c"}).toBuilder()
                        .addAttribute(dev.sonnx.runtime.onnx.proto.Onnx.AttributeProto.newBuilder().setName("alpha")
                                .setType(dev.sonnx.runtime.onnx.proto.Onnx.AttributeProto.AttributeType.FLOAT)
                                .setF(0.5f)))
                .addInitializer(TensorProtos.fromTensor(Tensor.of(new long[] {7, 8}, 2), "unused"))
                .addOutput(Models.tensorInfo("c", DataType.FLOAT, 4))).build();
    }

    /** Parses and prepares {@code bytes}; what comes back must be a result or one of the documented errors. */
    private static String outcome(byte[] bytes, String source) {
        ModelProto m;
        try {
            m = ModelIO.parse(bytes, source, null);
        } catch (OnnxFormatException e) {
            assertTrue(e.getMessage().contains(source), e.getMessage());
            return "refused at load";
        }
        try {
            SingaBackend.prepare(m, CpuDevice.get(), SingaBackend.PrepareOptions.DEFAULTS.named(source));
            return "prepared";
        } catch (dev.sonnx.runtime.SonnxException | OnnxFormatException e) {
            assertTrue(e.getMessage().contains(source), e.getMessage());
            return "refused at prepare";
        }
    }

    @Test
    void truncationAtEveryOffsetIsRefusedOrHarmless() {
        byte[] good = richModel().toByteArray();
        java.util.Map<String, Integer> outcomes = new java.util.TreeMap<>();
        for (int cut = 1; cut < good.length; cut++) {
            outcomes.merge(outcome(java.util.Arrays.copyOf(good, cut), "cut@" + cut), 1, Integer::sum);
        }
        // Most cuts end inside a field; a cut on a field boundary can still parse and is caught at prepare.
        assertTrue(outcomes.getOrDefault("refused at load", 0) > good.length / 2, outcomes.toString());
        assertEquals("prepared", outcome(good, "whole"));
    }

    @Test
    void otherFormatsAndRandomBytesAreRefused() {
        byte[] png = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R', 0, 0, 1, 0};
        byte[] zip = {'P', 'K', 3, 4, 20, 0, 0, 0, 8, 0};
        byte[] json = "{\"graph\": {\"node\": []}}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] ones = new byte[64];
        java.util.Arrays.fill(ones, (byte) 0xff);
        for (byte[] bytes : List.of(png, zip, json, ones, new byte[] {0}, new byte[1000])) {
            OnnxFormatException e = assertThrows(OnnxFormatException.class, () -> ModelIO.parse(bytes, "blob", null));
            assertTrue(e.getMessage().contains("blob"), e.getMessage());
        }
        java.util.Random random = new java.util.Random(42);
        for (int i = 0; i < 500; i++) {
            byte[] bytes = new byte[1 + random.nextInt(2000)];
            random.nextBytes(bytes);
            outcome(bytes, "random#" + i);
        }
    }

    @Test
    void aPathThatIsNotARegularFileIsRefused() throws Exception {
        OnnxFormatException e = assertThrows(OnnxFormatException.class, () -> ModelIO.load(dir));
        assertTrue(e.getMessage().contains("not a regular file") && e.getMessage().contains(dir.toString()),
                e.getMessage());
        Path zero = Path.of("/dev/zero");
        if (Files.exists(zero)) {
            // would otherwise read forever
            assertThrows(OnnxFormatException.class, () -> ModelIO.load(zero));
        }
        e = assertThrows(OnnxFormatException.class, () -> ModelIO.load(dir.resolve("absent.onnx")));
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
    }

    @Test
    void externalDataWithBadLocationsOrRangesIsRefused() throws Exception {
        Files.write(dir.resolve("w.bin"), floats(1, 2, 3, 4));
        Files.createDirectories(dir.resolve("folder"));
        Path f = dir.resolve("m.onnx");
        record Case(String location, long offset, String expected) {
        }
        for (Case c : List.of(new Case("folder", 0, "not a regular file"),
                new Case("a\u0000b", 0, "not a valid path"),
                new Case("w.bin", Long.MAX_VALUE, "outside"),
                new Case("w.bin", -4, "outside"),
                new Case("w.bin", 8, "outside"),
                new Case("", 0, "without a location"))) {
            Files.write(f, externalModel(c.location, c.offset).toByteArray());
            OnnxFormatException e = assertThrows(OnnxFormatException.class, () -> ModelIO.load(f), c.toString());
            assertTrue(e.getMessage().contains("'w'") && e.getMessage().contains(c.expected), e.getMessage());
        }
        ModelProto m = externalModel("w.bin", 0);
        TensorProto w = m.getGraph().getInitializer(0);
        TensorProto notANumber = w.toBuilder().setExternalData(2, w.getExternalData(2).toBuilder().setValue("lots"))
                .build();
        Files.write(f, m.toBuilder().setGraph(m.getGraph().toBuilder().setInitializer(0, notANumber)).build()
                .toByteArray());
        assertTrue(assertThrows(OnnxFormatException.class, () -> ModelIO.load(f)).getMessage()
                .contains("'lots' is not a number"));
    }

    @Test
    void externalDataBeyondTheMemoryLimitIsRefusedBeforeReading() throws Exception {
        Files.write(dir.resolve("w.bin"), floats(1, 2, 3, 4));
        Path f = dir.resolve("m.onnx");
        Files.write(f, externalModel("w.bin", 0).toByteArray());
        long saved = MemoryLimit.get();
        MemoryLimit.set(8);
        try {
            OnnxFormatException e = assertThrows(OnnxFormatException.class, () -> ModelIO.load(f));
            assertTrue(e.getMessage().contains("'w'") && e.getMessage().contains("limit"), e.getMessage());
        } finally {
            MemoryLimit.set(saved);
        }
    }

    @Test
    void emptyExternalDataLoadsAnEmptyTensor() throws Exception {
        Files.write(dir.resolve("empty.bin"), new byte[0]);
        ModelProto m = Models.addWeight(Tensor.zeros(DataType.FLOAT, 0));
        TensorProto w = m.getGraph().getInitializer(0).toBuilder().clearRawData()
                .setDataLocation(TensorProto.DataLocation.EXTERNAL)
                .addExternalData(StringStringEntryProto.newBuilder().setKey("location").setValue("empty.bin"))
                .build();
        Path f = dir.resolve("m.onnx");
        Files.write(f, m.toBuilder().setGraph(m.getGraph().toBuilder().setInitializer(0, w)).build().toByteArray());
        assertEquals(0, TensorProtos.toTensor(ModelIO.load(f).getGraph().getInitializer(0)).size());
    }
}
