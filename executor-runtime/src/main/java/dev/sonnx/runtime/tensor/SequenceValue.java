package dev.sonnx.runtime.tensor;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** An ONNX sequence: an ordered list of values of one element type (tensors in practice). */
public final class SequenceValue implements Value {
    private final DataType elementType;
    private final List<Value> items;

    public SequenceValue(DataType elementType, List<? extends Value> items) {
        this.elementType = elementType;
        this.items = Collections.unmodifiableList(new ArrayList<>(items));
    }

    /** The tensor element type, or null when the sequence holds non-tensor values. */
    public DataType elementType() {
        return elementType;
    }

    public List<Value> items() {
        return items;
    }

    public int size() {
        return items.size();
    }

    public Value get(int i) {
        return items.get(i);
    }

    @Override
    public String describe() {
        return "seq<" + (elementType == null ? "?" : elementType.onnxName()) + ">(" + items.size() + ")";
    }

    @Override
    public String toString() {
        return describe();
    }
}
