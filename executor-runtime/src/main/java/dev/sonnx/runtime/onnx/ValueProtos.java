package dev.sonnx.runtime.onnx;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.sonnx.runtime.onnx.proto.Onnx.MapProto;
import dev.sonnx.runtime.onnx.proto.Onnx.OptionalProto;
import dev.sonnx.runtime.onnx.proto.Onnx.SequenceProto;
import dev.sonnx.runtime.onnx.proto.Onnx.TensorProto;
import dev.sonnx.runtime.onnx.proto.Onnx.TypeProto;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.MapValue;
import dev.sonnx.runtime.tensor.OptionalValue;
import dev.sonnx.runtime.tensor.SequenceValue;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import dev.sonnx.runtime.util.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Values in files (the {@code input_N.pb}/{@code output_N.pb} of ONNX test data): a TensorProto, or
 * the SequenceProto / OptionalProto / MapProto that the value's declared type calls for.
 */
public final class ValueProtos {
    private ValueProtos() {
    }

    /** Reads a value file as the declared {@code type} says (a tensor when the type is unknown). */
    public static Value read(Path file, TypeProto type) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new OnnxFormatException("cannot read " + file + ": " + e, e);
        }
        try {
            return switch (type == null ? TypeProto.ValueCase.TENSOR_TYPE : type.getValueCase()) {
                case SEQUENCE_TYPE -> fromSequence(SequenceProto.parseFrom(bytes));
                case OPTIONAL_TYPE -> fromOptional(OptionalProto.parseFrom(bytes));
                case MAP_TYPE -> fromMap(MapProto.parseFrom(bytes));
                default -> TensorProtos.toTensor(TensorProto.parseFrom(bytes));
            };
        } catch (InvalidProtocolBufferException e) {
            throw new OnnxFormatException(file + " is not a valid protobuf value: " + e.getMessage(), e);
        } catch (OnnxFormatException e) {
            throw new OnnxFormatException(file + ": " + e.getMessage(), e);
        }
    }

    public static Value fromSequence(SequenceProto s) {
        List<Value> items = new ArrayList<>();
        DataType elem = null;
        for (TensorProto t : s.getTensorValuesList()) {
            Tensor v = TensorProtos.toTensor(t);
            elem = v.dtype();
            items.add(v);
        }
        for (SequenceProto inner : s.getSequenceValuesList()) {
            items.add(fromSequence(inner));
        }
        for (MapProto m : s.getMapValuesList()) {
            items.add(fromMap(m));
        }
        for (OptionalProto o : s.getOptionalValuesList()) {
            items.add(fromOptional(o));
        }
        return new SequenceValue(elem, items);
    }

    public static OptionalValue fromOptional(OptionalProto o) {
        if (o.hasTensorValue()) {
            return OptionalValue.of(TensorProtos.toTensor(o.getTensorValue()));
        }
        if (o.hasSequenceValue()) {
            return OptionalValue.of(fromSequence(o.getSequenceValue()));
        }
        if (o.hasMapValue()) {
            return OptionalValue.of(fromMap(o.getMapValue()));
        }
        if (o.hasOptionalValue()) {
            return OptionalValue.of(fromOptional(o.getOptionalValue()));
        }
        return OptionalValue.empty(o.getElemType() == OptionalProto.DataType.SEQUENCE_VALUE ? "sequence" : "tensor");
    }

    public static MapValue fromMap(MapProto m) {
        DataType keyType = DataType.fromCode(m.getKeyType());
        Value values = fromSequence(m.getValues());
        List<Value> items = ((SequenceValue) values).items();
        Map<Object, Value> entries = new LinkedHashMap<>();
        int n = keyType == DataType.STRING ? m.getStringKeysCount() : m.getKeysCount();
        if (n != items.size()) {
            throw new OnnxFormatException("map has " + n + " keys and " + items.size() + " values");
        }
        for (int i = 0; i < n; i++) {
            Object key = keyType == DataType.STRING ? m.getStringKeys(i).toString(StandardCharsets.UTF_8) : m.getKeys(i);
            entries.put(key, items.get(i));
        }
        return new MapValue(keyType, entries);
    }

    /** Serializes a value: TensorProto, SequenceProto or OptionalProto bytes. */
    public static byte[] toBytes(Value v, String name) {
        if (v instanceof Tensor t) {
            return TensorProtos.fromTensor(t, name).toByteArray();
        }
        if (v instanceof SequenceValue s) {
            return toSequence(s, name).toByteArray();
        }
        if (v instanceof OptionalValue o) {
            return toOptional(o, name).toByteArray();
        }
        throw new IllegalArgumentException("cannot serialize " + v.describe());
    }

    public static SequenceProto toSequence(SequenceValue s, String name) {
        SequenceProto.Builder b = SequenceProto.newBuilder();
        if (name != null) {
            b.setName(name);
        }
        b.setElemType(SequenceProto.DataType.TENSOR_VALUE);
        for (Value item : s.items()) {
            if (item instanceof Tensor t) {
                b.addTensorValues(TensorProtos.fromTensor(t, null));
            } else if (item instanceof SequenceValue inner) {
                b.setElemType(SequenceProto.DataType.SEQUENCE_VALUE);
                b.addSequenceValues(toSequence(inner, null));
            } else if (item instanceof OptionalValue o) {
                b.setElemType(SequenceProto.DataType.OPTIONAL_VALUE);
                b.addOptionalValues(toOptional(o, null));
            }
        }
        return b.build();
    }

    public static OptionalProto toOptional(OptionalValue o, String name) {
        OptionalProto.Builder b = OptionalProto.newBuilder();
        if (name != null) {
            b.setName(name);
        }
        Value v = o.value();
        if (v instanceof Tensor t) {
            b.setElemType(OptionalProto.DataType.TENSOR_VALUE).setTensorValue(TensorProtos.fromTensor(t, null));
        } else if (v instanceof SequenceValue s) {
            b.setElemType(OptionalProto.DataType.SEQUENCE_VALUE).setSequenceValue(toSequence(s, null));
        }
        return b.build();
    }

    /** Writes a value file atomically. */
    public static void write(Path file, Value v, String name) {
        try {
            AtomicFiles.write(file, toBytes(v, name));
        } catch (IOException e) {
            throw new OnnxFormatException("cannot write " + file + ": " + e, e);
        }
    }
}
