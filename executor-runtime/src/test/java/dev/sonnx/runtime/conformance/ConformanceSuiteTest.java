package dev.sonnx.runtime.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sonnx.runtime.cpu.CpuDevice;
import dev.sonnx.runtime.testing.SharedData;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The ONNX node suite through the real loader and executor, with the suite's own comparison rule. The
 * seed operators (the 77 SINGA lists) must all pass; the whole suite must keep every case that passes
 * today (the pinned list in src/test/resources/conformance/passing.txt only grows).
 */
class ConformanceSuiteTest {
    private static Map<String, ConformanceRunner.Result> results;
    private static List<String[]> manifest;

    @BeforeAll
    static void runSuite() throws IOException {
        Path node = SharedData.root().resolve("onnx-conformance/node");
        manifest = new ArrayList<>();
        for (String line : Files.readAllLines(SharedData.root().resolve("onnx-conformance/manifest.tsv"))) {
            if (!line.startsWith("test\t") && !line.isBlank()) {
                manifest.add(line.split("\t"));
            }
        }
        ConformanceRunner runner = new ConformanceRunner(CpuDevice.get(), null, 120);
        List<Path> cases = ConformanceRunner.discover(List.of(node));
        results = runner.runAll(cases, new java.io.PrintStream(java.io.OutputStream.nullOutputStream()))
                .stream().collect(Collectors.toMap(ConformanceRunner.Result::name, Function.identity()));
        long passed = results.values().stream().filter(ConformanceRunner.Result::passed).count();
        System.out.println("ONNX node suite: " + passed + " passed, " + (results.size() - passed) + " failed");
    }

    @Test
    void everySeedOperatorCasePasses() {
        List<String> failures = new ArrayList<>();
        int seed = 0;
        for (String[] row : manifest) {
            if (!row[3].equals("seed")) {
                continue;
            }
            seed++;
            ConformanceRunner.Result r = results.get(row[0]);
            if (r == null || !r.passed()) {
                failures.add(row[0] + ": " + (r == null ? "not run" : r.reason()));
            }
        }
        assertEquals(378, seed, "seed cases in the manifest");
        assertTrue(failures.isEmpty(), (seed - failures.size()) + " passed, " + failures.size() + " failed:\n"
                + String.join("\n", failures));
    }

    @Test
    void thePinnedPassingSetNeverShrinks() throws IOException {
        TreeSet<String> pinned = new TreeSet<>();
        try (InputStream in = ConformanceSuiteTest.class.getResourceAsStream("/conformance/passing.txt")) {
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (!line.isBlank()) {
                    pinned.add(line.trim());
                }
            }
        }
        List<String> regressions = new ArrayList<>();
        for (String name : pinned) {
            ConformanceRunner.Result r = results.get(name);
            if (r == null || !r.passed()) {
                regressions.add(name + ": " + (r == null ? "not run" : r.reason()));
            }
        }
        assertTrue(regressions.isEmpty(), "cases that passed before fail now:\n" + String.join("\n", regressions));
        long passed = results.values().stream().filter(ConformanceRunner.Result::passed).count();
        assertTrue(passed >= 904, "the node suite passes " + passed + " of " + results.size() + " cases");
    }
}
