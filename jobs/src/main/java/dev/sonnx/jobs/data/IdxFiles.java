package dev.sonnx.jobs.data;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.GZIPInputStream;

/**
 * The IDX format of MNIST and Fashion-MNIST (plain or gzipped): big-endian magic (0x0803 for images,
 * 0x0801 for labels), dimension sizes, then unsigned bytes.
 */
public final class IdxFiles {
    private IdxFiles() {
    }

    /** Images: {@code count} rows of {@code rows * cols} unsigned pixels. */
    public record Images(int rows, int cols, byte[][] pixels) {
        public int count() {
            return pixels.length;
        }
    }

    /** Reads an image file; {@code name} names it in errors. The stream is closed. */
    public static Images readImages(InputStream stream, String name) throws IOException {
        try (DataInputStream in = open(stream)) {
            int magic = in.readInt();
            if (magic != 0x00000803) {
                throw new IOException(name + " is not an IDX image file (magic 0x" + Integer.toHexString(magic) + ")");
            }
            int count = in.readInt();
            int rows = in.readInt();
            int cols = in.readInt();
            if (count < 0 || rows <= 0 || cols <= 0 || (long) rows * cols > 1 << 24) {
                throw new IOException(name + " has a bad header: " + count + " images of " + rows + "x" + cols);
            }
            byte[][] pixels = new byte[count][rows * cols];
            for (int i = 0; i < count; i++) {
                in.readFully(pixels[i]);
            }
            return new Images(rows, cols, pixels);
        }
    }

    /** Reads a label file; {@code name} names it in errors. The stream is closed. */
    public static int[] readLabels(InputStream stream, String name) throws IOException {
        try (DataInputStream in = open(stream)) {
            int magic = in.readInt();
            if (magic != 0x00000801) {
                throw new IOException(name + " is not an IDX label file (magic 0x" + Integer.toHexString(magic) + ")");
            }
            int count = in.readInt();
            if (count < 0) {
                throw new IOException(name + " has a bad header: " + count + " labels");
            }
            byte[] raw = new byte[count];
            in.readFully(raw);
            int[] labels = new int[count];
            for (int i = 0; i < count; i++) {
                labels[i] = raw[i] & 0xff;
            }
            return labels;
        }
    }

    /** Sniffs the gzip magic so plain and gzipped files read alike. */
    private static DataInputStream open(InputStream stream) throws IOException {
        InputStream raw = new BufferedInputStream(stream, 1 << 16);
        raw.mark(2);
        int b0 = raw.read();
        int b1 = raw.read();
        raw.reset();
        InputStream in = b0 == 0x1f && b1 == 0x8b ? new GZIPInputStream(raw, 1 << 16) : raw;
        return new DataInputStream(in);
    }
}
