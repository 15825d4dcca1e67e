package dev.sonnx.runtime.ops;

import dev.sonnx.runtime.onnx.TensorProtos;
import dev.sonnx.runtime.onnx.proto.Onnx.AttributeProto;
import dev.sonnx.runtime.onnx.proto.Onnx.GraphProto;
import dev.sonnx.runtime.tensor.Tensor;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** A node's attributes with typed getters; a wrong type or a missing required one is a clear error. */
public final class Attributes {
    private final Map<String, AttributeProto> byName;

    public Attributes(List<AttributeProto> attributes) {
        Map<String, AttributeProto> m = new LinkedHashMap<>();
        for (AttributeProto a : attributes) {
            if (m.put(a.getName(), a) != null) {
                throw new IllegalArgumentException("attribute '" + a.getName() + "' is given twice");
            }
        }
        this.byName = Collections.unmodifiableMap(m);
    }

    public boolean has(String name) {
        return byName.containsKey(name);
    }

    public Set<String> names() {
        return byName.keySet();
    }

    /** The attribute itself, or null. */
    public AttributeProto get(String name) {
        return byName.get(name);
    }

    public long getLong(String name, long defaultValue) {
        AttributeProto a = byName.get(name);
        return a == null ? defaultValue : expect(a, AttributeProto.AttributeType.INT).getI();
    }

    public int getInt(String name, int defaultValue) {
        long v = getLong(name, defaultValue);
        if (v != (int) v) {
            throw new IllegalArgumentException("attribute '" + name + "' = " + v + " is out of range");
        }
        return (int) v;
    }

    public long requireLong(String name) {
        return expect(require(name), AttributeProto.AttributeType.INT).getI();
    }

    public float getFloat(String name, float defaultValue) {
        AttributeProto a = byName.get(name);
        return a == null ? defaultValue : expect(a, AttributeProto.AttributeType.FLOAT).getF();
    }

    public String getString(String name, String defaultValue) {
        AttributeProto a = byName.get(name);
        return a == null ? defaultValue : expect(a, AttributeProto.AttributeType.STRING).getS()
                .toString(StandardCharsets.UTF_8);
    }

    /** INTS attribute as longs; null when absent and no default. */
    public long[] getLongs(String name, long[] defaultValue) {
        AttributeProto a = byName.get(name);
        if (a == null) {
            return defaultValue;
        }
        expect(a, AttributeProto.AttributeType.INTS);
        return a.getIntsList().stream().mapToLong(Long::longValue).toArray();
    }

    /** INTS attribute as ints, refusing values out of int range. */
    public int[] getInts(String name, int[] defaultValue) {
        long[] v = getLongs(name, null);
        if (v == null) {
            return defaultValue;
        }
        int[] r = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            if (v[i] != (int) v[i]) {
                throw new IllegalArgumentException("attribute '" + name + "' value " + v[i] + " is out of range");
            }
            r[i] = (int) v[i];
        }
        return r;
    }

    public float[] getFloats(String name, float[] defaultValue) {
        AttributeProto a = byName.get(name);
        if (a == null) {
            return defaultValue;
        }
        expect(a, AttributeProto.AttributeType.FLOATS);
        float[] r = new float[a.getFloatsCount()];
        for (int i = 0; i < r.length; i++) {
            r[i] = a.getFloats(i);
        }
        return r;
    }

    public String[] getStrings(String name, String[] defaultValue) {
        AttributeProto a = byName.get(name);
        if (a == null) {
            return defaultValue;
        }
        expect(a, AttributeProto.AttributeType.STRINGS);
        return a.getStringsList().stream().map(s -> s.toString(StandardCharsets.UTF_8)).toArray(String[]::new);
    }

    /** A TENSOR attribute converted to a host tensor; null when absent. */
    public Tensor getTensor(String name) {
        AttributeProto a = byName.get(name);
        return a == null ? null : TensorProtos.toTensor(expect(a, AttributeProto.AttributeType.TENSOR).getT());
    }

    /** A GRAPH attribute; null when absent. */
    public GraphProto getGraph(String name) {
        AttributeProto a = byName.get(name);
        return a == null ? null : expect(a, AttributeProto.AttributeType.GRAPH).getG();
    }

    public AttributeProto require(String name) {
        AttributeProto a = byName.get(name);
        if (a == null) {
            throw new IllegalArgumentException("required attribute '" + name + "' is missing");
        }
        return a;
    }

    /**
     * Checks an attribute's declared type. Files from old exporters sometimes omit {@code type}
     * (IR version 1); the field in use then tells.
     */
    private static AttributeProto expect(AttributeProto a, AttributeProto.AttributeType type) {
        AttributeProto.AttributeType actual = a.hasType() && a.getType() != AttributeProto.AttributeType.UNDEFINED
                ? a.getType() : inferType(a);
        if (actual != type) {
            throw new IllegalArgumentException("attribute '" + a.getName() + "' is " + actual + ", expected " + type);
        }
        return a;
    }

    private static AttributeProto.AttributeType inferType(AttributeProto a) {
        if (a.hasF()) {
            return AttributeProto.AttributeType.FLOAT;
        }
        if (a.hasI()) {
            return AttributeProto.AttributeType.INT;
        }
        if (a.hasS()) {
            return AttributeProto.AttributeType.STRING;
        }
        if (a.hasT()) {
            return AttributeProto.AttributeType.TENSOR;
        }
        if (a.hasG()) {
            return AttributeProto.AttributeType.GRAPH;
        }
        if (a.getFloatsCount() > 0) {
            return AttributeProto.AttributeType.FLOATS;
        }
        if (a.getIntsCount() > 0) {
            return AttributeProto.AttributeType.INTS;
        }
        if (a.getStringsCount() > 0) {
            return AttributeProto.AttributeType.STRINGS;
        }
        if (a.getTensorsCount() > 0) {
            return AttributeProto.AttributeType.TENSORS;
        }
        if (a.getGraphsCount() > 0) {
            return AttributeProto.AttributeType.GRAPHS;
        }
        return AttributeProto.AttributeType.UNDEFINED;
    }
}
