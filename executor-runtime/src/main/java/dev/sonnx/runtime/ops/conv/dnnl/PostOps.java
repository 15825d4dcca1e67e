package dev.sonnx.runtime.ops.conv.dnnl;

import static org.bytedeco.dnnl.global.dnnl.dnnl_binary_add;
import static org.bytedeco.dnnl.global.dnnl.dnnl_data_type_undef;
import static org.bytedeco.dnnl.global.dnnl.dnnl_eltwise_clip_v2;
import static org.bytedeco.dnnl.global.dnnl.dnnl_eltwise_gelu_erf;
import static org.bytedeco.dnnl.global.dnnl.dnnl_eltwise_gelu_tanh;
import static org.bytedeco.dnnl.global.dnnl.dnnl_eltwise_hardsigmoid;
import static org.bytedeco.dnnl.global.dnnl.dnnl_eltwise_hardswish;
import static org.bytedeco.dnnl.global.dnnl.dnnl_eltwise_linear;
import static org.bytedeco.dnnl.global.dnnl.dnnl_eltwise_logistic;
import static org.bytedeco.dnnl.global.dnnl.dnnl_eltwise_relu;
import static org.bytedeco.dnnl.global.dnnl.dnnl_eltwise_swish;
import static org.bytedeco.dnnl.global.dnnl.dnnl_f32;
import static org.bytedeco.dnnl.global.dnnl.dnnl_post_ops_append_binary;
import static org.bytedeco.dnnl.global.dnnl.dnnl_post_ops_append_dw;
import static org.bytedeco.dnnl.global.dnnl.dnnl_post_ops_append_eltwise;
import static org.bytedeco.dnnl.global.dnnl.dnnl_post_ops_append_sum;
import static org.bytedeco.dnnl.global.dnnl.dnnl_post_ops_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_post_ops_destroy;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_attr_destroy;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_attr_set_post_ops;
import static org.bytedeco.dnnl.global.dnnl.dnnl_success;

import java.util.Objects;
import org.bytedeco.dnnl.dnnl_memory_desc;
import org.bytedeco.dnnl.dnnl_post_ops;
import org.bytedeco.dnnl.dnnl_primitive_attr;

/**
 * What a primitive does to its result before storing it: y = act(result + Z), with an optional
 * tensor Z of the destination's shape (a residual connection) and an optional elementwise function.
 * The residual goes in as a binary-add post-op reading Z from its own buffer, or, where the
 * implementation refuses that, as a sum post-op (Z copied into the destination first).
 */
public final class PostOps {
    /** The elementwise functions of oneDNN that ONNX activations map to. */
    public enum Eltwise {
        NONE,
        /** x > 0 ? x : alpha * x (Relu with alpha 0, LeakyRelu). */
        RELU,
        /** min(max(x, alpha), beta). */
        CLIP,
        /** max(0, min(1, alpha * x + beta)). */
        HARD_SIGMOID,
        /** x * max(0, min(1, alpha * x + beta)). */
        HARD_SWISH,
        /** x * Phi(x). */
        GELU_ERF,
        /** GELU's tanh approximation. */
        GELU_TANH,
        /** alpha * x + beta (a product's constant scale). */
        LINEAR,
        /** 1 / (1 + e^-x). */
        LOGISTIC,
        /** x / (1 + e^(-alpha * x)) (SiLU with alpha 1). */
        SWISH
    }

    public static final PostOps NONE = new PostOps(false, Eltwise.NONE, 0, 0);

    private final boolean residual;
    private final Eltwise eltwise;
    private final float alpha;
    private final float beta;

    private PostOps(boolean residual, Eltwise eltwise, float alpha, float beta) {
        this.residual = residual;
        this.eltwise = eltwise;
        this.alpha = alpha;
        this.beta = beta;
    }

    public static PostOps of(boolean residual, Eltwise eltwise, float alpha, float beta) {
        return new PostOps(residual, Objects.requireNonNull(eltwise), alpha, beta);
    }

    public boolean residual() {
        return residual;
    }

    public Eltwise eltwise() {
        return eltwise;
    }

    public float alpha() {
        return alpha;
    }

    public float beta() {
        return beta;
    }

    public boolean isNone() {
        return !residual && eltwise == Eltwise.NONE;
    }

    /** How the residual reaches the primitive. */
    enum ResidualMode {
        BINARY, SUM
    }

    /**
     * Fresh attributes (user scratchpad) carrying these post-ops; the residual as {@code mode}
     * over a destination described by {@code dst}. The caller destroys them. Null when oneDNN refuses
     * the post-ops (e.g. a clip whose lower bound exceeds its upper bound).
     */
    dnnl_primitive_attr attributes(dnnl_memory_desc dst, ResidualMode mode) {
        if (isNone()) {
            return Dnnl.userScratchpad();
        }
        return withPostOps(ops -> {
            int status = dnnl_success;
            if (residual) {
                status = mode == ResidualMode.BINARY ? dnnl_post_ops_append_binary(ops, dnnl_binary_add, dst)
                        : dnnl_post_ops_append_sum(ops, 1f, 0, dnnl_data_type_undef);
            }
            return status == dnnl_success ? appendEltwise(ops) : status;
        });
    }

    /**
     * Fresh attributes (user scratchpad) for a 1 x 1 convolution followed, inside the same primitive,
     * by a 3 x 3 depthwise convolution of stride {@code stride} and padding 1 over its result: these
     * post-ops (an activation only), the depthwise convolution (float32, with a bias), then
     * {@code depthwise}'s activation. Null when either has a residual or oneDNN refuses them.
     */
    dnnl_primitive_attr withDepthwise(PostOps depthwise, int stride) {
        if (residual || depthwise.residual) {
            return null;
        }
        return withPostOps(ops -> {
            int status = appendEltwise(ops);
            if (status == dnnl_success) {
                status = dnnl_post_ops_append_dw(ops, dnnl_f32, dnnl_f32, dnnl_f32, 3, stride, 1);
            }
            return status == dnnl_success ? depthwise.appendEltwise(ops) : status;
        });
    }

    /** What appends post-ops to a list, returning oneDNN's status. */
    private interface Appender {
        int append(dnnl_post_ops ops);
    }

    /** Fresh attributes (user scratchpad) with the post-ops {@code appender} lists; null where oneDNN refuses one. */
    private static dnnl_primitive_attr withPostOps(Appender appender) {
        dnnl_primitive_attr attr = Dnnl.userScratchpad();
        dnnl_post_ops ops = new dnnl_post_ops();
        Dnnl.check(dnnl_post_ops_create(ops), "post-ops creation");
        boolean ok = false;
        try {
            ok = appender.append(ops) == dnnl_success && dnnl_primitive_attr_set_post_ops(attr, ops) == dnnl_success;
        } finally {
            dnnl_post_ops_destroy(ops);
            if (!ok) {
                dnnl_primitive_attr_destroy(attr);
            }
        }
        return ok ? attr : null;
    }

    /** Appends the activation, if any. */
    private int appendEltwise(dnnl_post_ops ops) {
        if (eltwise == Eltwise.NONE) {
            return dnnl_success;
        }
        int alg = switch (eltwise) {
            case RELU -> dnnl_eltwise_relu;
            case CLIP -> dnnl_eltwise_clip_v2;
            case HARD_SIGMOID -> dnnl_eltwise_hardsigmoid;
            case HARD_SWISH -> dnnl_eltwise_hardswish;
            case GELU_ERF -> dnnl_eltwise_gelu_erf;
            case GELU_TANH -> dnnl_eltwise_gelu_tanh;
            case LINEAR -> dnnl_eltwise_linear;
            case LOGISTIC -> dnnl_eltwise_logistic;
            case SWISH -> dnnl_eltwise_swish;
            case NONE -> throw new AssertionError();
        };
        return dnnl_post_ops_append_eltwise(ops, alg, alpha, beta);
    }

    @Override
    public String toString() {
        return (residual ? "+Z" : "") + (eltwise == Eltwise.NONE ? "" : " " + eltwise + "(" + alpha + ", " + beta + ")");
    }
}
