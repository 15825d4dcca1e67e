package dev.sonnx.driver.checkpoint;

import dev.sonnx.driver.io.HadoopFiles;
import dev.sonnx.driver.rank.CheckpointStore;
import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.util.SerializableConfiguration;

/**
 * Checkpoints in any Hadoop file system (local, HDFS, S3A...): {@code ckpt-<step>.onnx} files, each
 * written under a temporary name and renamed, so a reader (a restarted rank) only ever sees whole
 * ones. Keeps the newest {@code keep} checkpoints. Serializable: the driver builds it with the job's
 * Hadoop configuration (credentials, default file system) and ships it to the ranks.
 */
public final class HadoopCheckpointStore implements CheckpointStore, Serializable {
    private static final long serialVersionUID = 1L;
    private static final String PREFIX = "ckpt-";
    private static final String SUFFIX = ".onnx";

    private final String dir;
    private final int keep;
    private final SerializableConfiguration conf;

    public HadoopCheckpointStore(String dir, int keep, Configuration conf) {
        this.dir = dir;
        this.keep = Math.max(1, keep);
        this.conf = new SerializableConfiguration(conf);
    }

    private HadoopFiles files() {
        return new HadoopFiles(conf.value());
    }

    public String dir() {
        return dir;
    }

    @Override
    public Optional<Saved> latest() throws IOException {
        List<String> names = complete();
        if (names.isEmpty()) {
            return Optional.empty();
        }
        String newest = names.get(names.size() - 1);
        return Optional.of(new Saved(step(newest), files().read(HadoopFiles.resolve(dir, newest))));
    }

    @Override
    public void save(long step, byte[] checkpoint) throws IOException {
        HadoopFiles files = files();
        files.write(HadoopFiles.resolve(dir, String.format("%s%012d%s", PREFIX, step, SUFFIX)), checkpoint);
        List<String> names = complete();
        for (int i = 0; i < names.size() - keep; i++) {
            files.delete(HadoopFiles.resolve(dir, names.get(i)));
        }
    }

    /** Steps of the complete checkpoints, oldest first. */
    public List<Long> steps() throws IOException {
        List<Long> r = new ArrayList<>();
        for (String name : complete()) {
            r.add(step(name));
        }
        return r;
    }

    /** Names of complete checkpoints, oldest first (the zero-padded step sorts them). */
    private List<String> complete() throws IOException {
        List<String> r = new ArrayList<>();
        for (String name : files().list(dir)) {
            if (name.startsWith(PREFIX) && name.endsWith(SUFFIX)) {
                r.add(name);
            }
        }
        return r;
    }

    private static long step(String name) {
        return Long.parseLong(name.substring(PREFIX.length(), name.length() - SUFFIX.length()));
    }
}
