package dev.sonnx.driver.io;

import dev.sonnx.runtime.util.AtomicFiles;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileContext;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Options;
import org.apache.hadoop.fs.Path;

/**
 * Files on any Hadoop file system (local, HDFS, S3A...) written so that a reader never sees half of
 * one: under a temporary name in the same folder, then renamed over the target. Local paths go
 * through {@code java.nio} (an atomic rename(2), no checksum side files); others through
 * {@link FileContext#rename} with {@code OVERWRITE}, which HDFS performs atomically.
 */
public final class HadoopFiles {
    private final Configuration conf;

    public HadoopFiles(Configuration conf) {
        this.conf = conf;
    }

    /** The local file of {@code path}, or null when it lives on another file system. */
    public java.nio.file.Path local(String path) throws IOException {
        Path p = new Path(path);
        FileSystem fs = p.getFileSystem(conf);
        if (!(fs instanceof LocalFileSystem) && !"file".equals(fs.getScheme())) {
            return null;
        }
        URI uri = fs.makeQualified(p).toUri();
        return java.nio.file.Path.of(uri.getPath());
    }

    /** Writes {@code path} atomically, replacing what was there. */
    public void write(String path, AtomicFiles.Writer writer) throws IOException {
        java.nio.file.Path file = local(path);
        if (file != null) {
            AtomicFiles.write(file, writer);
            return;
        }
        Path target = new Path(path);
        FileSystem fs = target.getFileSystem(conf);
        Path dir = target.getParent();
        fs.mkdirs(dir);
        Path tmp = new Path(dir, "." + target.getName() + "." + UUID.randomUUID() + ".tmp");
        boolean moved = false;
        try {
            try (OutputStream out = fs.create(tmp, false)) {
                writer.write(out);
            }
            FileContext.getFileContext(fs.getUri(), conf).rename(fs.makeQualified(tmp), fs.makeQualified(target),
                    Options.Rename.OVERWRITE);
            moved = true;
        } finally {
            if (!moved) {
                fs.delete(tmp, false);
            }
        }
    }

    public void write(String path, byte[] bytes) throws IOException {
        write(path, out -> out.write(bytes));
    }

    public byte[] read(String path) throws IOException {
        Path p = new Path(path);
        FileSystem fs = p.getFileSystem(conf);
        long length = fs.getFileStatus(p).getLen();
        if (length > Integer.MAX_VALUE - 16) {
            throw new IOException(path + " is too large to read into memory (" + length + " bytes)");
        }
        byte[] bytes = new byte[(int) length];
        try (FSDataInputStream in = fs.open(p)) {
            in.readFully(bytes);
        }
        return bytes;
    }

    public InputStream open(String path) throws IOException {
        Path p = new Path(path);
        return p.getFileSystem(conf).open(p);
    }

    public boolean exists(String path) throws IOException {
        Path p = new Path(path);
        return p.getFileSystem(conf).exists(p);
    }

    public void mkdirs(String path) throws IOException {
        Path p = new Path(path);
        p.getFileSystem(conf).mkdirs(p);
    }

    public void delete(String path) throws IOException {
        Path p = new Path(path);
        p.getFileSystem(conf).delete(p, true);
    }

    /**
     * Moves a file or folder to {@code to}, which must not exist: one rename (atomic on local file
     * systems and HDFS), so readers see the whole of it or nothing.
     */
    public void rename(String from, String to) throws IOException {
        java.nio.file.Path localFrom = local(from);
        java.nio.file.Path localTo = local(to);
        if (localFrom != null && localTo != null) {
            java.nio.file.Files.createDirectories(localTo.getParent());
            java.nio.file.Files.move(localFrom, localTo, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            return;
        }
        Path src = new Path(from);
        Path dst = new Path(to);
        FileSystem fs = src.getFileSystem(conf);
        fs.mkdirs(dst.getParent());
        if (fs.exists(dst) || !fs.rename(src, dst)) {
            throw new IOException("could not move " + from + " to " + to + (fs.exists(dst) ? ": it exists" : ""));
        }
    }

    /** Names of the entries of a folder (files and folders, sorted); empty if it does not exist. */
    public List<String> list(String dir) throws IOException {
        Path p = new Path(dir);
        FileSystem fs = p.getFileSystem(conf);
        List<String> names = new ArrayList<>();
        if (!fs.exists(p)) {
            return names;
        }
        for (FileStatus s : fs.listStatus(p)) {
            names.add(s.getPath().getName());
        }
        names.sort(null);
        return names;
    }

    /** {@code child} inside {@code parent}, as a path string. */
    public static String resolve(String parent, String child) {
        return new Path(new Path(parent), child).toString();
    }
}
