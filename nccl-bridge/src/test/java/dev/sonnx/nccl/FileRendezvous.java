package dev.sonnx.nccl;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A {@link Rendezvous} among processes of one machine through a shared directory: in round k each
 * rank writes its bytes to round-k/rank-r (atomically, by renaming a finished file) and waits until
 * every rank's file is there. For tests that run ranks as separate JVMs.
 */
final class FileRendezvous implements Rendezvous {

    private final Path directory;
    private final int rank;
    private final int worldSize;
    private final long timeoutNanos;
    private int round;

    FileRendezvous(Path directory, int rank, int worldSize, Duration timeout) {
        this.directory = directory;
        this.rank = rank;
        this.worldSize = worldSize;
        this.timeoutNanos = timeout.toNanos();
    }

    @Override
    public byte[][] allGather(byte[] mine) {
        try {
            Path roundDirectory = Files.createDirectories(directory.resolve("round-" + round++));
            Path partial = Files.write(roundDirectory.resolve("rank-" + rank + ".partial"), mine);
            Files.move(partial, roundDirectory.resolve("rank-" + rank), StandardCopyOption.ATOMIC_MOVE);
            byte[][] all = new byte[worldSize][];
            long deadline = System.nanoTime() + timeoutNanos;
            for (int r = 0; r < worldSize; r++) {
                Path theirs = roundDirectory.resolve("rank-" + r);
                while (!Files.exists(theirs)) {
                    if (System.nanoTime() > deadline) {
                        throw new CommunicatorException("rank " + rank + " rendezvous: rank " + r
                                + " did not arrive in round " + (round - 1));
                    }
                    TimeUnit.MILLISECONDS.sleep(5);
                }
                all[r] = Files.readAllBytes(theirs);
            }
            return all;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CommunicatorException("rank " + rank + " rendezvous: interrupted", e);
        }
    }
}
