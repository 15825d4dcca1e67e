package dev.sonnx.runtime.backend;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Time spent per operator type, when the system property {@code sonnx.profile} is {@code true}, or per
 * node (its label: type and name) when it is {@code nodes}; off, it costs one branch per node.
 */
public final class Profiler {
    private static final String MODE = System.getProperty("sonnx.profile", "false");
    public static final boolean ENABLED = MODE.equals("true") || MODE.equals("nodes");
    /** Whether times are kept per node rather than per operator type. */
    public static final boolean PER_NODE = MODE.equals("nodes");
    private static final Map<String, LongAdder[]> TIMES = new ConcurrentHashMap<>();

    private Profiler() {
    }

    public static void record(String opType, long nanos) {
        LongAdder[] a = TIMES.computeIfAbsent(opType, k -> new LongAdder[] {new LongAdder(), new LongAdder()});
        a[0].add(nanos);
        a[1].increment();
    }

    /** Clears what was recorded (after warm-up runs). */
    public static void reset() {
        TIMES.clear();
    }

    /** Operator types by total time, as lines "op: total ms (calls)". */
    public static String report() {
        StringBuilder sb = new StringBuilder();
        TIMES.entrySet().stream()
                .sorted((x, y) -> Long.compare(y.getValue()[0].sum(), x.getValue()[0].sum()))
                .forEach(e -> sb.append(String.format(java.util.Locale.ROOT, "  %-24s %10.2f ms %8d calls%n",
                        e.getKey(), e.getValue()[0].sum() / 1e6, e.getValue()[1].sum())));
        return sb.toString();
    }
}
