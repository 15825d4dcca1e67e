package dev.sonnx.runtime.tensor;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** An ONNX map from integer or string keys to values, in insertion order. */
public final class MapValue implements Value {
    private final DataType keyType;
    private final Map<Object, Value> entries;

    public MapValue(DataType keyType, Map<Object, ? extends Value> entries) {
        this.keyType = keyType;
        this.entries = Collections.unmodifiableMap(new LinkedHashMap<>(entries));
    }

    public DataType keyType() {
        return keyType;
    }

    /** Keys are {@link Long} for integer key types and {@link String} for STRING. */
    public Map<Object, Value> entries() {
        return entries;
    }

    @Override
    public String describe() {
        return "map<" + keyType.onnxName() + ">(" + entries.size() + ")";
    }
}
