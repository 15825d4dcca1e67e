package dev.sonnx.runtime.backend;

import dev.sonnx.runtime.onnx.proto.Onnx.AttributeProto;
import dev.sonnx.runtime.onnx.proto.Onnx.NodeProto;
import java.util.Map;
import java.util.Set;

/**
 * Which steps of an inference plan compute values that depend only on the shapes of the graph
 * inputs: exporters' shape arithmetic (Shape, Gather, Unsqueeze, Concat, Range, Cast... feeding
 * Reshape, Slice and masks), which prepare cannot fold because the inputs' dimensions are symbolic.
 * Once a run has seen the input shapes, {@link ShapeSpecialisation} keeps those values for the next
 * runs of the same shapes and skips the steps.
 *
 * <p>Two properties, worked out in plan order:
 * <ul>
 *   <li>a slot's shape is <em>determined</em> when it is a graph input or constant, or comes from an
 *   operator whose output shape follows from its inputs' shapes (elementwise, products, convolutions,
 *   Concat, Gather, Transpose...) and from the values of its "shape inputs" (Reshape's shape, Slice's
 *   starts, Range's limits...), those values being determined too;</li>
 *   <li>a slot's value is <em>determined</em> when it is a constant, the Shape or Size of a slot whose
 *   shape is determined, or the output of a deterministic operator without bodies whose inputs are all
 *   determined values.</li>
 * </ul>
 * Operators outside these tables (NonZero, Unique, TopK with a computed K...) end both properties,
 * so a Shape of their outputs is never kept across runs. Plans with control flow (If, Loop, Scan)
 * are left whole: their bodies read enclosing values by name.
 */
final class ShapeArithmetic {
    /** Operators whose output shapes follow from their inputs' shapes and attributes alone. */
    private static final Set<String> SHAPE_FROM_SHAPES = Set.of(
            "Abs", "Acos", "Add", "And", "ArgMax", "ArgMin", "Asin", "Atan", "AveragePool", "BatchNormalization",
            "BitShift", "Cast", "CastLike", "Ceil", "Celu", "Clip", "Concat", "Conv", "Cos", "Cosh", "CumSum",
            "DequantizeLinear", "Div", "Dropout", "Einsum", "Elu", "Equal", "Erf", "Exp", "Flatten", "Floor",
            "Gather", "GatherElements", "Gelu", "Gemm", "GlobalAveragePool", "GlobalMaxPool", "Greater",
            "GreaterOrEqual", "HardSigmoid", "HardSwish", "Identity", "InstanceNormalization", "IsInf", "IsNaN",
            "LayerNormalization", "LeakyRelu", "Less", "LessOrEqual", "Log", "LogSoftmax", "MatMul", "Max",
            "MaxPool", "Mean", "Min", "Mish", "Mod", "Mul", "Neg", "Not", "Or", "PRelu", "Pow",
            "QuantizeLinear", "Reciprocal", "Relu", "Round", "ScatterElements", "ScatterND", "Selu", "Shape",
            "Shrink", "Sigmoid", "Sign", "Sin", "Sinh", "Size", "Softmax", "Softplus", "Softsign", "Sqrt", "Sub",
            "Sum", "Tan", "Tanh", "ThresholdedRelu", "Transpose", "Trilu", "Where", "Xor",
            // sonnx's inference rewrites
            "FusedConv", "FusedMatMul", "ToChannelsLast", "ToChannelsFirst", "NhwcMaxPool", "NhwcAveragePool",
            "NhwcGlobalAveragePool", "NhwcGlobalMaxPool", "PointwiseDepthwiseConv");

    /** Operators whose output shapes also follow from the values of these inputs. */
    private static final Map<String, int[]> SHAPE_INPUTS = Map.ofEntries(
            Map.entry("Reshape", new int[] {1}), Map.entry("Expand", new int[] {1}), Map.entry("Tile", new int[] {1}),
            Map.entry("Slice", new int[] {1, 2, 3, 4}), Map.entry("Squeeze", new int[] {1}),
            Map.entry("Unsqueeze", new int[] {1}), Map.entry("Split", new int[] {1}),
            Map.entry("ConstantOfShape", new int[] {0}), Map.entry("Range", new int[] {0, 1, 2}),
            Map.entry("Pad", new int[] {1, 3}), Map.entry("NhwcPad", new int[] {1, 3}),
            Map.entry("OneHot", new int[] {1}), Map.entry("ReduceMean", new int[] {1}),
            Map.entry("ReduceSum", new int[] {1}), Map.entry("ReduceMax", new int[] {1}),
            Map.entry("ReduceMin", new int[] {1}), Map.entry("ReduceProd", new int[] {1}),
            Map.entry("ReduceL1", new int[] {1}), Map.entry("ReduceL2", new int[] {1}),
            Map.entry("ReduceLogSum", new int[] {1}), Map.entry("ReduceLogSumExp", new int[] {1}),
            Map.entry("ReduceSumSquare", new int[] {1}));

    /** Per step: every output is a determined value, and none is a graph output. */
    final boolean[] derivedStep;
    /** Per slot: the output of a derived step that a step outside the derived ones reads. */
    final boolean[] frontier;
    /** How many slots {@link #frontier} marks. */
    final int frontierCount;
    /** Whether any step is derived (else there is nothing to specialise). */
    final boolean any;

    private ShapeArithmetic(boolean[] derivedStep, boolean[] frontier, boolean any) {
        this.derivedStep = derivedStep;
        this.frontier = frontier;
        int n = 0;
        for (boolean f : frontier) {
            n += f ? 1 : 0;
        }
        this.frontierCount = n;
        this.any = any;
    }

    static ShapeArithmetic of(Plan plan) {
        int slots = plan.slotNames.length;
        for (Plan.Step step : plan.steps) {
            if (hasBody(step.op.node().proto())) {
                // bodies read enclosing values by name, outside the steps' inputs: keep such plans whole
                return new ShapeArithmetic(new boolean[plan.steps.length], new boolean[slots], false);
            }
        }
        boolean[] shapeKnown = new boolean[slots];
        boolean[] valueKnown = new boolean[slots];
        for (int s = 0; s < slots; s++) {
            valueKnown[s] = plan.constants[s] != null;
            shapeKnown[s] = valueKnown[s];
        }
        for (int s : plan.inputSlots) {
            // a graph input fed at run time (an initializer that is also an input may be overridden)
            shapeKnown[s] = true;
            valueKnown[s] = false;
        }
        boolean[] output = new boolean[slots];
        for (int s : plan.outputSlots) {
            output[s] = true;
        }
        boolean[] derived = new boolean[plan.steps.length];
        boolean any = false;
        for (int i = 0; i < plan.steps.length; i++) {
            Plan.Step step = plan.steps[i];
            NodeProto node = step.op.node().proto();
            boolean values = step.op.deterministic() && allKnown(step.in, valueKnown)
                    && step.in.length > 0;
            boolean measures = isOnnx(node) && (node.getOpType().equals("Shape") || node.getOpType().equals("Size"))
                    && step.in.length == 1 && step.in[0] >= 0 && shapeKnown[step.in[0]];
            boolean shapes = values || measures || shapeFollows(node, step.in, shapeKnown, valueKnown);
            // a step that writes a graph output runs every time: the caller gets a value of its own
            boolean derivedHere = (values || measures) && step.out.length > 0;
            for (int o : step.out) {
                derivedHere &= o < 0 || !output[o];
            }
            for (int o : step.out) {
                if (o >= 0) {
                    shapeKnown[o] = shapes;
                    valueKnown[o] = values || measures;
                }
            }
            derived[i] = derivedHere;
            any |= derivedHere;
        }
        boolean[] fromDerived = new boolean[slots];
        for (int i = 0; i < plan.steps.length; i++) {
            for (int o : plan.steps[i].out) {
                if (o >= 0) {
                    fromDerived[o] = derived[i];
                }
            }
        }
        boolean[] frontier = new boolean[slots];
        for (int i = 0; i < plan.steps.length; i++) {
            if (derived[i]) {
                continue;
            }
            for (int in : plan.steps[i].in) {
                if (in >= 0 && fromDerived[in]) {
                    frontier[in] = true;
                }
            }
        }
        return new ShapeArithmetic(derived, frontier, any);
    }

    private static boolean shapeFollows(NodeProto node, int[] in, boolean[] shapeKnown, boolean[] valueKnown) {
        if (!isOnnx(node) && !node.getDomain().equals("dev.sonnx")) {
            return false;
        }
        String op = node.getOpType();
        int[] valueInputs = SHAPE_INPUTS.get(op);
        if (valueInputs == null && !SHAPE_FROM_SHAPES.contains(op)) {
            return false;
        }
        for (int i = 0; i < in.length; i++) {
            if (in[i] < 0) {
                continue;
            }
            boolean needsValue = false;
            if (valueInputs != null) {
                for (int v : valueInputs) {
                    needsValue |= v == i;
                }
            }
            if (needsValue ? !valueKnown[in[i]] : !shapeKnown[in[i]]) {
                return false;
            }
        }
        return true;
    }

    private static boolean allKnown(int[] in, boolean[] known) {
        for (int s : in) {
            if (s >= 0 && !known[s]) {
                return false;
            }
        }
        return true;
    }

    private static boolean isOnnx(NodeProto node) {
        return node.getDomain().isEmpty() || node.getDomain().equals("ai.onnx");
    }

    private static boolean hasBody(NodeProto node) {
        for (AttributeProto a : node.getAttributeList()) {
            if (a.hasG() || a.getGraphsCount() > 0) {
                return true;
            }
        }
        return false;
    }
}
