package dev.sonnx.driver.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sonnx.driver.rank.StepMetrics;
import dev.sonnx.driver.testing.LocalSpark;
import dev.sonnx.driver.testing.Synthetic;
import dev.sonnx.runtime.backend.SingaBackend;
import dev.sonnx.runtime.backend.SingaRep;
import dev.sonnx.runtime.cpu.CpuDevice;
import dev.sonnx.runtime.onnx.ModelIO;
import dev.sonnx.runtime.opt.DistOption;
import dev.sonnx.runtime.tensor.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Every dist option end to end in local mode: the loss goes down and the merged model loads and runs. */
class DistOptionsTest {
    private static Dataset<Row> data;

    @BeforeAll
    static void data() {
        data = Synthetic.frame(LocalSpark.get(), Synthetic.rows(512, 10, 1)).cache();
    }

    @ParameterizedTest
    @CsvSource({"fp32, 0, 2", "fp16, 0, 2", "partialUpdate, 0, 2", "sparseTopK, 0.3, 2", "sparseThreshold, 0.002, 2",
            "fp32, 0, 4"})
    void trainsAndExports(String option, float spars, int ranks, @TempDir Path out) throws Exception {
        TrainConfig config = TrainConfig.builder().epochs(3).batchSize(32)
                .optimizer("sgd", 0.1, 0.9, 0).distOption(DistOption.parse(option), spars).seed(3).build();
        TrainResult r = new DistributedTrainer(LocalSpark.get().sparkContext(), line -> { })
                .fit(Synthetic.mlp(), TrainData.of(data, "features", "label"), ranks, config, out.toString());

        int stepsPerEpoch = 512 / ranks / 32;
        assertEquals(3L * stepsPerEpoch, r.steps());
        assertEquals(r.steps(), r.metrics().size());
        double[] losses = r.metrics().stream().mapToDouble(StepMetrics::loss).toArray();
        double[] ends = Synthetic.headAndTail(losses, 3);
        assertTrue(ends[1] < ends[0] - 0.05, option + ": loss went from " + ends[0] + " to " + ends[1]);

        SingaRep rep = SingaBackend.prepare(ModelIO.load(out.resolve("model.onnx")), CpuDevice.get());
        Tensor logits = rep.run(List.of(Tensor.zeros(dev.sonnx.runtime.tensor.DataType.FLOAT, 5, 64))).get(0);
        assertArrayEquals(new int[] {5, 10}, logits.shape());
        assertTrue(Files.size(out.resolve("loss-curve.png")) > 1000);
        List<String> csv = Files.readAllLines(out.resolve("metrics.csv"));
        assertEquals("step,epoch,loss,samples_per_second,learning_rate", csv.get(0));
        assertEquals(r.steps() + 1, csv.size());
    }
}
