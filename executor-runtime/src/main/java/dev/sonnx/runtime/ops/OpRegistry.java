package dev.sonnx.runtime.ops;

import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Operators keyed by (domain, op type, since-version), as ONNX versions them: a node binds to the
 * entry with the highest since-version not above the opset its model imports. So Softmax-1 and
 * Softmax-13 are two visible entries, not a branch inside one class.
 */
public final class OpRegistry {

    /** Creates the operator for one node, at prepare. */
    @FunctionalInterface
    public interface Factory {
        Operator create(Node node, BuildContext build);
    }

    /** A family of operators that registers itself (one per package of the {@code ops} tree). */
    @FunctionalInterface
    public interface OpSet {
        void register(OpRegistry registry);
    }

    private final Map<String, NavigableMap<Integer, Factory>> entries = new ConcurrentHashMap<>();

    /** Registers an operator of the default ONNX domain valid from {@code sinceVersion}. */
    public OpRegistry add(String opType, int sinceVersion, Factory factory) {
        return add("", opType, sinceVersion, factory);
    }

    public OpRegistry add(String domain, String opType, int sinceVersion, Factory factory) {
        NavigableMap<Integer, Factory> versions = entries.computeIfAbsent(key(domain, opType), k -> new TreeMap<>());
        if (versions.put(sinceVersion, factory) != null) {
            throw new IllegalStateException(opType + "-" + sinceVersion + " is registered twice");
        }
        return this;
    }

    /** The factory for {@code opType} at {@code opsetVersion}, or null when unsupported. */
    public Factory resolve(String domain, String opType, int opsetVersion) {
        NavigableMap<Integer, Factory> versions = entries.get(key(domain, opType));
        if (versions == null) {
            return null;
        }
        Map.Entry<Integer, Factory> e = versions.floorEntry(opsetVersion);
        return e == null ? null : e.getValue();
    }

    /** The since-version a node would bind to, or -1. */
    public int resolvedVersion(String domain, String opType, int opsetVersion) {
        NavigableMap<Integer, Factory> versions = entries.get(key(domain, opType));
        Integer v = versions == null ? null : versions.floorKey(opsetVersion);
        return v == null ? -1 : v;
    }

    public boolean supports(String domain, String opType, int opsetVersion) {
        return resolve(domain, opType, opsetVersion) != null;
    }

    /** Every registered "domain.OpType" (domain omitted for ONNX), sorted. */
    public Set<String> operatorNames() {
        Set<String> names = new TreeSet<>();
        for (String k : entries.keySet()) {
            names.add(k.startsWith("/") ? k.substring(1) : k.replace('/', '.'));
        }
        return names;
    }

    private static String key(String domain, String opType) {
        String d = domain == null || domain.equals("ai.onnx") ? "" : domain;
        return d + "/" + opType;
    }

    private static volatile OpRegistry standard;

    /** The registry of every operator sonnx implements. */
    public static OpRegistry standard() {
        OpRegistry r = standard;
        if (r == null) {
            synchronized (OpRegistry.class) {
                r = standard;
                if (r == null) {
                    r = new OpRegistry();
                    for (OpSet set : StandardOps.FAMILIES) {
                        set.register(r);
                    }
                    standard = r;
                }
            }
        }
        return r;
    }
}
