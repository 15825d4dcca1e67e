package dev.sonnx.runtime.ops.tensor;

import dev.sonnx.runtime.ops.BackwardContext;
import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.tensor.Shapes;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Pad: each axis grows by {@code pads[begin]} before and {@code pads[end]} after (negative pads
 * crop). New elements are a constant, a reflection of the input (without repeating the edge),
 * the edge element, or (Pad-19) the input wrapped around; pads wider than the input repeat the
 * pattern as numpy does. Cropping happens first, so the other modes reflect what remains.
 *
 * <p>Versions: Pad-1 ({@code paddings}, {@code value} attributes), Pad-2 ({@code pads},
 * {@code value}), Pad-11 ({@code pads} and {@code constant_value} inputs), Pad-18 ({@code axes}
 * input), Pad-19 ({@code wrap} mode). The gradient sends each output gradient element to the input
 * element it copies (summed where several copy one, as reflect and edge do).
 */
final class Pad extends Operator {
    enum Mode { CONSTANT, REFLECT, EDGE, WRAP }

    private final Mode mode;
    /** Pads and fill value from attributes (Pad-1/2); null pads when they are inputs. */
    private final long[] padsAttribute;
    private final double valueAttribute;
    private final boolean axesInput;
    /** X and Y are images stored [N, H, W, C] while pads and axes name [N, C, H, W] axes ({@link #channelsLast}). */
    private final boolean channelsLast;

    private Pad(Node node, long[] padsAttribute, boolean axesInput, boolean wrapAllowed, boolean channelsLast) {
        super(node);
        this.channelsLast = channelsLast;
        String m = node.attributes().getString("mode", "constant");
        this.mode = switch (m.toLowerCase(Locale.ROOT)) {
            case "constant" -> Mode.CONSTANT;
            case "reflect" -> Mode.REFLECT;
            case "edge" -> Mode.EDGE;
            case "wrap" -> {
                if (!wrapAllowed) {
                    throw new IllegalArgumentException("attribute 'mode' = 'wrap' needs opset 19 or later");
                }
                yield Mode.WRAP;
            }
            default -> throw new IllegalArgumentException("attribute 'mode' = '" + m + "' is not one of constant, "
                    + "reflect, edge" + (wrapAllowed ? ", wrap" : ""));
        };
        this.padsAttribute = padsAttribute;
        this.axesInput = axesInput;
        if (!axesInput && node.hasInput(3)) {
            throw new IllegalArgumentException("input 'axes' needs opset 18 or later");
        }
        this.valueAttribute = node.attributes().getFloat("value", 0f);
    }

    /** Pad-1 ({@code paddings}) and Pad-2 ({@code pads}): pads as an attribute. */
    static Pad fromAttribute(Node node, String padsName) {
        long[] pads = node.attributes().getLongs(padsName, null);
        if (pads == null) {
            throw new IllegalArgumentException("required attribute '" + padsName + "' is missing");
        }
        return new Pad(node, pads, false, false, false);
    }

    /** Pad-11 and later: pads, constant_value and (from 18) axes as inputs. */
    static Pad fromInputs(Node node, boolean axesInput, boolean wrapAllowed) {
        return new Pad(node, null, axesInput, wrapAllowed, false);
    }

    /**
     * {@code dev.sonnx.NhwcPad} (version 1), an internal operator of inference plans: Pad-19 on a
     * rank-4 image stored channels-last, its pads and axes still counted in ONNX's [N, C, H, W]
     * order, so a Pad between channels-last convolutions and pools needs no layout conversion.
     */
    static Pad channelsLast(Node node) {
        return new Pad(node, null, true, true, true);
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor x = required(inputs, 0);
        long[][] pads = channelsLast ? channelsLastPads(x, inputs) : pads(x.shape(), inputs);
        int[] out = outputShape(x.shape(), pads);
        return outputs(map(x.shape(), pads).forward(x, fill(x, inputs), out, ctx));
    }

    @Override
    public boolean differentiable() {
        return !channelsLast;
    }

    /** The pads of channels-last X: worked out on its [N, C, H, W] shape, then moved to [N, H, W, C] order. */
    private long[][] channelsLastPads(Tensor x, Value[] inputs) {
        int[] p = x.shape();
        if (p.length != 4) {
            throw new IllegalArgumentException("channels-last X " + x.describe() + " must be an image [N, H, W, C]");
        }
        long[][] logical = pads(new int[] {p[0], p[3], p[1], p[2]}, inputs);
        return new long[][] {logical[0], logical[2], logical[3], logical[1]};
    }

    /** pads, constant_value and axes are settings. */
    @Override
    public boolean differentiableInput(int index) {
        return index == 0;
    }

    @Override
    public Tensor[] backward(BackwardContext g) {
        return IndexMap.backward(g);
    }

    /** The fill value as a one-element tensor of x's type, or null for zero. */
    private Tensor fill(Tensor x, Value[] inputs) {
        if (mode != Mode.CONSTANT) {
            return null;
        }
        if (padsAttribute != null) {
            return valueAttribute == 0 ? null : Tensor.scalar(x.dtype(), valueAttribute);
        }
        Tensor v = tensor(inputs, 2);
        if (v == null) {
            return null;
        }
        if (v.dtype() != x.dtype() || v.size() != 1) {
            throw new IllegalArgumentException("input 'constant_value' is " + v.describe() + ", expected one "
                    + x.dtype().onnxName() + " value");
        }
        return v;
    }

    /** Per input axis: {begin, end}. */
    private long[][] pads(int[] shape, Value[] inputs) {
        int rank = shape.length;
        long[] pads = padsAttribute != null ? padsAttribute : Args.longs(required(inputs, 1), "pads");
        Tensor axesTensor = axesInput ? tensor(inputs, 3) : null;
        int[] axes;
        if (axesTensor != null) {
            axes = Args.axes(Args.longs(axesTensor, "axes"), rank, "axes");
        } else {
            axes = new int[rank];
            for (int d = 0; d < rank; d++) {
                axes[d] = d;
            }
        }
        if (pads.length != 2 * axes.length) {
            throw new IllegalArgumentException("pads " + Arrays.toString(pads) + " has " + pads.length
                    + " entries, expected " + 2 * axes.length + " (begin and end for " + axes.length + " axes)");
        }
        long[][] r = new long[rank][2];
        for (int i = 0; i < axes.length; i++) {
            r[axes[i]][0] = pads[i];
            r[axes[i]][1] = pads[i + axes.length];
        }
        return r;
    }

    private static int[] outputShape(int[] in, long[][] pads) {
        int[] out = new int[in.length];
        for (int d = 0; d < in.length; d++) {
            long n = in[d] + pads[d][0] + pads[d][1];
            if (n < 0 || n > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("pads " + pads[d][0] + " and " + pads[d][1] + " on axis " + d
                        + " of length " + in[d] + " give a length of " + n);
            }
            out[d] = (int) n;
        }
        return out;
    }

    private IndexMap map(int[] in, long[][] pads) {
        int[] out = outputShape(in, pads);
        int[] strides = Shapes.strides(in);
        boolean injective = mode == Mode.CONSTANT;
        List<IndexMap.Axis> axes = new ArrayList<>(in.length);
        for (int d = 0; d < in.length; d++) {
            long begin = pads[d][0];
            long end = pads[d][1];
            if (begin <= 0 && end <= 0) {
                axes.add(IndexMap.Axis.affine(out[d], (int) -begin * strides[d], strides[d]));
                continue;
            }
            int lo = (int) Math.max(0, -begin);
            int kept = in[d] - lo - (int) Math.max(0, -end);
            if (kept == 0 && mode != Mode.CONSTANT) {
                throw new IllegalArgumentException("axis " + d + " has no elements to pad from in " + mode.name()
                        .toLowerCase(Locale.ROOT) + " mode");
            }
            int shift = (int) Math.max(0, begin);
            int[] table = new int[out[d]];
            for (int c = 0; c < table.length; c++) {
                int k = source(c - shift, kept);
                table[c] = k < 0 ? IndexMap.FILL : (lo + k) * strides[d];
            }
            axes.add(IndexMap.Axis.table(table));
        }
        return new IndexMap(axes, injective);
    }

    /** The kept-input coordinate that coordinate {@code rel} (relative to the kept range) copies, or -1. */
    private int source(int rel, int n) {
        if (rel >= 0 && rel < n) {
            return rel;
        }
        switch (mode) {
            case EDGE:
                return rel < 0 ? 0 : n - 1;
            case WRAP:
                return Math.floorMod(rel, n);
            case REFLECT: {
                if (n == 1) {
                    return 0;
                }
                int period = 2 * (n - 1);
                int k = Math.floorMod(rel, period);
                return k < n ? k : period - k;
            }
            default:
                return -1;
        }
    }
}
