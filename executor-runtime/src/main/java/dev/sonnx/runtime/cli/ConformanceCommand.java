package dev.sonnx.runtime.cli;

import dev.sonnx.runtime.conformance.ConformanceRunner;
import dev.sonnx.runtime.conformance.Tolerance;
import dev.sonnx.runtime.tensor.Device;
import dev.sonnx.runtime.util.AtomicFiles;
import dev.sonnx.runtime.util.Json;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/** {@code sonnx conformance}: runs ONNX test-case folders and prints PASS/FAIL lines and a summary. */
final class ConformanceCommand implements Main.Command {

    @Override
    public String usage() {
        return "conformance [--device D] [--threads N] [--precision fp32|mixed] [--report FILE.json] [--atol A --rtol R] [--timeout S] PATH...";
    }

    @Override
    public int run(String[] argv, PrintStream out) throws Exception {
        Args a = new Args(argv, Set.of());
        Device device = Device.parse(a.get("device", "cpu"));
        Main.applyRunOptions(a);
        String report = a.get("report", null);
        String atol = a.get("atol", null);
        String rtol = a.get("rtol", null);
        int timeout = a.getInt("timeout", 300);
        a.checkAllUsed();
        if (a.positionals().isEmpty()) {
            throw new Args.UsageException("give at least one test case folder");
        }
        Tolerance tol = atol == null && rtol == null ? null
                : new Tolerance(atol == null ? Tolerance.NODE.atol() : Double.parseDouble(atol),
                rtol == null ? Tolerance.NODE.rtol() : Double.parseDouble(rtol));
        List<Path> cases = ConformanceRunner.discover(a.positionals().stream().map(Path::of).toList());
        List<ConformanceRunner.Result> results = new ConformanceRunner(device, tol, timeout).runAll(cases, out);
        if (report != null) {
            AtomicFiles.writeString(Path.of(report), toJson(results));
        }
        return results.stream().allMatch(ConformanceRunner.Result::passed) ? 0 : 1;
    }

    private static String toJson(List<ConformanceRunner.Result> results) {
        StringBuilder sb = new StringBuilder("[\n");
        for (int i = 0; i < results.size(); i++) {
            ConformanceRunner.Result r = results.get(i);
            sb.append("  {\"name\": ").append(Json.quote(r.name())).append(", \"passed\": ").append(r.passed())
                    .append(", \"millis\": ").append(r.millis());
            if (r.reason() != null) {
                sb.append(", \"reason\": ").append(Json.quote(r.reason()));
            }
            sb.append(i + 1 < results.size() ? "},\n" : "}\n");
        }
        return sb.append("]\n").toString();
    }
}
