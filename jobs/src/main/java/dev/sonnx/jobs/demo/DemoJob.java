package dev.sonnx.jobs.demo;

import dev.sonnx.driver.io.HadoopFiles;
import dev.sonnx.driver.ml.OnnxModelTransformer;
import dev.sonnx.driver.train.DistributedTrainer;
import dev.sonnx.driver.train.TrainConfig;
import dev.sonnx.driver.train.TrainData;
import dev.sonnx.driver.train.TrainResult;
import dev.sonnx.jobs.Evaluation;
import dev.sonnx.jobs.Logs;
import dev.sonnx.jobs.cli.Job;
import dev.sonnx.jobs.cli.JobArgs;
import dev.sonnx.jobs.cli.JobRunner;
import dev.sonnx.jobs.data.DataSources;
import dev.sonnx.jobs.data.IdxFiles;
import dev.sonnx.runtime.backend.SingaBackend;
import dev.sonnx.runtime.backend.SingaRep;
import dev.sonnx.runtime.cpu.CpuDevice;
import dev.sonnx.runtime.cpu.NativeThreads;
import dev.sonnx.runtime.onnx.ModelIO;
import dev.sonnx.runtime.opt.DistOption;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * The main job: the {@link FashionCnn} trained on Fashion-MNIST with 2 ranks and fp32 all-reduce in
 * Spark, the merged model exported, then batch inference over the 10,000 test images in Spark, timed
 * against a single-process {@code SingaRep} loop on the same images. Ends with the test accuracy and
 * the wall time. The defaults (two epochs, 2 x 32 rows a step, SGD at 0.02 with momentum and a cosine
 * schedule) reach about 90% (88.8% after one epoch) in about two minutes on two cores; a learning rate
 * of 0.05 makes the first steps diverge (the untrained head's logits are large).
 */
public final class DemoJob implements Job<DemoJob.Settings> {
    /** Where Debian's {@code dataset-fashion-mnist} puts the IDX files. */
    public static final String DEFAULT_DATA = "/usr/share/datasets/fashion-mnist";

    /** What the command line asked for. */
    public record Settings(String data, String output, int ranks, TrainConfig config, int trainLimit, int evalBatch,
                           boolean compare) {
    }

    public static void main(String[] args) {
        JobRunner.main(new DemoJob(), args);
    }

    @Override
    public String name() {
        return "demo";
    }

    @Override
    public String usage() {
        return """
                  --data DIR (%s)  --output DIR (demo-output)
                  --ranks N (2)  --epochs N (2)  --batch-size N (32 per rank)  --lr X (0.02; SGD, momentum 0.9, cosine)
                  --train-limit N (all 60000)  --eval-batch-size N (250)  --no-compare (skip the single-process loop)
                """.formatted(DEFAULT_DATA);
    }

    @Override
    public Set<String> switches() {
        return Set.of("no-compare");
    }

    @Override
    public Settings settings(JobArgs a) {
        TrainConfig config = TrainConfig.builder()
                .epochs(a.getInt("epochs", 2))
                .batchSize(a.getInt("batch-size", 32))
                .optimizer("sgd", a.getDouble("lr", 0.02), 0.9, 5e-4)
                .schedule("cosine", 0, 0)
                .distOption(DistOption.FP32, 0)
                .seed(7)
                .build();
        return new Settings(a.get("data", DEFAULT_DATA), a.get("output", "demo-output"), a.getInt("ranks", 2), config,
                a.getInt("train-limit", 0), a.getInt("eval-batch-size", 250), !a.flag("no-compare"));
    }

    @Override
    public void run(Settings s, SparkSession spark, PrintStream out) throws Exception {
        Consumer<String> log = Logs.to(out);
        Path dir = Path.of(s.data());
        String trainImages = file(dir, "train-images-idx3-ubyte");
        String trainLabels = file(dir, "train-labels-idx1-ubyte");
        String testImages = file(dir, "t10k-images-idx3-ubyte");
        String testLabels = file(dir, "t10k-labels-idx1-ubyte");

        DataSources.Loaded train = DataSources.load(spark, new DataSources.Spec(trainImages, "idx", trainLabels, null,
                null, null));
        Dataset<Row> trainRows = s.trainLimit() > 0 ? train.rows().limit(s.trainLimit()) : train.rows();
        log.accept("Fashion-MNIST: training the FashionCnn with " + s.ranks() + " ranks on "
                + (s.trainLimit() > 0 ? s.trainLimit() : 60000) + " images");
        TrainResult trained = new DistributedTrainer(spark.sparkContext(), log).logEvery(50)
                .fit(FashionCnn.build(1), new TrainData(trainRows, train.featuresCol(), train.labelCol(), train.keyCol()),
                        s.ranks(), s.config(), s.output());
        log.accept(String.format(Locale.ROOT, "trained %d steps in %.1f s", trained.steps(), trained.seconds()));

        byte[] model = trained.model().toByteArray();
        DataSources.Loaded test = DataSources.load(spark, new DataSources.Spec(testImages, "idx", testLabels, null,
                null, null));
        Dataset<Row> testRows = test.rows().cache();
        long images = testRows.count();
        long start = System.nanoTime();
        Dataset<Row> predictions = new OnnxModelTransformer(model).setFeaturesCol(test.featuresCol())
                .setMiniBatchSize(s.evalBatch()).transform(testRows);
        double accuracy = Evaluation.accuracy(predictions, "prediction", test.labelCol());
        double sparkSeconds = (System.nanoTime() - start) / 1e9;
        testRows.unpersist();
        out.printf(Locale.ROOT, "batch inference in Spark (%d tasks): %d images in %.2f s, %.0f images/s%n",
                spark.sparkContext().defaultParallelism(), images, sparkSeconds, images / sparkSeconds);
        if (s.compare()) {
            Loop loop = singaRepLoop(model, testImages, testLabels, s.evalBatch());
            out.printf(Locale.ROOT, "single-process SingaRep loop (%d threads): %d images in %.2f s, %.0f images/s"
                            + " (accuracy %.4f)%n", CpuDevice.get().threads(), loop.images(), loop.seconds(),
                    loop.images() / loop.seconds(), loop.accuracy());
        }
        out.println("model: " + HadoopFiles.resolve(s.output(), "model.onnx") + "; loss curve: "
                + HadoopFiles.resolve(s.output(), "loss-curve.png"));
        out.printf(Locale.ROOT, "test accuracy: %.4f%n", accuracy);
        out.printf(Locale.ROOT, "wall time: %.1f s%n", ManagementFactory.getRuntimeMXBean().getUptime() / 1000.0);
    }

    /** The plain or gzipped IDX file {@code base} in {@code dir}. */
    private static String file(Path dir, String base) {
        for (String name : List.of(base + ".gz", base)) {
            if (Files.isRegularFile(dir.resolve(name))) {
                return dir.resolve(name).toString();
            }
        }
        throw new IllegalArgumentException("Fashion-MNIST is not in " + dir + " (no " + base + "[.gz]); install it"
                + " with: apt-get install dataset-fashion-mnist (bin/sonnx demo does), or give --data DIR");
    }

    /** What the single-process loop measured. */
    record Loop(long images, double seconds, double accuracy) {
    }

    /** The baseline: one process preparing the model and running it batch after batch, on every core. */
    static Loop singaRepLoop(byte[] model, String imagesFile, String labelsFile, int batch) throws IOException {
        IdxFiles.Images images = IdxFiles.readImages(Files.newInputStream(Path.of(imagesFile)), imagesFile);
        int[] labels = IdxFiles.readLabels(Files.newInputStream(Path.of(labelsFile)), labelsFile);
        int n = images.count();
        int pixels = images.rows() * images.cols();
        float[] row = new float[pixels];
        long start = System.nanoTime();
        NativeThreads.set(CpuDevice.get().threads());
        SingaRep rep = SingaBackend.prepare(ModelIO.parse(model), CpuDevice.get());
        int correct = 0;
        for (int from = 0; from < n; from += batch) {
            int m = Math.min(batch, n - from);
            Tensor x = Tensor.zeros(DataType.FLOAT, m, 1, images.rows(), images.cols());
            FloatBuffer xf = x.floats();
            for (int i = 0; i < m; i++) {
                byte[] p = images.pixels()[from + i];
                for (int j = 0; j < pixels; j++) {
                    row[j] = (p[j] & 0xff) / 255f;
                }
                xf.put(i * pixels, row);
            }
            Tensor logits = rep.run(List.of(x)).get(0);
            int classes = logits.dim(1);
            for (int i = 0; i < m; i++) {
                int best = 0;
                for (int c = 1; c < classes; c++) {
                    if (logits.getFloat(i * classes + c) > logits.getFloat(i * classes + best)) {
                        best = c;
                    }
                }
                correct += best == labels[from + i] ? 1 : 0;
            }
            logits.release();
        }
        return new Loop(n, (System.nanoTime() - start) / 1e9, correct / (double) n);
    }
}
