package dev.sonnx.runtime.onnx;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UnsafeByteOperations;
import dev.sonnx.runtime.onnx.proto.Onnx.AttributeProto;
import dev.sonnx.runtime.onnx.proto.Onnx.FunctionProto;
import dev.sonnx.runtime.onnx.proto.Onnx.GraphProto;
import dev.sonnx.runtime.onnx.proto.Onnx.ModelProto;
import dev.sonnx.runtime.onnx.proto.Onnx.NodeProto;
import dev.sonnx.runtime.onnx.proto.Onnx.SparseTensorProto;
import dev.sonnx.runtime.onnx.proto.Onnx.TensorProto;
import dev.sonnx.runtime.util.AtomicFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Reads and writes {@code .onnx} files: protobuf parsing, external data, atomic saves. */
public final class ModelIO {
    /** Nested graphs (If/Loop bodies) recurse in protobuf; this bounds hostile nesting. */
    private static final int RECURSION_LIMIT = 200;
    /** Protobuf messages are limited to 2 GiB; larger weights belong in external data. */
    private static final long MAX_MODEL_BYTES = Integer.MAX_VALUE - 8;

    private ModelIO() {
    }

    /** Loads a model file and reads its external data from the file's folder. */
    public static ModelProto load(Path file) {
        ByteBuffer bytes;
        try {
            // A directory, a pipe or a device (/dev/zero) would fail late or never end: refuse them first.
            if (Files.exists(file) && !Files.isRegularFile(file)) {
                throw new OnnxFormatException("model " + file + " is not a regular file");
            }
            long size = Files.size(file);
            if (size > MAX_MODEL_BYTES) {
                throw new OnnxFormatException("model " + file + " is " + size + " bytes; a protobuf file holds at"
                        + " most " + MAX_MODEL_BYTES + " (keep large weights in external data files)");
            }
            bytes = readFile(file, size);
        } catch (NoSuchFileException e) {
            throw new OnnxFormatException("model " + file + " does not exist");
        } catch (IOException e) {
            throw new OnnxFormatException("model " + file + " cannot be read: " + e, e);
        }
        Path dir = file.toAbsolutePath().getParent();
        return parse(bytes, file.toString(), dir);
    }

    /** Bytes read per call in {@link #readFile}. */
    private static final int READ_CHUNK = 1 << 20;

    /**
     * The file's bytes, off the Java heap (a direct buffer, freed with the model when the collector
     * finds it unreachable), read a megabyte at a time.
     *
     * <p>Off the heap because a model is mostly its weights, and the parsed model aliases them: on
     * the heap the whole file was live at the first young collection, which comes in the middle of
     * prepare, and was promoted to the old generation, which a steady inference service never
     * collects. That collection carried prepare's own live objects along, so the old generation held
     * twice the file (resnet18: 93 MB of old generation for a 45 MB file) beside the young one's
     * pages, which the garbage of later runs keeps resident anyway. Off the heap the file is resident
     * once. {@code Files.readAllBytes} would read it in one call, through a temporary direct buffer of
     * the file's size that the JDK then keeps cached for the thread.
     */
    static ByteBuffer readFile(Path file, long expectedSize) throws IOException {
        try (SeekableByteChannel ch = Files.newByteChannel(file)) {
            ByteBuffer bytes = directBuffer(file, (int) expectedSize);
            while (true) {
                if (!bytes.hasRemaining()) {
                    // the file may have grown since its size was read
                    ByteBuffer one = ByteBuffer.allocate(1);
                    if (ch.read(one) <= 0) {
                        return bytes.flip();
                    }
                    if (bytes.capacity() >= MAX_MODEL_BYTES) {
                        throw new OnnxFormatException("model " + file + " is more than " + MAX_MODEL_BYTES
                                + " bytes; a protobuf file holds at most that (keep large weights in external data files)");
                    }
                    ByteBuffer larger = directBuffer(file, (int) Math.min(MAX_MODEL_BYTES,
                            Math.max(2L * bytes.capacity(), READ_CHUNK)));
                    larger.put(bytes.flip()).put(one.flip());
                    bytes = larger;
                    continue;
                }
                ByteBuffer chunk = bytes.slice(bytes.position(), Math.min(READ_CHUNK, bytes.remaining()));
                int r = ch.read(chunk);
                if (r < 0) {
                    return bytes.flip();
                }
                bytes.position(bytes.position() + r);
            }
        }
    }

    /**
     * A direct buffer of {@code bytes} for {@code file}'s contents, or an error that names the file
     * where the JVM's direct memory limit ({@code -XX:MaxDirectMemorySize}, by default the heap's
     * maximum) has no room: nothing was allocated then, and the caller may go on.
     */
    private static ByteBuffer directBuffer(Path file, int bytes) {
        try {
            return ByteBuffer.allocateDirect(bytes);
        } catch (OutOfMemoryError e) {
            throw new OnnxFormatException("model " + file + " (" + bytes + " bytes) does not fit in the direct"
                    + " memory this JVM has left (-XX:MaxDirectMemorySize): " + e.getMessage(), e);
        }
    }

    /**
     * Parses model bytes; external data, if any, is read relative to {@code modelDir} (may be null).
     * The model's tensors keep pointing into {@code bytes} (protobuf's aliasing) rather than copying
     * them out of it: a model is mostly its weights, and the copy doubled the heap a load takes
     * (resnet18: 93 MB allocated for a 45 MB file). The caller must not modify the array afterwards.
     */
    public static ModelProto parse(byte[] bytes, String sourceName, Path modelDir) {
        return parse(UnsafeByteOperations.unsafeWrap(bytes), sourceName, modelDir);
    }

    /**
     * Parses model bytes from {@code bytes}' position to its limit, as {@link #parse(byte[], String,
     * Path)} does: the model aliases them, and nobody may modify them afterwards.
     */
    public static ModelProto parse(ByteBuffer bytes, String sourceName, Path modelDir) {
        return parse(UnsafeByteOperations.unsafeWrap(bytes), sourceName, modelDir);
    }

    private static ModelProto parse(com.google.protobuf.ByteString bytes, String sourceName, Path modelDir) {
        if (bytes.isEmpty()) {
            throw new OnnxFormatException("model " + sourceName + " is empty (0 bytes)");
        }
        ModelProto model;
        try {
            // a stream over bytes it may treat as immutable: the only kind protobuf aliases
            CodedInputStream in = bytes.newCodedInput();
            in.enableAliasing(true);
            in.setRecursionLimit(RECURSION_LIMIT);
            model = ModelProto.parseFrom(in);
            in.checkLastTagWas(0);
        } catch (InvalidProtocolBufferException e) {
            throw new OnnxFormatException("model " + sourceName + " is not a valid ONNX protobuf (truncated or"
                    + " another format): " + e.getMessage(), e);
        } catch (IOException e) {
            throw new OnnxFormatException("model " + sourceName + " cannot be parsed: " + e, e);
        }
        if (!model.hasGraph()) {
            throw new OnnxFormatException("model " + sourceName + " has no graph (not an ONNX model?)");
        }
        return hasExternalData(model) ? inlineExternalData(model, modelDir) : model;
    }

    /** Parses model bytes with no folder for external data. */
    public static ModelProto parse(byte[] bytes) {
        return parse(bytes, "(bytes)", null);
    }

    /** Writes a model atomically (temporary name, then rename). */
    public static void save(ModelProto model, Path file) {
        try {
            AtomicFiles.write(file, model::writeTo);
        } catch (IOException e) {
            throw new OnnxFormatException("cannot write model " + file + ": " + e, e);
        }
    }

    // ---------------------------------------------------------------- external data

    private static boolean hasExternalData(ModelProto m) {
        return graphHasExternal(m.getGraph()) || m.getFunctionsList().stream()
                .anyMatch(f -> f.getNodeList().stream().anyMatch(ModelIO::nodeHasExternal));
    }

    private static boolean graphHasExternal(GraphProto g) {
        for (TensorProto t : g.getInitializerList()) {
            if (t.getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
                return true;
            }
        }
        for (SparseTensorProto s : g.getSparseInitializerList()) {
            if (s.getValues().getDataLocation() == TensorProto.DataLocation.EXTERNAL
                    || s.getIndices().getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
                return true;
            }
        }
        return g.getNodeList().stream().anyMatch(ModelIO::nodeHasExternal);
    }

    private static boolean nodeHasExternal(NodeProto n) {
        for (AttributeProto a : n.getAttributeList()) {
            if (a.hasT() && a.getT().getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
                return true;
            }
            for (TensorProto t : a.getTensorsList()) {
                if (t.getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
                    return true;
                }
            }
            if (a.hasG() && graphHasExternal(a.getG())) {
                return true;
            }
            for (GraphProto g : a.getGraphsList()) {
                if (graphHasExternal(g)) {
                    return true;
                }
            }
        }
        return false;
    }

    private static ModelProto inlineExternalData(ModelProto m, Path dir) {
        ModelProto.Builder b = m.toBuilder();
        b.setGraph(inlineGraph(m.getGraph(), dir));
        for (int i = 0; i < b.getFunctionsCount(); i++) {
            FunctionProto.Builder f = b.getFunctions(i).toBuilder();
            for (int j = 0; j < f.getNodeCount(); j++) {
                f.setNode(j, inlineNode(f.getNode(j), dir));
            }
            b.setFunctions(i, f);
        }
        return b.build();
    }

    private static GraphProto inlineGraph(GraphProto g, Path dir) {
        GraphProto.Builder b = g.toBuilder();
        for (int i = 0; i < b.getInitializerCount(); i++) {
            b.setInitializer(i, ExternalData.inline(b.getInitializer(i), dir));
        }
        for (int i = 0; i < b.getSparseInitializerCount(); i++) {
            SparseTensorProto s = b.getSparseInitializer(i);
            b.setSparseInitializer(i, s.toBuilder().setValues(ExternalData.inline(s.getValues(), dir))
                    .setIndices(ExternalData.inline(s.getIndices(), dir)));
        }
        for (int i = 0; i < b.getNodeCount(); i++) {
            b.setNode(i, inlineNode(b.getNode(i), dir));
        }
        return b.build();
    }

    private static NodeProto inlineNode(NodeProto n, Path dir) {
        if (!nodeHasExternal(n)) {
            return n;
        }
        NodeProto.Builder b = n.toBuilder();
        for (int i = 0; i < b.getAttributeCount(); i++) {
            AttributeProto.Builder a = b.getAttribute(i).toBuilder();
            if (a.hasT()) {
                a.setT(ExternalData.inline(a.getT(), dir));
            }
            for (int j = 0; j < a.getTensorsCount(); j++) {
                a.setTensors(j, ExternalData.inline(a.getTensors(j), dir));
            }
            if (a.hasG()) {
                a.setG(inlineGraph(a.getG(), dir));
            }
            for (int j = 0; j < a.getGraphsCount(); j++) {
                a.setGraphs(j, inlineGraph(a.getGraphs(j), dir));
            }
            b.setAttribute(i, a);
        }
        return b.build();
    }
}
