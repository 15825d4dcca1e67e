package dev.sonnx.driver.checkpoint;

import dev.sonnx.driver.rank.CheckpointStore;
import java.io.IOException;
import java.io.OutputStream;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Checkpoints in any Hadoop file system (local, HDFS, S3A...): {@code ckpt-<step>.onnx} files, each
 * written under a temporary name and renamed, so a reader (a restarted rank) only ever sees whole
 * ones. Keeps the newest {@code keep} checkpoints.
 */
public final class HadoopCheckpointStore implements CheckpointStore, Serializable {
    private static final long serialVersionUID = 1L;
    private static final String PREFIX = "ckpt-";
    private static final String SUFFIX = ".onnx";

    private final String dir;
    private final int keep;

    public HadoopCheckpointStore(String dir, int keep) {
        this.dir = dir;
        this.keep = Math.max(1, keep);
    }

    private FileSystem fs(Path p) throws IOException {
        return p.getFileSystem(new Configuration());
    }

    @Override
    public Optional<byte[]> latest() throws IOException {
        Path root = new Path(dir);
        FileSystem fs = fs(root);
        List<FileStatus> files = complete(fs, root);
        if (files.isEmpty()) {
            return Optional.empty();
        }
        FileStatus newest = files.get(files.size() - 1);
        byte[] bytes = new byte[(int) newest.getLen()];
        try (FSDataInputStream in = fs.open(newest.getPath())) {
            in.readFully(bytes);
        }
        return Optional.of(bytes);
    }

    @Override
    public void save(long step, byte[] checkpoint) throws IOException {
        Path root = new Path(dir);
        FileSystem fs = fs(root);
        fs.mkdirs(root);
        Path target = new Path(root, String.format("%s%012d%s", PREFIX, step, SUFFIX));
        Path tmp = new Path(root, "." + PREFIX + step + "-" + UUID.randomUUID() + ".tmp");
        try (OutputStream out = fs.create(tmp, true)) {
            out.write(checkpoint);
        }
        fs.delete(target, false);
        if (!fs.rename(tmp, target)) {
            fs.delete(tmp, false);
            throw new IOException("could not rename checkpoint " + tmp + " to " + target);
        }
        List<FileStatus> files = complete(fs, root);
        for (int i = 0; i < files.size() - keep; i++) {
            fs.delete(files.get(i).getPath(), false);
        }
    }

    /** Complete checkpoints, oldest first. */
    private static List<FileStatus> complete(FileSystem fs, Path root) throws IOException {
        List<FileStatus> r = new ArrayList<>();
        if (!fs.exists(root)) {
            return r;
        }
        for (FileStatus s : fs.listStatus(root)) {
            String name = s.getPath().getName();
            if (s.isFile() && name.startsWith(PREFIX) && name.endsWith(SUFFIX)) {
                r.add(s);
            }
        }
        r.sort(Comparator.comparing(s -> s.getPath().getName()));
        return r;
    }

    /** The step of the newest checkpoint, or -1. */
    public long latestStep() throws IOException {
        Path root = new Path(dir);
        List<FileStatus> files = complete(fs(root), root);
        if (files.isEmpty()) {
            return -1;
        }
        String name = files.get(files.size() - 1).getPath().getName();
        return Long.parseLong(name.substring(PREFIX.length(), name.length() - SUFFIX.length()));
    }
}
