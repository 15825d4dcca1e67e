package dev.sonnx.nccl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The TCP ring with every rank in its own JVM, as executors are: collectives, and a rank killed mid-collective. */
class TcpProcessTest {

    private static final long TIMEOUT_MS = 10_000;

    @TempDir
    Path rendezvousDirectory;

    private final List<Rank> ranks = new ArrayList<>();

    /** A child JVM and the lines it printed. */
    private record Rank(Process process, List<String> lines) {
        String output() {
            return String.join("\n", lines);
        }
    }

    @AfterEach
    void killLeftovers() {
        for (Rank rank : ranks) {
            rank.process().destroyForcibly();
        }
    }

    @ParameterizedTest(name = "{0} processes")
    @ValueSource(ints = {2, 3, 4})
    void everyCollectiveIsRightAcrossProcesses(int worldSize) throws Exception {
        for (int r = 0; r < worldSize; r++) {
            ranks.add(start(r, worldSize, "collectives"));
        }
        for (int r = 0; r < worldSize; r++) {
            Rank rank = ranks.get(r);
            assertTrue(rank.process().waitFor(60, TimeUnit.SECONDS), "rank " + r + " did not finish");
            assertEquals(0, rank.process().exitValue(), "rank " + r + " said:\n" + rank.output());
            assertTrue(rank.lines().contains("PASS"), rank.output());
            List<String> cudaClasses = Files.readAllLines(classLog(r)).stream()
                    .filter(line -> line.contains("org.bytedeco")).toList();
            assertEquals(List.of(), cudaClasses, "the TCP path must not load CUDA or JavaCPP");
        }
    }

    @Test
    void killingARankMidCollectiveMakesTheOthersFailWithinTheTimeout() throws Exception {
        int worldSize = 3;
        for (int r = 0; r < worldSize; r++) {
            ranks.add(start(r, worldSize, "loop"));
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        for (Rank rank : ranks) {
            while (!rank.lines().contains("RUNNING")) {
                assertTrue(System.nanoTime() < deadline && rank.process().isAlive(), "a rank never ran:\n" + rank.output());
                TimeUnit.MILLISECONDS.sleep(10);
            }
        }
        TimeUnit.MILLISECONDS.sleep(200); // well inside the all-reduce loop
        ranks.get(1).process().destroyForcibly();
        long killed = System.nanoTime();
        for (int r : new int[] {0, 2}) {
            Rank survivor = ranks.get(r);
            assertTrue(survivor.process().waitFor(TIMEOUT_MS + 5_000, TimeUnit.MILLISECONDS),
                    "rank " + r + " hung after its peer was killed:\n" + survivor.output());
            long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed);
            assertEquals(RingWorker.EXIT_COMMUNICATOR_FAILED, survivor.process().exitValue(), survivor.output());
            String failure = survivor.lines().stream().filter(line -> line.startsWith("FAILED ")).findFirst().orElseThrow();
            assertTrue(failure.matches("FAILED rank " + r + " allReduce\\(FLOAT32 x 1048576, (SUM|AVERAGE)\\): .*rank \\d"
                    + " \\((left|right) neighbour\\).*"), failure);
            assertTrue(elapsedMs < TIMEOUT_MS, "rank " + r + " took " + elapsedMs + " ms to notice");
        }
    }

    private Rank start(int rank, int worldSize, String scenario) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder builder = new ProcessBuilder(java, "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-Xlog:class+load=info:file=" + classLog(rank), "-cp", testClassPath(), RingWorker.class.getName(), String.valueOf(rank), String.valueOf(worldSize),
                rendezvousDirectory.toString(), String.valueOf(TIMEOUT_MS), scenario);
        builder.redirectErrorStream(true);
        Process process = builder.start();
        List<String> lines = new CopyOnWriteArrayList<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader out = new BufferedReader(
                    new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = out.readLine(); line != null; line = out.readLine()) {
                    lines.add(line);
                }
            } catch (IOException ignored) {
                // the child is gone; what it printed is kept
            }
        }, "rank-" + rank + "-output");
        reader.setDaemon(true);
        reader.start();
        return new Rank(process, lines);
    }

    /** Where a child logs every class it loads. */
    private Path classLog(int rank) {
        return rendezvousDirectory.resolve("rank-" + rank + "-classes.log");
    }

    /** Surefire passes the real class path in this property (java.class.path may be a manifest-only jar). */
    private static String testClassPath() {
        String surefire = System.getProperty("surefire.test.class.path");
        return surefire != null && !surefire.isBlank() ? surefire : System.getProperty("java.class.path");
    }
}
