package dev.sonnx.jobs.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sonnx.driver.testing.LocalSpark;
import dev.sonnx.jobs.cli.JobArgs;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The main job, shortened to 4,000 training images and one epoch, on Debian's Fashion-MNIST (CI installs
 * dataset-fashion-mnist through bin/setup): it learns far beyond chance (10%), the accuracy from Spark's
 * batch inference equals the one of a plain SingaRep loop over the exported model, and it writes its
 * outputs and ends with the accuracy and wall-time lines.
 */
class DemoJobTest {

    @Test
    void shortDemoLearnsAndBothInferencePathsAgree(@TempDir Path tmp) throws Exception {
        assertTrue(Files.isDirectory(Path.of(DemoJob.DEFAULT_DATA)), "Fashion-MNIST is missing from "
                + DemoJob.DEFAULT_DATA + ": run bin/setup (apt-get install dataset-fashion-mnist)");
        DemoJob job = new DemoJob();
        JobArgs args = JobArgs.parse(new String[] {"--train-limit", "4000", "--epochs", "1", "--output",
                tmp.resolve("out").toString()}, job.switches());
        DemoJob.Settings settings = job.settings(args);
        args.checkAllUsed();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        job.run(settings, LocalSpark.get(), new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String out = bytes.toString(StandardCharsets.UTF_8);

        List<String> lines = out.lines().toList();
        Matcher last = Pattern.compile("test accuracy: (0\\.\\d{4})").matcher(lines.get(lines.size() - 2));
        assertTrue(last.matches(), out);
        assertTrue(lines.get(lines.size() - 1).matches("wall time: \\d+\\.\\d s"), out);
        double spark = Double.parseDouble(last.group(1));
        Matcher loop = Pattern.compile("\\(accuracy (0\\.\\d{4})\\)").matcher(out);
        assertTrue(loop.find(), out);
        assertEquals(Double.parseDouble(loop.group(1)), spark, 1e-9, "Spark and the SingaRep loop disagree");
        assertTrue(spark > 0.70, "accuracy " + spark + " after 4,000 images:\n" + out);
        assertTrue(Files.size(tmp.resolve("out/model.onnx")) > 0);
        assertTrue(Files.size(tmp.resolve("out/loss-curve.png")) > 0);
    }
}
