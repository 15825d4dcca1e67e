package dev.sonnx.driver.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sonnx.driver.checkpoint.HadoopCheckpointStore;
import dev.sonnx.driver.rank.RankFailure;
import dev.sonnx.driver.testing.LocalSpark;
import dev.sonnx.driver.testing.Synthetic;
import dev.sonnx.runtime.SonnxException;
import dev.sonnx.runtime.onnx.ModelIO;
import dev.sonnx.runtime.onnx.TensorProtos;
import dev.sonnx.runtime.onnx.proto.Onnx.ModelProto;
import dev.sonnx.runtime.onnx.proto.Onnx.NodeProto;
import dev.sonnx.runtime.onnx.proto.Onnx.TensorProto;
import dev.sonnx.runtime.train.Checkpoints;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How a run stops: a diverging loss, bad rows (skipped or named), a bad model before any executor starts. */
class FailureModesTest {
    private final SparkContext sc = LocalSpark.get().sparkContext();
    private final DistributedTrainer trainer = new DistributedTrainer(sc, line -> { });

    @Test
    void nonFiniteLossStopsWithTheStepAndKeepsTheLastGoodCheckpoint(@TempDir Path tmp) throws Exception {
        // A learning rate multiplied by 1e30 every six steps: by step 13 it no longer fits a float, the
        // weights become infinite and the loss with them (a smaller jump can leave a finite if huge loss
        // once every ReLU has died).
        Path ckpt = tmp.resolve("ckpt");
        TrainConfig config = TrainConfig.builder().epochs(4).batchSize(32).optimizer("sgd", 0.05, 0.9, 0)
                .schedule("step", 6, 1e30).checkpoints(ckpt.toString(), 2).build();
        Dataset<Row> data = Synthetic.frame(LocalSpark.get(), Synthetic.rows(256, 10, 3));
        TrainingException e = assertThrows(TrainingException.class, () -> trainer.fit(Synthetic.mlp(),
                TrainData.of(data, "features", "label"), 2, config, tmp.resolve("out").toString()));

        assertEquals(RankFailure.Kind.DIVERGED, e.kind());
        assertTrue(e.step() > 6 && e.step() <= 16, "diverged at step " + e.step());
        assertTrue(e.getMessage().contains("at step " + e.step()), e.getMessage());
        List<Long> steps = new HadoopCheckpointStore(ckpt.toString(), 3, sc.hadoopConfiguration()).steps();
        long kept = steps.get(steps.size() - 1);
        assertTrue(kept >= 6 && kept < e.step(), "kept " + steps + ", diverged at " + e.step());
        assertTrue(e.getMessage().contains("checkpoint, of step " + kept), e.getMessage());
        ModelProto checkpoint = ModelIO.load(ckpt.resolve(String.format("ckpt-%012d.onnx", kept)));
        assertEquals(kept, Checkpoints.step(checkpoint));
        for (TensorProto t : checkpoint.getGraph().getInitializerList()) {
            for (float v : TensorProtos.toTensor(t).toFloatArray()) {
                assertTrue(Float.isFinite(v), t.getName() + " holds " + v);
            }
        }
        assertTrue(!Files.exists(tmp.resolve("out/model.onnx")), "no model is written for a diverged run");
    }

    private static List<Row> withBadRows() {
        List<Row> rows = new ArrayList<>(Synthetic.rows(256, 10, 4));
        rows.set(17, RowFactory.create(17L, new float[63], 1));
        rows.set(40, RowFactory.create(40L, new float[64], null));
        rows.set(41, RowFactory.create(41L, new float[64], 12));
        float[] nan = new float[64];
        nan[5] = Float.NaN;
        rows.set(99, RowFactory.create(99L, nan, 3));
        rows.set(100, RowFactory.create(100L, null, 3));
        return rows;
    }

    @Test
    void badRowsAreSkippedAndCountedWhenAsked() throws Exception {
        Dataset<Row> data = Synthetic.frame(LocalSpark.get(), withBadRows());
        TrainConfig config = TrainConfig.builder().epochs(1).batchSize(32).skipBadRows(true).build();
        TrainResult r = trainer.fit(Synthetic.mlp(), TrainData.of(data, "features", "label"), 2, config, null);
        assertEquals(5, r.badRows());
        assertEquals(251 / 2 / 32, r.steps());
    }

    @Test
    void aBadRowFailsTheRunByItsKey() {
        Dataset<Row> data = Synthetic.frame(LocalSpark.get(), withBadRows());
        TrainConfig config = TrainConfig.builder().epochs(1).batchSize(32).build();
        TrainingException e = assertThrows(TrainingException.class, () -> trainer.fit(Synthetic.mlp(),
                TrainData.of(data, "features", "label").withKey("id"), 2, config, null));
        assertEquals(RankFailure.Kind.BAD_DATA, e.kind());
        assertTrue(e.getMessage().matches("(?s).*row (17 has 63 features|40 has no label|41 has label 12|99 has a non-finite"
                + " feature|100 has null features).*"), e.getMessage());
    }

    @Test
    void tooFewRowsForABatchIsAClearError() {
        Dataset<Row> data = Synthetic.frame(LocalSpark.get(), Synthetic.rows(40, 10, 5));
        TrainConfig config = TrainConfig.builder().epochs(1).batchSize(32).build();
        TrainingException e = assertThrows(TrainingException.class, () -> trainer.fit(Synthetic.mlp(),
                TrainData.of(data, "features", "label"), 2, config, null));
        assertTrue(e.getMessage().contains("fewer than one batch of 32"), e.getMessage());
    }

    @Test
    void aBadModelFailsOnTheDriverBeforeAnyJob() {
        ModelProto mlp = Synthetic.mlp();
        NodeProto unknown = mlp.getGraph().getNode(1).toBuilder().setOpType("NoSuchOp").build();
        ModelProto bad = mlp.toBuilder().setGraph(mlp.getGraph().toBuilder().setNode(1, unknown)).build();
        Dataset<Row> data = Synthetic.frame(LocalSpark.get(), Synthetic.rows(64, 10, 6));
        TrainData train = TrainData.of(data, "features", "label");
        TrainConfig config = TrainConfig.builder().build();

        AtomicInteger jobs = new AtomicInteger();
        SparkListener listener = new SparkListener() {
            @Override
            public void onJobStart(SparkListenerJobStart jobStart) {
                jobs.incrementAndGet();
            }
        };
        sc.addSparkListener(listener);
        try {
            SonnxException e = assertThrows(SonnxException.class, () -> trainer.fit(bad, train, 2, config, null));
            assertTrue(e.getMessage().contains("NoSuchOp"), e.getMessage());
            IllegalArgumentException col = assertThrows(IllegalArgumentException.class, () ->
                    trainer.fit(mlp, TrainData.of(data, "pixels", "label"), 2, config, null));
            assertTrue(col.getMessage().contains("no features column 'pixels'"), col.getMessage());
            IllegalArgumentException cut = assertThrows(IllegalArgumentException.class, () -> trainer.fit(mlp, train, 2,
                    TrainConfig.builder().transfer(-6, 3, false).build(), null));
            assertTrue(cut.getMessage().contains("cuts all 5 nodes"), cut.getMessage());
            // a submitted job would reach the listener within the pause; none may
            Thread.sleep(500);
            assertEquals(0, jobs.get());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            sc.removeSparkListener(listener);
        }
    }
}
