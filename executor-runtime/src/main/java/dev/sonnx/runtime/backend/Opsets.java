package dev.sonnx.runtime.backend;

import dev.sonnx.runtime.onnx.proto.Onnx.OperatorSetIdProto;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The operator-set versions a model (or a function) imports, by domain ("" is ONNX's own). */
public final class Opsets {
    /** The highest ONNX opset whose semantics sonnx implements; newer models are refused by name. */
    public static final int MAX_ONNX_OPSET = 23;

    private final Map<String, Integer> versions;

    public Opsets(List<OperatorSetIdProto> imports, long irVersion) {
        Map<String, Integer> m = new LinkedHashMap<>();
        for (OperatorSetIdProto o : imports) {
            m.put(normalize(o.getDomain()), (int) o.getVersion());
        }
        // IR version 1 and 2 files predate opset_import and mean ONNX opset 1.
        if (imports.isEmpty() && irVersion < 3) {
            m.put("", 1);
        }
        this.versions = Collections.unmodifiableMap(m);
    }

    private Opsets(Map<String, Integer> versions) {
        this.versions = versions;
    }

    /** These imports overlaid with {@code overrides} (a function's own imports inside a model). */
    public Opsets with(List<OperatorSetIdProto> overrides) {
        Map<String, Integer> m = new LinkedHashMap<>(versions);
        for (OperatorSetIdProto o : overrides) {
            m.put(normalize(o.getDomain()), (int) o.getVersion());
        }
        return new Opsets(Collections.unmodifiableMap(m));
    }

    /** The imported version of {@code domain}, or -1. */
    public int version(String domain) {
        return versions.getOrDefault(normalize(domain), -1);
    }

    public Map<String, Integer> all() {
        return versions;
    }

    public static String normalize(String domain) {
        return domain == null || domain.equals("ai.onnx") ? "" : domain;
    }
}
