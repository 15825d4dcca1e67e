package dev.sonnx.nccl.bench;

import dev.sonnx.nccl.FusedBuckets;
import dev.sonnx.nccl.TcpOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Benchmark of the TCP ring (not a test): all-reduce bus bandwidth, 2(n-1)/n × bytes / time, for
 * several sizes and world sizes of local ranks (threads over loopback), beside this machine's memcpy
 * bandwidth and one loopback TCP stream's bandwidth, measured in the same run; then the bytes a rank sends per step in each of SINGA's
 * distributed modes for a list of gradient sizes (ResNet-18's by default). Medians of repetitions.
 *
 * <pre>
 * AllReduceBench [--sizes-mb 4,64,256] [--ranks 2,4] [--reps 5] [--chunk-kb K] [--socket-buffer-kb K]
 *                [--mode-ranks 4] [--sparse-steps 5] [--grad-std 0.02] [--spars 0.05] [--grad-sizes n1,n2,...]
 *                [--skip-bandwidth] [--skip-modes]
 * </pre>
 */
public final class AllReduceBench {

    private AllReduceBench() {
    }

    public static void main(String[] args) throws IOException {
        Map<String, String> options = parse(args);
        int[] sizesMb = ints(options.getOrDefault("sizes-mb", "4,64,256"));
        int[] worldSizes = ints(options.getOrDefault("ranks", "2,4"));
        int repetitions = Integer.parseInt(options.getOrDefault("reps", "5"));
        TcpOptions tcp = TcpOptions.defaults().withBindHost("127.0.0.1").withTimeout(Duration.ofMinutes(5));
        if (options.containsKey("chunk-kb")) {
            tcp = tcp.withChunkBytes(Integer.parseInt(options.get("chunk-kb")) << 10);
        }
        if (options.containsKey("socket-buffer-kb")) {
            tcp = tcp.withSocketBufferBytes(Integer.parseInt(options.get("socket-buffer-kb")) << 10);
        }

        System.out.printf("sonnx nccl-bridge TCP ring benchmark, %s%n", Instant.now());
        System.out.printf("java %s, %d cores, load average %s, chunk %d KiB, socket buffers %d MiB%n",
                System.getProperty("java.version"), Runtime.getRuntime().availableProcessors(), loadAverage(),
                tcp.chunkBytes() >> 10, tcp.socketBufferBytes() >> 20);

        if (!options.containsKey("skip-bandwidth")) {
            System.out.printf("%nall-reduce, fp32 sum, ranks as threads over loopback, median of %d%n", repetitions);
            System.out.printf("%8s %6s %12s %14s %14s %14s %16s%n", "size", "ranks", "time ms", "algbw GB/s",
                    "busbw GB/s", "memcpy GB/s", "tcp stream GB/s");
            for (int mb : sizesMb) {
                int bytes = mb << 20;
                double memcpy = bytes / Bandwidth.memcpySeconds(bytes, Math.max(repetitions, 5)) / 1e9;
                double stream = bytes / Bandwidth.loopbackStreamSeconds(bytes, repetitions, tcp) / 1e9;
                for (int ranks : worldSizes) {
                    double seconds = Bandwidth.allReduceSeconds(ranks, bytes, repetitions, tcp);
                    double algorithmBandwidth = bytes / seconds / 1e9;
                    double busBandwidth = algorithmBandwidth * 2 * (ranks - 1) / ranks;
                    System.out.printf("%6d MB %6d %12.1f %14.3f %14.3f %14.2f %16.3f%n", mb, ranks, seconds * 1e3,
                            algorithmBandwidth, busBandwidth, memcpy, stream);
                }
            }
        }

        if (!options.containsKey("skip-modes")) {
            int[] gradientSizes = options.containsKey("grad-sizes")
                    ? ints(options.get("grad-sizes")) : ResNet18Gradients.inBackwardOrder();
            int ranks = Integer.parseInt(options.getOrDefault("mode-ranks", "4"));
            long elements = Arrays.stream(gradientSizes).asLongStream().sum();
            FusedBuckets buckets = FusedBuckets.plan(gradientSizes, FusedBuckets.SINGA_THRESHOLD);
            System.out.printf("%nbytes sent per step and rank, %d ranks, %d gradient tensors, %,d floats (%.1f MB),"
                            + " %d buckets at SINGA's threshold %,d%n", ranks, gradientSizes.length, elements,
                    elements * 4 / 1e6, buckets.bucketCount(), FusedBuckets.SINGA_THRESHOLD);
            ModeTraffic traffic = new ModeTraffic(gradientSizes, ranks,
                    Integer.parseInt(options.getOrDefault("sparse-steps", "5")),
                    Float.parseFloat(options.getOrDefault("grad-std", "0.02")),
                    Float.parseFloat(options.getOrDefault("spars", "0.05")), tcp);
            List<ModeTraffic.Row> rows = traffic.measure();
            double fp32 = rows.get(0).meanBytes();
            System.out.printf("%-16s %14s %8s %14s %14s  %s%n", "mode", "bytes/step", "vs fp32", "fewest", "most",
                    "what");
            for (ModeTraffic.Row row : rows) {
                System.out.printf("%-16s %,14.0f %7.1f%% %,14d %,14d  %s%n", row.mode(), row.meanBytes(),
                        100 * row.meanBytes() / fp32, row.fewestBytes(), row.mostBytes(), row.note());
            }
        }
    }

    private static Map<String, String> parse(String[] args) {
        Map<String, String> options = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument " + args[i] + "; options start with --");
            }
            String name = args[i].substring(2);
            boolean flag = name.startsWith("skip-");
            options.put(name, flag ? "" : args[++i]);
        }
        return options;
    }

    private static int[] ints(String commaSeparated) {
        return Arrays.stream(commaSeparated.split(",")).map(String::trim).mapToInt(Integer::parseInt).toArray();
    }

    private static String loadAverage() {
        try {
            String[] fields = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
            return fields[0] + " " + fields[1] + " " + fields[2];
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }
}
