package dev.sonnx.runtime.testing;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the shared test data ({@code ../shared} beside the repository) lives for tests. */
public final class SharedData {
    private SharedData() {
    }

    /** The shared folder: system property {@code sonnx.shared}, else {@code ../shared} from the repository root. */
    public static Path root() {
        String p = System.getProperty("sonnx.shared");
        Path root = p != null ? Path.of(p) : findUp();
        if (!Files.isDirectory(root.resolve("onnx-conformance"))) {
            throw new IllegalStateException("shared test data not found at " + root.toAbsolutePath()
                    + " (set -Dsonnx.shared=PATH)");
        }
        return root.toAbsolutePath().normalize();
    }

    private static Path findUp() {
        Path dir = Path.of("").toAbsolutePath();
        for (Path d = dir; d != null; d = d.getParent()) {
            if (Files.isDirectory(d.resolve("../shared/onnx-conformance"))) {
                return d.resolve("../shared");
            }
        }
        return dir.resolve("../shared");
    }

    public static Path nodeCase(String name) {
        return root().resolve("onnx-conformance/node").resolve(name);
    }

    public static Path zoo(String name) {
        return root().resolve("onnx-zoo").resolve(name);
    }

    public static Path trainRef(String name) {
        return root().resolve("train-ref").resolve(name);
    }
}
