package dev.sonnx.runtime.ops.conv;

import dev.sonnx.runtime.ops.BuildContext;
import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.Operator;

/**
 * {@code dev.sonnx.FusedConv} (version 1), an internal operator that inference plans use in place of
 * a Conv and the elementwise nodes after it: Y = act(Conv(X, W, B) + Z).
 * <ul>
 *   <li>Inputs: X, W, B (optional) as Conv's; Z (optional), the residual, numpy-broadcast against the
 *   convolution's result as the Add it replaces.</li>
 *   <li>Attributes: Conv's (auto_pad, dilations, group, kernel_shape, pads, strides);
 *   {@code activation}: "" (none), "Relu", "Clip", "LeakyRelu", "HardSigmoid", "HardSwish", "Sigmoid"
 *   or "SiLU" (x * Sigmoid(x));
 *   {@code activation_params}: Clip's min and max, LeakyRelu's alpha, HardSigmoid's alpha and beta;
 *   {@code channels_last}: 1 when X, Z and Y are stored [N, spatial..., C] ({@link ChannelsLast}).</li>
 * </ul>
 * Never in a model file: the inference passes of {@code backend.passes} write it at prepare.
 */
public final class FusedConv {
    /** The private operator domain of sonnx's internal operators. */
    public static final String DOMAIN = "dev.sonnx";
    public static final String OP_TYPE = "FusedConv";
    public static final int VERSION = 1;
    public static final String ACTIVATION = "activation";
    public static final String ACTIVATION_PARAMS = "activation_params";
    public static final String CHANNELS_LAST = "channels_last";

    private FusedConv() {
    }

    static Operator create(Node node, BuildContext build) {
        FusedActivation act = FusedActivation.of(node.attributes().getString(ACTIVATION, ""),
                node.attributes().getFloats(ACTIVATION_PARAMS, new float[0]));
        long cl = node.attributes().getLong(CHANNELS_LAST, 0);
        if (cl != 0 && cl != 1) {
            throw new IllegalArgumentException("attribute '" + CHANNELS_LAST + "' is " + cl + ", expected 0 or 1");
        }
        return new Conv(node, build, new ConvEpilogue(act, node.hasInput(3)), cl == 1);
    }
}
