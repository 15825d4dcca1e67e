package dev.sonnx.runtime.export;

import static dev.sonnx.runtime.export.OpsetConverter.attribute;
import static dev.sonnx.runtime.export.OpsetConverter.constantInput;
import static dev.sonnx.runtime.export.OpsetConverter.intAttr;
import static dev.sonnx.runtime.export.OpsetConverter.moveBetweenAttributeAndInput;
import static dev.sonnx.runtime.export.OpsetConverter.nodeId;
import static dev.sonnx.runtime.export.OpsetConverter.refuse;
import static dev.sonnx.runtime.export.OpsetConverter.withInput;
import static dev.sonnx.runtime.export.OpsetConverter.withoutAttribute;
import static dev.sonnx.runtime.export.OpsetConverter.withoutInput;

import dev.sonnx.runtime.export.OpsetConverter.Constants;
import dev.sonnx.runtime.onnx.proto.Onnx.AttributeProto;
import dev.sonnx.runtime.onnx.proto.Onnx.NodeProto;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;

/**
 * The operators whose form changed between opsets 7 and 11, converted both ways (what ONNX's own
 * version converter calls clip_10_11, pad_10_11, slice_9_10, topk_9_10, upsample_8_9 / 9_10,
 * resize_10_11, scatter_10_11 and batch_normalization_8_9): attributes that became inputs, and
 * Upsample, which became Resize. Going up needs nothing but the node; going down needs each input
 * that becomes an attribute to be a constant, and a form the older opset can express, else the node
 * is refused with its name.
 */
final class LegacyForms {
    private LegacyForms() {
    }

    /** Clip's min and max: float attributes before opset 11, scalar inputs of the data's type from it. */
    static NodeProto clip(NodeProto n, int from, int to, Constants constants) {
        if (from < 11 && to >= 11) {
            AttributeProto min = attribute(n, "min");
            AttributeProto max = attribute(n, "max");
            DataType type = dataType(n.getInput(0), constants);
            NodeProto.Builder b = withoutAttribute(withoutAttribute(n, "min"), "max").toBuilder();
            if (min != null || max != null) {
                b.addInput(min == null ? "" : constants.add(nodeId(n) + "_min", Tensor.scalar(type, min.getF())));
            }
            if (max != null) {
                b.addInput(constants.add(nodeId(n) + "_max", Tensor.scalar(type, max.getF())));
            }
            return b.build();
        }
        if (from >= 11 && to < 11) {
            NodeProto.Builder b = n.toBuilder().clearInput().addInput(n.getInput(0));
            String[] bounds = {"min", "max"};
            for (int i = 1; i <= 2; i++) {
                Tensor bound = constantInput(n, i, to, bounds[i - 1], constants);
                if (bound != null) {
                    b.addAttribute(floatAttribute(bounds[i - 1], bound.getFloat(0)));
                }
            }
            return b.build();
        }
        return n;
    }

    /** Pad's pads and value: attributes before opset 11, inputs from it; opset 18's axes input. */
    static NodeProto pad(NodeProto n, int from, int to, Constants constants) {
        if (to < 19 && "wrap".equals(stringAttr(n, "mode", "constant"))) {
            throw refuse(n, to, "mode 'wrap' exists only from opset 19");
        }
        if (from >= 18 && to < 18 && n.getInputCount() > 3 && !n.getInput(3).isEmpty()) {
            throw refuse(n, to, "its axes input exists only from opset 18");
        }
        if (from < 11 && to >= 11) {
            AttributeProto value = attribute(n, "value");
            NodeProto m = moveBetweenAttributeAndInput(n, "pads", 1, from, to, 11, constants);
            NodeProto.Builder b = withoutAttribute(m, "value").toBuilder();
            if (value != null && value.getF() != 0) {
                b.addInput(constants.add(nodeId(n) + "_value",
                        Tensor.scalar(dataType(n.getInput(0), constants), value.getF())));
            }
            return b.build();
        }
        if (from >= 11 && to < 11) {
            Tensor value = constantInput(n, 2, to, "constant_value", constants);
            NodeProto.Builder b = moveBetweenAttributeAndInput(withoutInput(n, 2), "pads", 1, from, to, 11, constants)
                    .toBuilder();
            if (value != null && value.getFloat(0) != 0) {
                b.addAttribute(floatAttribute("value", value.getFloat(0)));
            }
            return b.build();
        }
        return n;
    }

    /** Slice's starts, ends and axes: attributes before opset 10, inputs (and steps) from it. */
    static NodeProto slice(NodeProto n, int from, int to, Constants constants) {
        if (from < 10 && to >= 10) {
            NodeProto m = moveBetweenAttributeAndInput(n, "starts", 1, from, to, 10, constants);
            m = moveBetweenAttributeAndInput(m, "ends", 2, from, to, 10, constants);
            return moveBetweenAttributeAndInput(m, "axes", 3, from, to, 10, constants);
        }
        if (from >= 10 && to < 10) {
            Tensor steps = constantInput(n, 4, to, "steps", constants);
            if (steps != null) {
                for (long s : steps.toLongArray()) {
                    if (s != 1) {
                        throw refuse(n, to, "steps other than 1 exist only from opset 10");
                    }
                }
            }
            NodeProto m = withoutInput(n, 4);
            m = moveBetweenAttributeAndInput(m, "axes", 3, from, to, 10, constants);
            m = moveBetweenAttributeAndInput(m, "ends", 2, from, to, 10, constants);
            return moveBetweenAttributeAndInput(m, "starts", 1, from, to, 10, constants);
        }
        return n;
    }

    /** TopK's k: an attribute before opset 10, a one-element input from it. */
    static NodeProto topK(NodeProto n, int from, int to, Constants constants) {
        if (from < 10 && to >= 10) {
            long k = intAttr(n, "k", -1);
            if (k < 0) {
                throw refuse(n, from, "it has no k");
            }
            return withoutAttribute(n, "k").toBuilder()
                    .addInput(constants.add(nodeId(n) + "_k", Tensor.of(new long[] {k}, 1))).build();
        }
        if (from >= 10 && to < 10) {
            Tensor k = constantInput(n, 1, to, "K", constants);
            return withoutInput(n, 1).toBuilder().addAttribute(AttributeProto.newBuilder().setName("k")
                    .setType(AttributeProto.AttributeType.INT).setI(k.toLongArray()[0])).build();
        }
        return n;
    }

    /** BatchNormalization's spatial attribute, gone at opset 9: only its default (1) converts. */
    static NodeProto batchNormSpatial(NodeProto n, int from, int to) {
        if (from < 9 && to >= 9) {
            if (intAttr(n, "spatial", 1) != 1) {
                throw refuse(n, to, "spatial=0 exists only before opset 9");
            }
            return withoutAttribute(n, "spatial");
        }
        return n;
    }

    /** Scatter became ScatterElements at opset 11, with the same semantics. */
    static NodeProto scatter(NodeProto n, int from, int to) {
        if (n.getOpType().equals("Scatter") && to >= 11) {
            return n.toBuilder().setOpType("ScatterElements").build();
        }
        if (n.getOpType().equals("ScatterElements") && to < 11) {
            return n.toBuilder().setOpType("Scatter").build();
        }
        return n;
    }

    /** Gemm's C became optional at opset 11; before it, a missing C is a zero that broadcasts. */
    static NodeProto gemmBias(NodeProto n, int to, Constants constants) {
        if (to < 11 && (n.getInputCount() < 3 || n.getInput(2).isEmpty())) {
            return withInput(n, 2,
                    constants.add(nodeId(n) + "_c", Tensor.scalar(dataType(n.getInput(0), constants), 0)));
        }
        return n;
    }

    /**
     * Upsample (to opset 9; scales an attribute at 7, an input at 9) and Resize (from opset 10; roi
     * from 11): the two forms of resampling. Upsample and Resize-10 map coordinates asymmetrically
     * and take nearest as floor when upsampling, ceil when downsampling: Resize-11 spells that out.
     */
    static NodeProto resample(NodeProto n, int from, int to, Constants constants) {
        boolean legacySource = n.getOpType().equals("Upsample") || from < 11;
        boolean legacyTarget = to < 11;
        if (n.getOpType().equals("Resize") && from >= 18 && to < 18) {
            n = withoutResize18Attributes(n, to);
        }
        if (legacySource && legacyTarget) {
            // Upsample 7 <-> 9 <-> Resize-10: the same operation, with scales in another place
            return legacyFormOf(n.getOpType(), from) == legacyFormOf("Resize", to) ? n
                    : legacyForm(n, scalesOf(n, to, constants), to, constants);
        }
        if (!legacySource && !legacyTarget) {
            return modernRoi(n, to, constants);
        }
        if (legacySource) {
            String mode = legacyMode(n);
            String scales = scalesOf(n, to, constants);
            NodeProto.Builder b = NodeProto.newBuilder(n).setOpType("Resize").clearInput().clearAttribute()
                    .addInput(n.getInput(0))
                    .addInput(to < 13 ? constants.add(nodeId(n) + "_roi", Tensor.of(new float[0], 0)) : "")
                    .addInput(scales)
                    .addAttribute(stringAttribute("mode", mode))
                    .addAttribute(stringAttribute("coordinate_transformation_mode", "asymmetric"));
            if (mode.equals("nearest")) {
                b.addAttribute(stringAttribute("nearest_mode", legacyNearest(n, scales, to, constants)));
            }
            return b.build();
        }
        // modern Resize to Upsample or Resize-10: only what those can say
        String mode = stringAttr(n, "mode", "nearest");
        if (!mode.equals("nearest") && !mode.equals("linear")) {
            throw refuse(n, to, "mode '" + mode + "' exists only from opset 11");
        }
        if (!"asymmetric".equals(stringAttr(n, "coordinate_transformation_mode", "half_pixel"))) {
            throw refuse(n, to, "only coordinate_transformation_mode 'asymmetric' converts to opset " + to);
        }
        if (n.getInputCount() > 3 && !n.getInput(3).isEmpty()) {
            throw refuse(n, to, "resizing to sizes exists only from opset 11");
        }
        if (n.getInputCount() < 3 || n.getInput(2).isEmpty()) {
            throw refuse(n, to, "it has no scales");
        }
        if (mode.equals("nearest")) {
            String wanted = legacyNearest(n, n.getInput(2), to, constants);
            if (!wanted.equals(stringAttr(n, "nearest_mode", "round_prefer_floor"))) {
                throw refuse(n, to, "only nearest_mode '" + wanted + "' converts for these scales");
            }
        }
        NodeProto legacy = NodeProto.newBuilder(n).clearInput().clearAttribute().addInput(n.getInput(0))
                .addInput(n.getInput(2)).addAttribute(stringAttribute("mode", mode)).build();
        return legacyForm(legacy, n.getInput(2), to, constants);
    }

    /** Which legacy form an operator takes at an opset: Upsample with scales attribute (0) or input (1), Resize-10 (2). */
    private static int legacyFormOf(String op, int opset) {
        return op.equals("Resize") && opset >= 10 ? 2 : opset >= 9 ? 1 : 0;
    }

    /** A legacy resampling node (one input, scales given) in the form of opset {@code to}. */
    private static NodeProto legacyForm(NodeProto n, String scales, int to, Constants constants) {
        NodeProto.Builder b = NodeProto.newBuilder(n).clearInput().addInput(n.getInput(0));
        b.clearAttribute().addAttribute(stringAttribute("mode", legacyMode(n)));
        if (to >= 10) {
            return b.setOpType("Resize").addInput(scales).build();
        }
        b.setOpType("Upsample");
        if (to >= 9) {
            return b.addInput(scales).build();
        }
        Tensor values = constants.constant(scales);
        if (values == null) {
            throw refuse(n, to, "its scales are computed; opset " + to + " needs them as an attribute");
        }
        AttributeProto.Builder a = AttributeProto.newBuilder().setName("scales")
                .setType(AttributeProto.AttributeType.FLOATS);
        for (int i = 0; i < values.size(); i++) {
            a.addFloats(values.getFloat(i));
        }
        return b.addAttribute(a).build();
    }

    /** The name of the scales of a legacy node: its input, or a constant made from Upsample-7's attribute. */
    private static String scalesOf(NodeProto n, int to, Constants constants) {
        AttributeProto attr = attribute(n, "scales");
        if (attr != null) {
            return constants.add(nodeId(n) + "_scales", Tensor.of(toFloats(attr), attr.getFloatsCount()));
        }
        if (n.getInputCount() < 2 || n.getInput(1).isEmpty()) {
            throw refuse(n, to, "it has no scales");
        }
        return n.getInput(1);
    }

    /** Upsample-7 files from some exporters say bilinear for linear. */
    private static String legacyMode(NodeProto n) {
        String mode = stringAttr(n, "mode", "nearest");
        return mode.equals("bilinear") ? "linear" : mode;
    }

    /** Legacy nearest as a Resize-11 nearest_mode: floor where every scale upsamples, ceil where every one downsamples. */
    private static String legacyNearest(NodeProto n, String scales, int to, Constants constants) {
        if (n.getOpType().equals("Upsample")) {
            return "floor"; // Upsample's scales are at least 1
        }
        Tensor s = constants.constant(scales);
        if (s == null) {
            throw refuse(n, to, "its scales are computed, and nearest rounds by whether they upsample");
        }
        boolean up = true;
        boolean down = true;
        for (int i = 0; i < s.size(); i++) {
            up &= s.getFloat(i) >= 1;
            down &= s.getFloat(i) <= 1;
        }
        if (!up && !down) {
            throw refuse(n, to, "nearest with scales that both up- and downsample has no form at opset " + to);
        }
        return up ? "floor" : "ceil";
    }

    /**
     * Resize's roi and scales: required inputs at opsets 11 and 12 (empty tensors where unused),
     * optional from 13.
     */
    private static NodeProto modernRoi(NodeProto n, int to, Constants constants) {
        if (to >= 13) {
            return n;
        }
        String[] names = {"roi", "scales"};
        for (int i = 1; i <= 2; i++) {
            if (n.getInputCount() <= i || n.getInput(i).isEmpty()) {
                n = withInput(n, i, constants.add(nodeId(n) + "_" + names[i - 1], Tensor.of(new float[0], 0)));
            }
        }
        return n;
    }

    /** Constant's value_float(s), value_int(s) and value_string(s) (opset 12) as the value tensor older opsets read. */
    static NodeProto constant(NodeProto n, int to) {
        if (to >= 12 || n.getAttributeCount() != 1 || n.getAttribute(0).getName().equals("value")) {
            return n;
        }
        AttributeProto a = n.getAttribute(0);
        Tensor v = switch (a.getName()) {
            case "value_float" -> Tensor.scalar(a.getF());
            case "value_floats" -> Tensor.of(toFloats(a), a.getFloatsCount());
            case "value_int" -> Tensor.scalar(a.getI());
            case "value_ints" -> Tensor.of(a.getIntsList().stream().mapToLong(Long::longValue).toArray(),
                    a.getIntsCount());
            case "value_string" -> Tensor.of(new String[] {a.getS().toStringUtf8()});
            case "value_strings" -> Tensor.of(a.getStringsList().stream().map(com.google.protobuf.ByteString::toStringUtf8)
                    .toArray(String[]::new), a.getStringsCount());
            default -> throw refuse(n, to, "its " + a.getName() + " exists only from opset " + (a.getName()
                    .equals("sparse_value") ? 11 : 12));
        };
        return n.toBuilder().clearAttribute().addAttribute(AttributeProto.newBuilder().setName("value")
                .setType(AttributeProto.AttributeType.TENSOR)
                .setT(dev.sonnx.runtime.onnx.TensorProtos.fromTensor(v, ""))).build();
    }

    private static float[] toFloats(AttributeProto a) {
        float[] f = new float[a.getFloatsCount()];
        for (int i = 0; i < f.length; i++) {
            f[i] = a.getFloats(i);
        }
        return f;
    }

    /** Opset 18's antialias, axes and keep_aspect_ratio_policy: dropped at their defaults, else refused. */
    private static NodeProto withoutResize18Attributes(NodeProto n, int to) {
        if (intAttr(n, "antialias", 0) != 0 || attribute(n, "axes") != null
                || !"stretch".equals(stringAttr(n, "keep_aspect_ratio_policy", "stretch"))) {
            throw refuse(n, to, "antialias, axes and keep_aspect_ratio_policy exist only from opset 18");
        }
        return withoutAttribute(withoutAttribute(n, "antialias"), "keep_aspect_ratio_policy");
    }

    private static DataType dataType(String value, Constants constants) {
        DataType t = constants.dtype(value);
        return t != null ? t : DataType.FLOAT;
    }

    static String stringAttr(NodeProto n, String name, String def) {
        AttributeProto a = attribute(n, name);
        return a == null ? def : a.getS().toStringUtf8();
    }

    private static AttributeProto floatAttribute(String name, float value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.FLOAT).setF(value).build();
    }

    private static AttributeProto stringAttribute(String name, String value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.STRING)
                .setS(com.google.protobuf.ByteString.copyFromUtf8(value)).build();
    }
}
