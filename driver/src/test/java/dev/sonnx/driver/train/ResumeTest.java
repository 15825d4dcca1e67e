package dev.sonnx.driver.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sonnx.driver.testing.LocalSpark;
import dev.sonnx.driver.testing.Synthetic;
import dev.sonnx.runtime.backend.SingaBackend;
import dev.sonnx.runtime.cpu.CpuDevice;
import dev.sonnx.runtime.onnx.ModelIO;
import dev.sonnx.runtime.onnx.TensorProtos;
import dev.sonnx.runtime.onnx.proto.Onnx.ModelProto;
import dev.sonnx.runtime.onnx.proto.Onnx.TensorProto;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A rank that dies mid-run (injected in rank 1 on the first stage attempt) makes Spark retry the
 * barrier stage; the ranks resume from rank 0's last checkpoint and end where an uninterrupted run
 * ends: same step count, same weights.
 */
class ResumeTest {

    @Test
    void retriedStageResumesFromTheLastCheckpoint(@TempDir Path tmp) throws Exception {
        Dataset<Row> data = Synthetic.frame(LocalSpark.get(), Synthetic.rows(384, 10, 2));
        TrainData train = TrainData.of(data, "features", "label");
        DistributedTrainer trainer = new DistributedTrainer(LocalSpark.get().sparkContext(), line -> { })
                .collectiveTimeout(30);

        TrainConfig plain = config(tmp.resolve("ckpt-plain"), null);
        TrainResult expected = trainer.fit(Synthetic.mlp(), train, 2, plain, tmp.resolve("out-plain").toString());

        TrainConfig failing = config(tmp.resolve("ckpt-failing"), 1);
        TrainResult resumed = trainer.fit(Synthetic.mlp(), train, 2, failing, tmp.resolve("out-failing").toString());

        assertEquals(12, expected.steps());
        assertEquals(0, expected.resumedFromStep());
        assertEquals(expected.steps(), resumed.steps());
        assertEquals(8, resumed.resumedFromStep(), "the checkpoint before the failure at step 10 is step 8");
        assertEquals(expected.steps(), resumed.metrics().size(), "metrics cover both attempts");
        ModelProto model = ModelIO.load(tmp.resolve("out-failing/model.onnx"));
        SingaBackend.prepare(model, CpuDevice.get());
        assertSameWeights(expected.model(), model);
        assertEquals(List.of(), leftovers(tmp));
    }

    private static TrainConfig config(Path checkpoints, Integer failingRank) {
        TrainConfig.Builder b = TrainConfig.builder().epochs(2).batchSize(32).optimizer("sgd", 0.05, 0.9, 1e-4)
                .checkpoints(checkpoints.toString(), 4).seed(5);
        if (failingRank != null) {
            b.injectFailure(failingRank, 10);
        }
        return b.build();
    }

    private static void assertSameWeights(ModelProto expected, ModelProto actual) {
        assertEquals(expected.getGraph().getInitializerCount(), actual.getGraph().getInitializerCount());
        for (int i = 0; i < expected.getGraph().getInitializerCount(); i++) {
            TensorProto e = expected.getGraph().getInitializer(i);
            TensorProto a = actual.getGraph().getInitializer(i);
            assertEquals(e.getName(), a.getName());
            assertArrayEquals(TensorProtos.toTensor(e).toFloatArray(), TensorProtos.toTensor(a).toFloatArray(), 1e-6f,
                    e.getName());
        }
    }

    /** Temporary or partial files anywhere under {@code dir}. */
    static List<Path> leftovers(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".tmp")
                    || p.getFileName().toString().endsWith(".crc")).toList();
        }
    }
}
