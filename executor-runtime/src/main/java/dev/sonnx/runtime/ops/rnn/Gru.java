package dev.sonnx.runtime.ops.rnn;

import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.tensor.Value;

/**
 * GRU (1, 3, 7, 14), gates z (update), r (reset), h (hidden) in that order in W, R and B:
 * <pre>
 *   z = f(X W_z^T + H R_z^T + Wb_z + Rb_z)        r = f(X W_r^T + H R_r^T + Wb_r + Rb_r)
 *   h~ = g(X W_h^T + (r . H) R_h^T + Rb_h + Wb_h)          linear_before_reset = 0
 *   h~ = g(X W_h^T + r . (H R_h^T + Rb_h) + Wb_h)          linear_before_reset = 1
 *   H' = (1 - z) . h~ + z . H
 * </pre>
 * With linear_before_reset = 0 the product with R_h needs r first, so a step takes two products.
 */
final class Gru extends RecurrentLayer {
    private final boolean linearBeforeReset;

    Gru(Node node, boolean hasLayout) {
        super(node, 3, new String[] {"Sigmoid", "Tanh"}, hasLayout);
        int lbr = node.attributes().getInt("linear_before_reset", 0);
        if (lbr != 0 && lbr != 1) {
            throw new IllegalArgumentException("attribute 'linear_before_reset' must be 0 or 1, got " + lbr);
        }
        this.linearBeforeReset = lbr == 1;
    }

    @Override
    boolean recurrentBiasUpFront(int gate) {
        return !(linearBeforeReset && gate == 2);
    }

    @Override
    void preparePass(Pass p, Value[] inputs, Buf initialCell, boolean dbl) {
        if (!linearBeforeReset) {
            p.scratch = Buf.zeros(dbl, p.dims.batch, p.dims.hidden);
        }
    }

    @Override
    void step(Pass p, OpContext ctx) {
        Dims d = p.dims;
        int hs = d.hidden;
        int gh = 3 * hs;
        Activation f = p.act[0];
        Activation g = p.act[1];
        Buf.gemm(false, true, d.batch, linearBeforeReset ? gh : 2 * hs, hs, 1, p.h, 0, hs, p.r, p.rOff, hs, 0,
                p.hr, 0, gh);
        // z and r: hr's z and r columns are replaced by the gate values
        ctx.device().parallelFor(d.batch, 32L * hs, (s, e) -> {
            for (int b = s; b < e; b++) {
                if (p.t[b] < 0) {
                    continue;
                }
                int xo = d.xRow(p.t[b], b) * gh;
                int go = b * gh;
                for (int j = 0; j < 2 * hs; j++) {
                    p.hr.set(go + j, f.apply(clip(p.xw.get(xo + j) + p.hr.get(go + j))));
                }
                if (!linearBeforeReset) {
                    for (int j = 0; j < hs; j++) {
                        p.scratch.set(b * hs + j, p.hr.get(go + hs + j) * p.h.get(b * hs + j));
                    }
                }
            }
        });
        if (!linearBeforeReset) {
            Buf.gemm(false, true, d.batch, hs, hs, 1, p.scratch, 0, hs, p.r, p.rOff + 2 * hs * hs, hs, 0,
                    p.hr, 2 * hs, gh);
        }
        ctx.device().parallelFor(d.batch, 32L * hs, (s, e) -> {
            for (int b = s; b < e; b++) {
                if (p.t[b] < 0) {
                    continue;
                }
                int xo = d.xRow(p.t[b], b) * gh;
                int go = b * gh;
                int ho = b * hs;
                for (int j = 0; j < hs; j++) {
                    double z = p.hr.get(go + j);
                    double hr = p.hr.get(go + 2 * hs + j);
                    double pre = linearBeforeReset
                            ? p.xw.get(xo + 2 * hs + j) + p.hr.get(go + hs + j) * (hr + p.rb[2 * hs + j])
                            : p.xw.get(xo + 2 * hs + j) + hr;
                    double candidate = g.apply(clip(pre));
                    p.h.set(ho + j, (1 - z) * candidate + z * p.h.get(ho + j));
                }
            }
        });
    }
}
