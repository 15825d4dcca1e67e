package dev.sonnx.runtime.ops.conv;

import dev.sonnx.runtime.onnx.proto.Onnx.AttributeProto;
import dev.sonnx.runtime.onnx.proto.Onnx.GraphProto;
import dev.sonnx.runtime.onnx.proto.Onnx.NodeProto;
import dev.sonnx.runtime.ops.BuildContext;
import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.ops.Subgraph;
import dev.sonnx.runtime.ops.conv.dnnl.ConstantWeights;
import dev.sonnx.runtime.ops.conv.dnnl.DnnlPointwiseDepthwise;
import dev.sonnx.runtime.ops.conv.dnnl.PostOps;
import dev.sonnx.runtime.tensor.Arena;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Device;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;

/**
 * {@code dev.sonnx.PointwiseDepthwiseConv} (version 1), an internal operator of inference plans: a
 * channels-last 1 x 1 convolution and the 3 x 3 depthwise convolution that alone reads its result,
 * as two {@link FusedConv} nodes would compute them:
 * Y = act2(DepthwiseConv(act1(Conv1x1(X, W1) + B1), W2, stride, padding 1) + B2).
 * <ul>
 *   <li>Inputs: X [N, H, W, I] (channels-last), W1 [C, I, 1, 1], B1 [C] (optional), W2 [C, 1, 3, 3],
 *   B2 [C] (optional); W1 and W2 are constants of the model.</li>
 *   <li>Attributes: {@code activation}, {@code activation_params} (act1, as FusedConv's);
 *   {@code depthwise_activation}, {@code depthwise_activation_params} (act2);
 *   {@code depthwise_stride}: 1 or 2.</li>
 * </ul>
 * Where oneDNN has a real kernel for the pair ({@link DnnlPointwiseDepthwise}), one primitive runs
 * both and the 1 x 1 result never reaches memory; elsewhere the two convolutions run one after the
 * other, each as its FusedConv node would. Never in a model file: {@code PointwiseDepthwiseFusion}
 * writes it at prepare.
 */
public final class PointwiseDepthwiseConv extends Operator {
    public static final String OP_TYPE = "PointwiseDepthwiseConv";
    public static final String DEPTHWISE_ACTIVATION = "depthwise_activation";
    public static final String DEPTHWISE_ACTIVATION_PARAMS = "depthwise_activation_params";
    public static final String DEPTHWISE_STRIDE = "depthwise_stride";

    private final Conv pointwise;
    private final Conv depthwise;
    private final PostOps pointwisePost;
    private final PostOps depthwisePost;
    private final int stride;
    private final int channels;
    /** C zeros: the bias the fused primitive adds where a convolution has none (it always takes two). */
    private final Tensor zeroBias;
    private final ShapeCache<Plan> plans = new ShapeCache<>();

    /** What one shape of X resolves to: the fused primitive, or null to run the two convolutions. */
    private record Plan(DnnlPointwiseDepthwise fused, int[] outShape) {
    }

    PointwiseDepthwiseConv(Node node, BuildContext build) {
        super(node);
        if (!node.hasInput(1) || !node.hasInput(3)) {
            throw new IllegalArgumentException("inputs W1 (1) and W2 (3) are required");
        }
        Tensor w2 = build == null ? null : build.constantInput(3);
        if (w2 == null || w2.rank() != 4 || w2.shape()[1] != 1 || w2.shape()[2] != 3 || w2.shape()[3] != 3) {
            throw new IllegalArgumentException("input W2 must be constant depthwise weights [C, 1, 3, 3], got "
                    + (w2 == null ? "a value computed at run time" : w2.describe()));
        }
        this.channels = w2.shape()[0];
        long s = node.attributes().getLong(DEPTHWISE_STRIDE, 1);
        if (s != 1 && s != 2) {
            throw new IllegalArgumentException("attribute '" + DEPTHWISE_STRIDE + "' is " + s + ", expected 1 or 2");
        }
        this.stride = (int) s;
        FusedActivation act1 = FusedActivation.of(node.attributes().getString(FusedConv.ACTIVATION, ""),
                node.attributes().getFloats(FusedConv.ACTIVATION_PARAMS, new float[0]));
        FusedActivation act2 = FusedActivation.of(node.attributes().getString(DEPTHWISE_ACTIVATION, ""),
                node.attributes().getFloats(DEPTHWISE_ACTIVATION_PARAMS, new float[0]));
        ConvEpilogue first = new ConvEpilogue(act1, false);
        ConvEpilogue second = new ConvEpilogue(act2, false);
        this.pointwise = new Conv(stage(node, "pointwise", 0, 1, 2, 1, 1, 1, 0), stageBuild(build, 0, 1, 2),
                first, true);
        this.depthwise = new Conv(stage(node, "depthwise", -1, 3, 4, channels, 3, s, 1), stageBuild(build, -1, 3, 4),
                second, true);
        this.pointwisePost = first.postOps(false);
        this.depthwisePost = second.postOps(false);
        this.zeroBias = node.hasInput(2) && node.hasInput(4) ? null
                : Arena.detached(() -> Tensor.zeros(DataType.FLOAT, channels));
    }

    /**
     * The FusedConv node of one stage: reading X ({@code x} 0) or the first stage's result
     * ({@code x} -1), weights and bias from the given inputs of this node, with the given group,
     * square kernel, stride and padding on every side.
     */
    private static Node stage(Node node, String what, int x, int w, int b, long group, long kernel, long stride,
                              long pad) {
        String mid = node.name() + "/pointwise";
        NodeProto.Builder p = NodeProto.newBuilder().setName(node.name() + "/" + what)
                .setOpType(FusedConv.OP_TYPE).setDomain(FusedConv.DOMAIN)
                .addInput(x < 0 ? mid : node.inputs().get(x)).addInput(node.inputs().get(w))
                .addInput(node.hasInput(b) ? node.inputs().get(b) : "").addOutput(node.name() + "/" + what)
                .addAttribute(ints("kernel_shape", kernel, kernel)).addAttribute(ints("strides", stride, stride))
                .addAttribute(ints("pads", pad, pad, pad, pad))
                .addAttribute(AttributeProto.newBuilder().setName("group").setType(AttributeProto.AttributeType.INT)
                        .setI(group));
        return new Node(p.build(), FusedConv.VERSION);
    }

    private static AttributeProto ints(String name, long... values) {
        AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
        for (long v : values) {
            a.addInts(v);
        }
        return a.build();
    }

    /** What a stage's constructor asks of prepare: its inputs 0, 1, 2 are this node's x, w and b. */
    private static BuildContext stageBuild(BuildContext build, int x, int w, int b) {
        int[] inputs = {x, w, b};
        return new BuildContext() {
            @Override
            public Device device() {
                return build.device();
            }

            @Override
            public int opsetVersion(String domain) {
                return build.opsetVersion(domain);
            }

            @Override
            public Tensor constantInput(int index) {
                return index < inputs.length && inputs[index] >= 0 ? build.constantInput(inputs[index]) : null;
            }

            @Override
            public Subgraph compileSubgraph(GraphProto graph) {
                throw new UnsupportedOperationException("a convolution has no subgraph");
            }
        };
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor x = required(inputs, 0);
        Tensor w1 = required(inputs, 1);
        Tensor b1 = tensor(inputs, 2);
        Tensor w2 = required(inputs, 3);
        Tensor b2 = tensor(inputs, 4);
        Plan plan = fusable(x, w1, b1, w2, b2, ctx) ? plans.get(s -> plan(s[0]), x.shape()) : null;
        if (plan != null && plan.fused != null) {
            ConstantWeights pw = pointwise.constantWeights();
            ConstantWeights dw = depthwise.constantWeights();
            Tensor y = Tensor.uninitialized(DataType.FLOAT, plan.outShape);
            plan.fused.forward(x, pw.forPointwise(plan.fused), b1 != null ? b1 : zeroBias,
                    dw.forDepthwise(plan.fused), b2 != null ? b2 : zeroBias, y);
            return outputs(y);
        }
        Value mid = pointwise.forward(new Value[] {x, w1, b1}, ctx)[0];
        // the run's slots never hold the 1 x 1 result: it goes back to the pool once read, as a
        // node's output would, so that the next layer gets its memory while it is still in cache
        Arena arena = Arena.current();
        if (arena != null) {
            arena.retain(mid);
        }
        Value[] y = depthwise.forward(new Value[] {mid, w2, b2}, ctx);
        if (arena != null && y[0] != mid) {
            arena.release(mid);
        }
        return y;
    }

    /**
     * Whether the fused primitive may run: float32 host tensors, channels-last X of W1's input
     * channels, the model's own constant weights, biases of C values.
     */
    private boolean fusable(Tensor x, Tensor w1, Tensor b1, Tensor w2, Tensor b2, OpContext ctx) {
        ConstantWeights pw = pointwise.constantWeights();
        ConstantWeights dw = depthwise.constantWeights();
        return ctx.device().isHost() && pointwisePost != null && depthwisePost != null && pw != null && dw != null
                && w1 == pw.plain() && w2 == dw.plain() && x.dtype() == DataType.FLOAT && x.rank() == 4
                && w1.rank() == 4 && w1.shape()[0] == channels && w1.shape()[1] == x.shape()[3]
                && w1.shape()[2] == 1 && w1.shape()[3] == 1 && isBias(b1) && isBias(b2);
    }

    private boolean isBias(Tensor b) {
        return b == null || b.dtype() == DataType.FLOAT && b.rank() == 1 && b.shape()[0] == channels;
    }

    /** The plan for channels-last X {@code xs} [N, H, W, I]. */
    private Plan plan(int[] xs) {
        DnnlPointwiseDepthwise fused = DnnlPointwiseDepthwise.create(ChannelsLast.logical(xs), channels,
                pointwisePost, stride, depthwisePost);
        return new Plan(fused, fused == null ? null : fused.channelsLastOutput());
    }

    /** Inference plans only. */
    @Override
    public boolean differentiable() {
        return false;
    }
}
