package dev.sonnx.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sonnx.driver.testing.LocalSpark;
import dev.sonnx.driver.testing.Synthetic;
import dev.sonnx.jobs.cli.JobArgs;
import dev.sonnx.jobs.cli.JobRunner;
import dev.sonnx.runtime.backend.SingaBackend;
import dev.sonnx.runtime.cpu.CpuDevice;
import dev.sonnx.runtime.onnx.ModelIO;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The fine-tuning job from its command line, on Parquet and on CSV, and its usage errors. */
class FineTuneJobTest {
    private final FineTuneJob job = new FineTuneJob();

    private String run(String... argv) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        JobArgs args = JobArgs.parse(argv, job.switches());
        FineTuneJob.Settings s = job.settings(args);
        args.checkAllUsed();
        job.run(s, LocalSpark.get(), new PrintStream(bytes, true, StandardCharsets.UTF_8));
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void fineTunesParquetFromAConfigFile(@TempDir Path tmp) throws Exception {
        String data = Synthetic.parquet(LocalSpark.get(), tmp, 256, 1);
        Properties p = new Properties();
        p.setProperty("epochs", "2");
        p.setProperty("batch-size", "32");
        p.setProperty("lr", "0.1");
        p.setProperty("dist-option", "fp16");
        Path config = tmp.resolve("job.properties");
        try (var w = Files.newBufferedWriter(config)) {
            p.store(w, null);
        }
        String out = run("--config", config.toString(), "--model", Synthetic.mlpFile().toString(), "--data", data,
                "--output", tmp.resolve("out").toString(), "--checkpoint-dir", tmp.resolve("ckpt").toString(),
                "--checkpoint-every", "3");
        assertTrue(out.contains("fine-tuned 8 steps"), out);
        assertTrue(out.contains("dist=fp16"), out);
        SingaBackend.prepare(ModelIO.load(tmp.resolve("out/model.onnx")), CpuDevice.get());
        assertTrue(Files.size(tmp.resolve("out/loss-curve.png")) > 0);
        assertEquals(9, Files.readAllLines(tmp.resolve("out/metrics.csv")).size());
        assertTrue(Files.exists(tmp.resolve("ckpt/ckpt-000000000006.onnx")));
    }

    @Test
    void fineTunesCsvWithOneColumnPerFeature(@TempDir Path tmp) throws Exception {
        List<String> lines = new ArrayList<>();
        StringBuilder header = new StringBuilder("label");
        for (int j = 0; j < Synthetic.FEATURES; j++) {
            header.append(",f").append(j);
        }
        lines.add(header.toString());
        for (Row r : Synthetic.rows(192, 10, 2)) {
            StringBuilder line = new StringBuilder().append(r.getInt(2));
            for (float v : (float[]) r.get(1)) {
                line.append(',').append(v);
            }
            lines.add(line.toString());
        }
        Path csv = tmp.resolve("train.csv");
        Files.write(csv, lines);
        String out = run("--model", Synthetic.mlpFile().toString(), "--data", csv.toString(), "--output",
                tmp.resolve("out").toString(), "--batch-size", "32", "--ranks", "2");
        assertTrue(out.contains("fine-tuned 3 steps"), out);
    }

    @Test
    void commandLineMistakesExitWithUsageBeforeSparkStarts() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream errStream = new PrintStream(err, true, StandardCharsets.UTF_8);
        PrintStream out = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        assertEquals(2, JobRunner.run(job, new String[] {"--data", "x.parquet", "--output", "o"}, out, errStream));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("option --model is required"));
        err.reset();
        assertEquals(2, JobRunner.run(job, new String[] {"--model", "m", "--data", "d", "--output", "o",
                "--dist-option", "fp8"}, out, errStream));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("unknown dist option 'fp8'"));
        err.reset();
        assertEquals(2, JobRunner.run(job, new String[] {"--model", "m", "--data", "d", "--output", "o",
                "--epoch", "3"}, out, errStream));
        String text = err.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("unknown option --epoch") && text.contains("usage: finetune"), text);
    }
}
