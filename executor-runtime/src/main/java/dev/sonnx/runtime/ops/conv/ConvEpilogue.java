package dev.sonnx.runtime.ops.conv;

import dev.sonnx.runtime.ops.conv.dnnl.PostOps;
import dev.sonnx.runtime.ops.kernel.Broadcast;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Device;
import dev.sonnx.runtime.tensor.Shapes;
import dev.sonnx.runtime.tensor.Tensor;
import java.nio.FloatBuffer;

/**
 * What a fused convolution does after conv(X, W) + B: Y = act(that + Z), with an optional residual Z
 * (numpy-broadcast against the convolution's result, as the Add it replaces) and an optional
 * activation. oneDNN applies it inside the convolution as post-ops where it can ({@link #postOps});
 * {@link #apply} is the same in plain loops, for every other path.
 */
final class ConvEpilogue {
    static final ConvEpilogue NONE = new ConvEpilogue(FusedActivation.NONE, false);

    private final FusedActivation activation;
    private final boolean residual;

    ConvEpilogue(FusedActivation activation, boolean residual) {
        this.activation = activation;
        this.residual = residual;
    }

    FusedActivation activation() {
        return activation;
    }

    boolean residual() {
        return residual;
    }

    boolean isNone() {
        return activation.isNone() && !residual;
    }

    /**
     * The oneDNN post-ops for a residual of the result's own shape ({@code withResidual}) or for the
     * activation alone (the residual, if any, then added by {@link #apply}); null when the activation
     * is not expressible as a oneDNN post-op.
     */
    PostOps postOps(boolean withResidual) {
        PostOps.Eltwise e;
        float alpha = 0;
        float beta = 0;
        switch (activation.kind()) {
            case NONE -> e = PostOps.Eltwise.NONE;
            case RELU -> e = PostOps.Eltwise.RELU;
            case LEAKY_RELU -> {
                e = PostOps.Eltwise.RELU;
                alpha = activation.alpha();
            }
            case CLIP -> {
                e = PostOps.Eltwise.CLIP;
                alpha = activation.alpha();
                beta = activation.beta();
            }
            case HARD_SIGMOID -> {
                e = PostOps.Eltwise.HARD_SIGMOID;
                alpha = activation.alpha();
                beta = activation.beta();
            }
            case HARD_SWISH -> {
                e = PostOps.Eltwise.HARD_SWISH;
                alpha = 1f / 6f;
                beta = 0.5f;
            }
            case SIGMOID -> e = PostOps.Eltwise.LOGISTIC;
            case SILU -> {
                // oneDNN's swish: x * sigmoid(alpha * x)
                e = PostOps.Eltwise.SWISH;
                alpha = 1f;
            }
            default -> {
                return null;
            }
        }
        return PostOps.of(withResidual, e, alpha, beta);
    }

    /**
     * act(y + z) for {@code y} = conv(X, W) + B in the working type (float32 or float64), which this
     * may overwrite; {@code z} (null without a residual) in the same type. The result has the
     * broadcast shape of y and z.
     */
    Tensor apply(Tensor y, Tensor z, Device device) {
        if (z == null) {
            if (!activation.isNone()) {
                activate(y, device);
            }
            return y;
        }
        if (Shapes.equal(y.shape(), z.shape())) {
            addInPlace(y, z, device);
            return y;
        }
        Broadcast bc = Broadcast.of(y.shape(), z.shape());
        Tensor out = Tensor.uninitialized(y.dtype(), bc.outShape());
        int sy = bc.rowStride(0);
        int sz = bc.rowStride(1);
        if (y.dtype() == DataType.FLOAT) {
            FloatBuffer yb = y.floats();
            FloatBuffer zb = z.floats();
            FloatBuffer ob = out.floats();
            bc.forEachRow(device, 2, (o, in, len) -> {
                for (int j = 0; j < len; j++) {
                    ob.put(o + j, activation.apply(yb.get(in[0] + j * sy) + zb.get(in[1] + j * sz)));
                }
            });
        } else {
            bc.forEachRow(device, 4, (o, in, len) -> {
                for (int j = 0; j < len; j++) {
                    out.setDouble(o + j, activation.apply(y.getDouble(in[0] + j * sy) + z.getDouble(in[1] + j * sz)));
                }
            });
        }
        return out;
    }

    private void activate(Tensor y, Device device) {
        if (y.dtype() == DataType.FLOAT) {
            FloatBuffer v = y.floats();
            device.parallelFor(y.size(), 2, (s, e) -> {
                for (int i = s; i < e; i++) {
                    v.put(i, activation.apply(v.get(i)));
                }
            });
        } else {
            device.parallelFor(y.size(), 4, (s, e) -> {
                for (int i = s; i < e; i++) {
                    y.setDouble(i, activation.apply(y.getDouble(i)));
                }
            });
        }
    }

    private void addInPlace(Tensor y, Tensor z, Device device) {
        if (y.dtype() == DataType.FLOAT) {
            FloatBuffer v = y.floats();
            FloatBuffer r = z.floats();
            device.parallelFor(y.size(), 2, (s, e) -> {
                for (int i = s; i < e; i++) {
                    v.put(i, activation.apply(v.get(i) + r.get(i)));
                }
            });
        } else {
            device.parallelFor(y.size(), 4, (s, e) -> {
                for (int i = s; i < e; i++) {
                    y.setDouble(i, activation.apply(y.getDouble(i) + z.getDouble(i)));
                }
            });
        }
    }

    @Override
    public String toString() {
        return (residual ? "+Z, " : "") + activation;
    }
}
