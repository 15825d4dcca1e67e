package dev.sonnx.runtime.onnx;

import com.google.protobuf.ByteString;
import dev.sonnx.runtime.onnx.proto.Onnx.StringStringEntryProto;
import dev.sonnx.runtime.onnx.proto.Onnx.TensorProto;
import dev.sonnx.runtime.tensor.MemoryLimit;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Tensors whose bytes live beside the model ({@code data_location = EXTERNAL}): the {@code location}
 * is a relative path inside the model's folder; absolute paths, {@code ..} and links that lead out
 * of the folder are refused, as the ONNX IR spec's external data section requires.
 */
public final class ExternalData {
    private ExternalData() {
    }

    /** A copy of {@code t} with its external bytes read into {@code raw_data}. */
    public static TensorProto inline(TensorProto t, Path modelDir) {
        if (t.getDataLocation() != TensorProto.DataLocation.EXTERNAL) {
            return t;
        }
        String name = t.getName();
        if (modelDir == null) {
            throw new OnnxFormatException("tensor '" + name + "' has external data but the model was not loaded"
                    + " from a file, so there is no folder to read it from");
        }
        String location = null;
        long offset = 0;
        long length = -1;
        for (StringStringEntryProto e : t.getExternalDataList()) {
            switch (e.getKey()) {
                case "location" -> location = e.getValue();
                case "offset" -> offset = parseLong(name, "offset", e.getValue());
                case "length" -> length = parseLong(name, "length", e.getValue());
                default -> {
                    // checksum and other keys are informative
                }
            }
        }
        if (location == null || location.isEmpty()) {
            throw new OnnxFormatException("tensor '" + name + "' has external data without a location");
        }
        Path file = resolveInside(modelDir, location, name);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long fileSize = ch.size();
            long len = length < 0 ? fileSize - offset : length;
            if (offset < 0 || len < 0 || offset > fileSize || len > fileSize - offset) {
                throw new OnnxFormatException("tensor '" + name + "': external data range at offset " + offset
                        + " of " + len + " bytes lies outside " + location + " (" + fileSize + " bytes)");
            }
            try {
                MemoryLimit.check(len);
            } catch (MemoryLimit.TensorAllocationException e) {
                throw new OnnxFormatException("tensor '" + name + "': external data: " + e.getMessage(), e);
            }
            ch.position(offset);
            ByteString bytes;
            try (InputStream in = java.nio.channels.Channels.newInputStream(ch)) {
                bytes = ByteString.readFrom(boundedStream(in, len), (int) Math.min(len, 1 << 20));
            }
            if (bytes.size() != len) {
                throw new OnnxFormatException("tensor '" + name + "': read " + bytes.size() + " of " + len
                        + " bytes from " + location);
            }
            return t.toBuilder().clearExternalData().clearDataLocation().setRawData(bytes).build();
        } catch (IOException e) {
            throw new OnnxFormatException("tensor '" + name + "': cannot read external data " + location + ": " + e, e);
        }
    }

    /**
     * Resolves {@code location} against {@code modelDir} and refuses anything outside it: absolute paths,
     * parent references, and symbolic links whose target leaves the folder.
     */
    static Path resolveInside(Path modelDir, String location, String tensorName) {
        Path rel;
        try {
            rel = Path.of(location);
        } catch (java.nio.file.InvalidPathException e) {
            throw new OnnxFormatException("tensor '" + tensorName + "': external data location '" + location
                    + "' is not a valid path: " + e.getMessage(), e);
        }
        if (rel.isAbsolute() || location.startsWith("/") || location.startsWith("\\")) {
            throw new OnnxFormatException("tensor '" + tensorName + "': external data location '" + location
                    + "' is absolute; it must be relative to the model's folder");
        }
        for (Path part : rel) {
            if (part.toString().equals("..")) {
                throw new OnnxFormatException("tensor '" + tensorName + "': external data location '" + location
                        + "' leaves the model's folder");
            }
        }
        try {
            Path dir = modelDir.toRealPath();
            Path file = dir.resolve(rel).normalize();
            if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
                throw new OnnxFormatException("tensor '" + tensorName + "': external data file '" + location
                        + "' does not exist in " + dir);
            }
            Path real = file.toRealPath();
            if (!real.startsWith(dir)) {
                throw new OnnxFormatException("tensor '" + tensorName + "': external data location '" + location
                        + "' is a link that leaves the model's folder");
            }
            if (!Files.isRegularFile(real)) {
                throw new OnnxFormatException("tensor '" + tensorName + "': external data location '" + location
                        + "' is not a regular file");
            }
            return real;
        } catch (IOException e) {
            throw new OnnxFormatException("tensor '" + tensorName + "': cannot resolve external data '" + location
                    + "': " + e, e);
        }
    }

    private static long parseLong(String tensor, String key, String value) {
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            throw new OnnxFormatException("tensor '" + tensor + "': external data " + key + " '" + value
                    + "' is not a number");
        }
    }

    private static InputStream boundedStream(InputStream in, long limit) {
        return new InputStream() {
            private long left = limit;

            @Override
            public int read() throws IOException {
                if (left <= 0) {
                    return -1;
                }
                int b = in.read();
                if (b >= 0) {
                    left--;
                }
                return b;
            }

            @Override
            public int read(byte[] buf, int off, int len) throws IOException {
                if (left <= 0) {
                    return -1;
                }
                int n = in.read(buf, off, (int) Math.min(len, left));
                if (n > 0) {
                    left -= n;
                }
                return n;
            }
        };
    }
}
