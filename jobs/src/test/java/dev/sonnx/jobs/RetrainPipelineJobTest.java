package dev.sonnx.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sonnx.driver.testing.LocalSpark;
import dev.sonnx.driver.testing.Synthetic;
import dev.sonnx.jobs.cli.JobArgs;
import dev.sonnx.runtime.util.Json;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The retraining pipeline over a model folder: an empty registry starts from the base model, a
 * candidate that beats it on the holdout is published and becomes current, one that does not is
 * dropped; versions stay and every run leaves a report.
 */
class RetrainPipelineJobTest {
    private final RetrainPipelineJob job = new RetrainPipelineJob();

    private String run(String... argv) throws Exception {
        JobArgs args = JobArgs.parse(argv, job.switches());
        RetrainPipelineJob.Settings s = job.settings(args);
        args.checkAllUsed();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        job.run(s, LocalSpark.get(), new PrintStream(bytes, true, StandardCharsets.UTF_8));
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void publishesOnlyWhatImproves(@TempDir Path tmp) throws Exception {
        Path registry = tmp.resolve("registry");
        String data = Synthetic.parquet(LocalSpark.get(), tmp, 320, 4);
        IllegalArgumentException empty = assertThrows(IllegalArgumentException.class, () -> run("--registry",
                registry.toString(), "--data", data));
        assertTrue(empty.getMessage().contains("start it with --base"), empty.getMessage());

        String first = run("--registry", registry.toString(), "--base", Synthetic.mlpFile().toString(), "--data", data,
                "--epochs", "3", "--lr", "0.1", "--batch-size", "32", "--checkpoint-every", "2");
        assertTrue(first.contains("published v0002; current -> v0002"), first);
        assertEquals("v0002", Files.readString(registry.resolve("current")).trim());

        String second = run("--registry", registry.toString(), "--data", data, "--epochs", "1", "--batch-size", "32",
                "--min-improvement", "1");
        assertTrue(second.contains("kept v0002"), second);
        assertEquals("v0002", Files.readString(registry.resolve("current")).trim());

        assertEquals(List.of("v0001", "v0002"), names(registry.resolve("versions")));
        assertTrue(Files.exists(registry.resolve("versions/v0002/model.onnx")));
        assertTrue(Files.exists(registry.resolve("versions/v0002/loss-curve.png")));
        assertEquals(List.of(), names(registry.resolve("staging")), "no candidate is left behind");
        assertEquals(List.of(), names(registry.resolve("checkpoints")), "checkpoints go with their run");
        List<String> reports = names(registry.resolve("reports"));
        assertEquals(2, reports.size());
        Map<String, Object> published = Json.parseObject(Files.readString(registry.resolve("reports").resolve(reports.get(0))));
        assertEquals("published", published.get("decision"));
        assertEquals("v0001", published.get("base_version"));
        assertTrue(((Number) published.get("candidate_metric")).doubleValue()
                > ((Number) published.get("current_metric")).doubleValue());
        Map<String, Object> rejected = Json.parseObject(Files.readString(registry.resolve("reports").resolve(reports.get(1))));
        assertEquals("rejected", rejected.get("decision"));
        assertEquals("v0002", rejected.get("current"));
    }

    private static List<String> names(Path dir) throws Exception {
        if (!Files.exists(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
