package dev.sonnx.runtime.ops.image;

import dev.sonnx.runtime.ops.BackwardContext;
import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.tensor.Device;
import dev.sonnx.runtime.tensor.Shapes;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;

/**
 * DepthToSpace (1, 11, 13) and SpaceToDepth (1, 13): moving b x b blocks between channels and
 * space. With depth {@code [N, C b^2, H, W]} and space {@code [N, C, H b, W b]}, space element
 * {@code (n, c, h b + i, w b + j)} is depth element {@code (n, d, h, w)} where
 * {@code d = (i b + j) C + c} (DCR, the default and SpaceToDepth's order) or {@code d = c b^2 + i b + j}
 * (CRD). Each direction is a permutation, so each one's gradient is the other.
 */
final class DepthSpace extends Operator {
    private final boolean toSpace;
    private final int block;
    private final boolean crd;

    DepthSpace(Node node, boolean toSpace, boolean hasMode) {
        super(node);
        this.toSpace = toSpace;
        long b = node.attributes().requireLong("blocksize");
        if (b <= 0 || b > 65536) {
            throw new IllegalArgumentException("attribute 'blocksize' = " + b + " must be positive");
        }
        this.block = (int) b;
        String mode = hasMode ? node.attributes().getString("mode", "DCR") : "DCR";
        if (!mode.equals("DCR") && !mode.equals("CRD")) {
            throw new IllegalArgumentException("attribute 'mode' is '" + mode + "'; expected DCR or CRD");
        }
        this.crd = mode.equals("CRD");
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor x = required(inputs, 0);
        if (x.rank() != 4) {
            throw new IllegalArgumentException("input has shape " + Shapes.toString(x.shape())
                    + "; expected rank 4 [N, C, H, W]");
        }
        int[] s = x.shape();
        int bb = block * block;
        if (toSpace) {
            if (s[1] % bb != 0) {
                throw new IllegalArgumentException("input channels " + s[1] + " are not divisible by blocksize^2 = "
                        + bb);
            }
            Tensor y = Tensor.uninitialized(x.dtype(), s[0], s[1] / bb, s[2] * block, s[3] * block);
            move(x, y, true, crd, ctx.device());
            return outputs(y);
        }
        if (s[2] % block != 0 || s[3] % block != 0) {
            throw new IllegalArgumentException("input height " + s[2] + " and width " + s[3]
                    + " must be divisible by blocksize " + block);
        }
        Tensor y = Tensor.uninitialized(x.dtype(), s[0], s[1] * bb, s[2] / block, s[3] / block);
        move(y, x, false, false, ctx.device());
        return outputs(y);
    }

    @Override
    public boolean differentiable() {
        return true;
    }

    @Override
    public Tensor[] backward(BackwardContext g) {
        Tensor gy = g.gradOutput(0);
        if (gy == null || !g.needsGrad(0)) {
            return new Tensor[1];
        }
        Tensor gx = Tensor.uninitialized(gy.dtype(), g.input(0).shape());
        if (toSpace) {
            move(gx, gy, false, crd, g.device());
        } else {
            move(gy, gx, true, false, g.device());
        }
        return new Tensor[] {gx};
    }

    /**
     * Copies between {@code depth [N, C b^2, H, W]} and {@code space [N, C, H b, W b]}: into space
     * when {@code intoSpace}, else into depth. Each task is one depth row of W elements.
     */
    private void move(Tensor depth, Tensor space, boolean intoSpace, boolean crdOrder, Device device) {
        int[] d = depth.shape();
        int n = d[0];
        int c = space.shape()[1];
        int h = d[2];
        int w = d[3];
        int b = block;
        int bb = b * b;
        if (depth.size() == 0) {
            return;
        }
        StridedCopy copy = intoSpace ? new StridedCopy(depth, space) : new StridedCopy(space, depth);
        int rows = n * c * bb * h;
        device.parallelFor(rows, w, (start, end) -> {
            for (int r = start; r < end; r++) {
                int hh = r % h;
                int rest = r / h;
                int j = rest % b;
                rest /= b;
                int i = rest % b;
                rest /= b;
                int cc = rest % c;
                int nn = rest / c;
                int dc = crdOrder ? cc * bb + i * b + j : (i * b + j) * c + cc;
                int dOff = ((nn * c * bb + dc) * h + hh) * w;
                int sOff = ((nn * c + cc) * h * b + hh * b + i) * w * b + j;
                if (intoSpace) {
                    copy.copy(dOff, 1, sOff, b, w);
                } else {
                    copy.copy(sOff, b, dOff, 1, w);
                }
            }
        });
    }
}
