package dev.sonnx.runtime.ops.tensor;

import static dev.sonnx.runtime.ops.tensor.Reduction.ADD;
import static dev.sonnx.runtime.ops.tensor.Reduction.MAX;
import static dev.sonnx.runtime.ops.tensor.Reduction.MIN;
import static dev.sonnx.runtime.ops.tensor.Reduction.MUL;
import static dev.sonnx.runtime.ops.tensor.Reduction.NONE;

import dev.sonnx.runtime.ops.OpRegistry;

/**
 * Operators of this family: shape, indexing and creation: Reshape, Gather, Slice, Concat, Pad and kin.
 * A version is registered where the ONNX semantics changed (attributes turned inputs, new modes or
 * reductions); type-only revisions share the entry before them.
 */
public final class TensorOps implements OpRegistry.OpSet {
    @Override
    public void register(OpRegistry r) {
        registerViews(r);
        registerRearrangements(r);
        registerIndexing(r);
        registerCreation(r);
    }

    /** Same elements, same order, new shape: views of the input. */
    private static void registerViews(OpRegistry r) {
        r.add("Reshape", 1, (n, b) -> Reshape.fromAttribute(n));
        r.add("Reshape", 5, (n, b) -> Reshape.fromInput(n, false));
        r.add("Reshape", 14, (n, b) -> Reshape.fromInput(n, true));
        r.add("Flatten", 1, (n, b) -> new Flatten(n));
        r.add("Squeeze", 1, (n, b) -> Squeeze.fromAttribute(n));
        r.add("Squeeze", 13, (n, b) -> Squeeze.fromInput(n));
        r.add("Unsqueeze", 1, (n, b) -> Unsqueeze.fromAttribute(n));
        r.add("Unsqueeze", 13, (n, b) -> Unsqueeze.fromInput(n));
        r.add("Identity", 1, (n, b) -> new Identity(n));
    }

    /** Elements moved to new places: transposes, joins, cuts, windows, repeats, padding. */
    private static void registerRearrangements(OpRegistry r) {
        r.add("Transpose", 1, (n, b) -> new Transpose(n));
        r.add("Concat", 1, (n, b) -> Concat.v1(n));
        r.add("Concat", 4, (n, b) -> Concat.v4(n));
        r.add("Split", 1, (n, b) -> Split.v1(n));
        r.add("Split", 2, (n, b) -> Split.v2(n));
        r.add("Split", 13, (n, b) -> Split.v13(n));
        r.add("Split", 18, (n, b) -> Split.v18(n));
        r.add("Slice", 1, (n, b) -> Slice.v1(n));
        r.add("Slice", 10, (n, b) -> Slice.v10(n));
        r.add("Expand", 8, (n, b) -> new Expand(n));
        r.add("Tile", 1, (n, b) -> Tile.v1(n));
        r.add("Tile", 6, (n, b) -> Tile.v6(n));
        r.add("Pad", 1, (n, b) -> Pad.fromAttribute(n, "paddings"));
        r.add("Pad", 2, (n, b) -> Pad.fromAttribute(n, "pads"));
        r.add("Pad", 11, (n, b) -> Pad.fromInputs(n, false, false));
        r.add("Pad", 18, (n, b) -> Pad.fromInputs(n, true, false));
        r.add("Pad", 19, (n, b) -> Pad.fromInputs(n, true, true));
        // inference plans' Pad between channels-last convolutions (backend.passes.ChannelsLastRegions)
        r.add("dev.sonnx", "NhwcPad", 1, (n, b) -> Pad.channelsLast(n));
        r.add("Trilu", 14, (n, b) -> new Trilu(n));
        r.add("ReverseSequence", 10, (n, b) -> new ReverseSequence(n));
    }

    /** Elements picked or placed by index tensors and masks. */
    private static void registerIndexing(OpRegistry r) {
        r.add("Gather", 1, (n, b) -> new Gather(n));
        r.add("GatherElements", 11, (n, b) -> new GatherElements(n));
        r.add("GatherND", 11, (n, b) -> new GatherND(n, false));
        r.add("GatherND", 12, (n, b) -> new GatherND(n, true));
        r.add("Scatter", 9, (n, b) -> new ScatterElements(n, NONE));
        r.add("ScatterElements", 11, (n, b) -> new ScatterElements(n, NONE));
        r.add("ScatterElements", 16, (n, b) -> new ScatterElements(n, NONE, ADD, MUL));
        r.add("ScatterElements", 18, (n, b) -> new ScatterElements(n, NONE, ADD, MUL, MAX, MIN));
        r.add("ScatterND", 11, (n, b) -> new ScatterND(n, NONE));
        r.add("ScatterND", 16, (n, b) -> new ScatterND(n, NONE, ADD, MUL));
        r.add("ScatterND", 18, (n, b) -> new ScatterND(n, NONE, ADD, MUL, MAX, MIN));
        r.add("Compress", 9, (n, b) -> new Compress(n));
        r.add("NonZero", 9, (n, b) -> new NonZero(n));
        r.add("Unique", 11, (n, b) -> new Unique(n));
    }

    /** New tensors from shapes, attributes and scalars. */
    private static void registerCreation(OpRegistry r) {
        r.add("Shape", 1, (n, b) -> new Shape(n, false));
        r.add("Shape", 15, (n, b) -> new Shape(n, true));
        r.add("Size", 1, (n, b) -> new Size(n));
        r.add("Constant", 1, Constant::new);
        r.add("ConstantOfShape", 9, (n, b) -> new ConstantOfShape(n));
        r.add("Range", 11, (n, b) -> new Range(n));
        r.add("OneHot", 9, (n, b) -> new OneHot(n));
        r.add("EyeLike", 9, (n, b) -> new EyeLike(n));
    }
}
