package dev.sonnx.runtime.util;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sonnx.runtime.onnx.ModelIO;
import dev.sonnx.runtime.onnx.OnnxFormatException;
import dev.sonnx.runtime.onnx.ValueProtos;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.testing.Models;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {

    @TempDir
    Path dir;

    private List<String> names() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** Writes half its bytes, then fails as {@code failure} says. */
    private static AtomicFiles.Writer failingAfterHalf(Throwable failure) {
        return out -> {
            out.write(new byte[1 << 17]);
            if (failure instanceof IOException io) {
                throw io;
            }
            if (failure instanceof RuntimeException r) {
                throw r;
            }
            throw (Error) failure;
        };
    }

    @Test
    void aFailingWriterLeavesNoFileAndNoTemporary() throws IOException {
        Path target = dir.resolve("model.onnx");
        for (Throwable failure : List.of(new IOException("disk full"), new IllegalStateException("bug"),
                new OutOfMemoryError("simulated"))) {
            Throwable thrown = assertThrows(Throwable.class,
                    () -> AtomicFiles.write(target, failingAfterHalf(failure)));
            assertEquals(failure, thrown);
            assertEquals(List.of(), names(), "after " + failure);
        }
    }

    @Test
    void aFailingWriterLeavesTheOldFileIntact() throws IOException {
        Path target = dir.resolve("model.onnx");
        AtomicFiles.writeString(target, "version 1");
        assertThrows(IOException.class, () -> AtomicFiles.write(target, failingAfterHalf(new IOException("cut"))));
        assertEquals("version 1", Files.readString(target));
        assertEquals(List.of("model.onnx"), names());
        AtomicFiles.writeString(target, "version 2");
        assertEquals("version 2", Files.readString(target));
        assertEquals(List.of("model.onnx"), names());
    }

    @Test
    void aTargetThatIsAFolderIsRefusedWithoutLeftovers() throws IOException {
        Path folder = Files.createDirectories(dir.resolve("taken"));
        Files.writeString(folder.resolve("inside"), "x");
        assertThrows(IOException.class, () -> AtomicFiles.writeString(folder, "y"));
        assertEquals(List.of("taken"), names());
    }

    @Test
    void missingParentsAreCreatedAndPermissionsAreTheUsualOnes() throws IOException {
        Path target = dir.resolve("a/b/c.txt");
        AtomicFiles.write(target, "hello".getBytes(StandardCharsets.UTF_8));
        assertEquals("hello", Files.readString(target));
        try (Stream<Path> s = Files.list(target.getParent())) {
            assertEquals(1, s.count());
        }
        if (Files.getFileStore(target).supportsFileAttributeView("posix")) {
            // not the owner-only 0600 of a temporary file
            Path reference = Files.createFile(dir.resolve("reference"));
            assertEquals(Files.getPosixFilePermissions(reference), Files.getPosixFilePermissions(target));
        }
    }

    @Test
    void theWritersOfModelsAndValuesLeaveNothingHalfWritten() throws IOException {
        Path model = dir.resolve("m.onnx");
        ModelIO.save(Models.addWeight(Tensor.of(new float[] {1, 2}, 2)), model);
        byte[] saved = Files.readAllBytes(model);
        // a folder where the file should go: the error names the file, nothing else appears
        Path blocked = Files.createDirectories(dir.resolve("blocked.onnx")).resolve("sub");
        Files.writeString(blocked, "a file where a folder is needed");
        OnnxFormatException e = assertThrows(OnnxFormatException.class,
                () -> ModelIO.save(Models.addWeight(Tensor.of(new float[] {1}, 1)), blocked.resolve("x.onnx")));
        assertTrue(e.getMessage().contains("x.onnx"), e.getMessage());
        assertArrayEquals(saved, Files.readAllBytes(model));

        Path value = dir.resolve("output_0.pb");
        ValueProtos.write(value, Tensor.of(new float[] {3}, 1), "y");
        assertTrue(Files.size(value) > 0);
        assertEquals(List.of("blocked.onnx", "m.onnx", "output_0.pb"), names());
    }

    /**
     * Every writer in executor-runtime goes through AtomicFiles: no other code opens a file for
     * writing. A new writer that does fails here and should call {@link AtomicFiles#write} instead.
     */
    @Test
    void noOtherCodeInTheModuleWritesFilesDirectly() throws IOException {
        Path sources = Path.of("src/main/java");
        assertTrue(Files.isDirectory(sources), "run from the module folder: " + sources.toAbsolutePath());
        Pattern direct = Pattern.compile("(?<![A-Za-z])Files\\.(write|writeString|newOutputStream|newBufferedWriter"
                + "|copy|createTempFile)\\(|new (FileOutputStream|FileWriter|PrintWriter\\(new File|RandomAccessFile)\\b"
                + "|StandardOpenOption\\.(WRITE|APPEND|CREATE)");
        List<String> offenders = new ArrayList<>();
        try (Stream<Path> files = Files.walk(sources)) {
            files.filter(p -> p.toString().endsWith(".java") && !p.endsWith("AtomicFiles.java")).forEach(p -> {
                try {
                    List<String> lines = Files.readAllLines(p);
                    for (int i = 0; i < lines.size(); i++) {
                        if (direct.matcher(lines.get(i)).find()) {
                            offenders.add(sources.relativize(p) + ":" + (i + 1) + ": " + lines.get(i).trim());
                        }
                    }
                } catch (IOException ex) {
                    throw new UncheckedIOException(ex);
                }
            });
        }
        assertEquals(List.of(), offenders);
    }
}
