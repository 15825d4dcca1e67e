package dev.sonnx.jobs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sonnx.driver.testing.LocalSpark;
import dev.sonnx.driver.testing.Synthetic;
import dev.sonnx.jobs.cli.JobArgs;
import dev.sonnx.runtime.backend.SingaBackend;
import dev.sonnx.runtime.backend.SingaRep;
import dev.sonnx.runtime.cpu.CpuDevice;
import dev.sonnx.runtime.onnx.ModelIO;
import dev.sonnx.runtime.tensor.Tensor;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Batch inference from its command line: Parquet of keys, labels, predictions and top-k classes. */
class BatchInferenceJobTest {

    @Test
    void writesTopKPredictionsWithTheKey(@TempDir Path tmp) throws Exception {
        String data = Synthetic.parquet(LocalSpark.get(), tmp, 150, 3);
        String output = tmp.resolve("predictions.parquet").toString();
        BatchInferenceJob job = new BatchInferenceJob();
        JobArgs args = JobArgs.parse(new String[] {"--model", Synthetic.mlpFile().toString(), "--data", data,
                "--output", output, "--top-k", "3", "--batch-size", "16"}, job.switches());
        BatchInferenceJob.Settings s = job.settings(args);
        args.checkAllUsed();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        job.run(s, LocalSpark.get(), new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(out.contains("wrote 150 predictions"), out);
        assertTrue(out.contains("accuracy: "), out);

        List<Row> rows = LocalSpark.get().read().parquet(output).orderBy("id").collectAsList();
        assertEquals(List.of("id", "label", "prediction", "top_labels", "top_scores"),
                List.of(LocalSpark.get().read().parquet(output).columns()));
        SingaRep rep = SingaBackend.prepare(ModelIO.load(Synthetic.mlpFile()), CpuDevice.get());
        List<Row> inputs = Synthetic.rows(150, 10, 3);
        for (int i = 0; i < rows.size(); i += 37) {
            Row r = rows.get(i);
            float[] logits = rep.run(List.of(Tensor.of((float[]) inputs.get(i).get(1), 1, 64))).get(0).toFloatArray();
            int[] top = r.getList(r.fieldIndex("top_labels")).stream().mapToInt(o -> (Integer) o).toArray();
            assertArrayEquals(topThree(logits), top, "row " + i);
            assertEquals(top[0], r.getDouble(r.fieldIndex("prediction")));
            assertEquals(inputs.get(i).getInt(2), r.getInt(r.fieldIndex("label")));
        }
    }

    private static int[] topThree(float[] v) {
        int[] r = new int[3];
        boolean[] used = new boolean[v.length];
        for (int k = 0; k < 3; k++) {
            int best = -1;
            for (int i = 0; i < v.length; i++) {
                if (!used[i] && (best < 0 || v[i] > v[best])) {
                    best = i;
                }
            }
            used[best] = true;
            r[k] = best;
        }
        return r;
    }
}
