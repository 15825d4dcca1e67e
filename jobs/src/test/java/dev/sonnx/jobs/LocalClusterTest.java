package dev.sonnx.jobs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sonnx.driver.ml.OnnxModelTransformer;
import dev.sonnx.driver.testing.Synthetic;
import dev.sonnx.driver.rank.StepMetrics;
import dev.sonnx.driver.train.DistributedTrainer;
import dev.sonnx.driver.train.TrainConfig;
import dev.sonnx.driver.train.TrainData;
import dev.sonnx.driver.train.TrainResult;
import dev.sonnx.runtime.backend.SingaBackend;
import dev.sonnx.runtime.backend.SingaRep;
import dev.sonnx.runtime.cpu.CpuDevice;
import dev.sonnx.runtime.onnx.ModelIO;
import dev.sonnx.runtime.tensor.Tensor;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;

/**
 * Training and inference on two executor JVMs ({@code local-cluster[2,1,1024]}), as on a cluster: the
 * ranks meet through the barrier context across processes, the TCP ring runs between them, the model
 * broadcast and the executor cache work per JVM. The Spark home the workers launch executors from is
 * laid out here from the test class path (its jars/), with the modules' classes as the application
 * jar; surefire sets SPARK_HOME to it and SPARK_SCALA_VERSION=2.13.
 */
class LocalClusterTest {

    @Test
    void trainsAndPredictsOnTwoExecutorJvms() throws Exception {
        Path home = Path.of(System.getenv("SPARK_HOME"));
        Path appJar = layOut(home);
        SparkSession.getDefaultSession().foreach(s -> {
            s.stop();
            return null;
        });
        SparkSession spark = SparkSession.builder().master("local-cluster[2,1,1024]").appName("sonnx-local-cluster")
                .config("spark.jars", appJar.toUri().toString())
                .config("spark.driver.host", "127.0.0.1")
                .config("spark.ui.enabled", "false")
                .config("spark.executorEnv.OMP_NUM_THREADS", "1")
                .getOrCreate();
        try {
            awaitExecutors(spark, 2);
            TrainConfig config = TrainConfig.builder().epochs(2).batchSize(32).optimizer("sgd", 0.1, 0.9, 0).build();
            TrainResult r = new DistributedTrainer(spark.sparkContext(), line -> { }).fit(ModelIO.load(Synthetic.mlpFile()),
                    TrainData.of(spark.createDataFrame(Synthetic.rows(256, 10, 5), Synthetic.SCHEMA),
                            "features", "label"), 2, config, null);
            assertEquals(8, r.steps());
            assertEquals(2, new HashSet<>(r.rankExecutors()).size(), "ranks ran on " + r.rankExecutors());
            assertTrue(!r.rankExecutors().contains("driver"), "ranks ran on " + r.rankExecutors());
            double[] losses = r.metrics().stream().mapToDouble(StepMetrics::loss).toArray();
            assertTrue(losses[losses.length - 1] < losses[0], "loss " + losses[0] + " -> " + losses[losses.length - 1]);

            byte[] model = r.model().toByteArray();
            List<Row> rows = Synthetic.rows(40, 10, 6);
            List<Row> out = new OnnxModelTransformer(model).setMiniBatchSize(8)
                    .transform(spark.createDataFrame(rows, Synthetic.SCHEMA).repartition(2))
                    .orderBy("id").collectAsList();
            SingaRep rep = SingaBackend.prepare(ModelIO.parse(model), CpuDevice.get());
            for (int i = 0; i < rows.size(); i++) {
                float[] expected = rep.run(List.of(Tensor.of((float[]) rows.get(i).get(1), 1, 64))).get(0)
                        .toFloatArray();
                List<Object> logits = out.get(i).getList(out.get(i).fieldIndex("logits"));
                float[] actual = new float[logits.size()];
                for (int j = 0; j < actual.length; j++) {
                    actual[j] = (Float) logits.get(j);
                }
                assertArrayEquals(expected, actual, 1e-5f, "row " + i);
            }
        } finally {
            spark.stop();
        }
    }

    /** Waits until {@code n} executors have registered (they start in the background). */
    private static void awaitExecutors(SparkSession spark, int n) throws InterruptedException {
        long deadline = System.nanoTime() + 120_000_000_000L;
        while (spark.sparkContext().statusTracker().getExecutorInfos().length < n + 1) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the executors did not register within two minutes");
            }
            Thread.sleep(200);
        }
    }

    /**
     * SPARK_HOME/jars: links to the jars of this JVM's class path; SPARK_HOME/app.jar: its class folders
     * (the modules under test), which executors fetch as spark.jars.
     */
    private static Path layOut(Path home) throws IOException {
        Path jars = home.resolve("jars");
        Files.createDirectories(jars);
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Path app = home.resolve("app.jar");
        Set<String> linked = new HashSet<>();
        try (JarOutputStream jar = new JarOutputStream(Files.newOutputStream(app))) {
            Set<String> entries = new HashSet<>();
            for (String entry : cp.split(File.pathSeparator)) {
                Path p = Path.of(entry);
                if (Files.isDirectory(p)) {
                    addTree(jar, p, entries);
                } else if (entry.endsWith(".jar") && Files.exists(p) && linked.add(p.getFileName().toString())) {
                    Path link = jars.resolve(p.getFileName());
                    Files.deleteIfExists(link);
                    Files.createSymbolicLink(link, p.toAbsolutePath());
                }
            }
        }
        return app;
    }

    private static void addTree(JarOutputStream jar, Path root, Set<String> entries) throws IOException {
        try (Stream<Path> files = Files.walk(root)) {
            for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
                String name = root.relativize(f).toString().replace(File.separatorChar, '/');
                if (entries.add(name)) {
                    jar.putNextEntry(new JarEntry(name));
                    Files.copy(f, jar);
                    jar.closeEntry();
                }
            }
        }
    }
}
