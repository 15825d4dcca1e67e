package dev.sonnx.runtime.tensor;

/** An ONNX optional: either holds one value or is empty (and still knows its declared element type). */
public final class OptionalValue implements Value {
    private final Value value;
    private final String elementTypeName;

    private OptionalValue(Value value, String elementTypeName) {
        this.value = value;
        this.elementTypeName = elementTypeName;
    }

    public static OptionalValue of(Value value) {
        return new OptionalValue(value, null);
    }

    /** An empty optional; the type name only serves messages. */
    public static OptionalValue empty(String elementTypeName) {
        return new OptionalValue(null, elementTypeName);
    }

    public boolean isPresent() {
        return value != null;
    }

    /** The value held, or null when empty. */
    public Value value() {
        return value;
    }

    @Override
    public String describe() {
        return value == null ? "optional<" + (elementTypeName == null ? "?" : elementTypeName) + ">(empty)"
                : "optional(" + value.describe() + ")";
    }

    @Override
    public String toString() {
        return describe();
    }
}
