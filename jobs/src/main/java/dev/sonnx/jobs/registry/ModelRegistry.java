package dev.sonnx.jobs.registry;

import dev.sonnx.driver.io.HadoopFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A folder of model versions on any Hadoop file system:
 * <pre>
 *   ROOT/versions/v0001/model.onnx ...   every published version, kept
 *   ROOT/current                         the name of the version in service, replaced atomically
 *   ROOT/staging/RUN/                    a candidate while it is trained and evaluated
 *   ROOT/reports/RUN.json                what each run measured and decided
 * </pre>
 * A candidate becomes a version by one rename of its staging folder, then the pointer moves by one
 * atomic replacement: a reader of {@code current} always finds a complete version.
 */
public final class ModelRegistry {
    private static final Pattern VERSION = Pattern.compile("v\\d{4,}");

    private final HadoopFiles files;
    private final String root;

    public ModelRegistry(HadoopFiles files, String root) {
        this.files = files;
        this.root = root;
    }

    public String root() {
        return root;
    }

    /** The version in service, if any. */
    public Optional<String> current() throws IOException {
        String pointer = HadoopFiles.resolve(root, "current");
        if (!files.exists(pointer)) {
            return Optional.empty();
        }
        String v = new String(files.read(pointer), StandardCharsets.UTF_8).trim();
        if (!VERSION.matcher(v).matches() || !files.exists(modelPath(v))) {
            throw new IOException(pointer + " names '" + v + "', which is not a published version of " + root);
        }
        return Optional.of(v);
    }

    /** Published versions, oldest first. */
    public List<String> versions() throws IOException {
        List<String> r = new ArrayList<>();
        for (String name : files.list(HadoopFiles.resolve(root, "versions"))) {
            if (VERSION.matcher(name).matches()) {
                r.add(name);
            }
        }
        r.sort((a, b) -> Integer.compare(number(a), number(b)));
        return r;
    }

    public String versionDir(String version) {
        return HadoopFiles.resolve(HadoopFiles.resolve(root, "versions"), version);
    }

    public String modelPath(String version) {
        return HadoopFiles.resolve(versionDir(version), "model.onnx");
    }

    /** A fresh staging folder for run {@code run}. */
    public String staging(String run) throws IOException {
        String dir = HadoopFiles.resolve(HadoopFiles.resolve(root, "staging"), run);
        if (files.exists(dir)) {
            throw new IOException("staging folder " + dir + " exists: another run has this id");
        }
        files.mkdirs(dir);
        return dir;
    }

    /**
     * Publishes a staging folder (holding model.onnx) as the next version and points {@code current}
     * at it; returns the version's name.
     */
    public String publish(String stagingDir) throws IOException {
        if (!files.exists(HadoopFiles.resolve(stagingDir, "model.onnx"))) {
            throw new IOException(stagingDir + " holds no model.onnx to publish");
        }
        List<String> versions = versions();
        int next = versions.isEmpty() ? 1 : number(versions.get(versions.size() - 1)) + 1;
        String version = String.format(Locale.ROOT, "v%04d", next);
        files.rename(stagingDir, versionDir(version));
        files.write(HadoopFiles.resolve(root, "current"), (version + "\n").getBytes(StandardCharsets.UTF_8));
        return version;
    }

    public void discard(String stagingDir) throws IOException {
        files.delete(stagingDir);
    }

    public void writeReport(String run, String json) throws IOException {
        files.write(HadoopFiles.resolve(HadoopFiles.resolve(root, "reports"), run + ".json"),
                json.getBytes(StandardCharsets.UTF_8));
    }

    private static int number(String version) {
        return Integer.parseInt(version.substring(1));
    }
}
