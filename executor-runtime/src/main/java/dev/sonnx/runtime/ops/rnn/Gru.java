package dev.sonnx.runtime.ops.rnn;

import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.tensor.Value;
import java.nio.ByteBuffer;

/**
 * GRU (1, 3, 7, 14), gates z (update), r (reset), h (hidden) in that order in W, R and B:
 * <pre>
 *   z = f(X W_z^T + H R_z^T + Wb_z + Rb_z)        r = f(X W_r^T + H R_r^T + Wb_r + Rb_r)
 *   h~ = g(X W_h^T + (r . H) R_h^T + Rb_h + Wb_h)          linear_before_reset = 0
 *   h~ = g(X W_h^T + r . (H R_h^T + Rb_h) + Wb_h)          linear_before_reset = 1
 *   H' = (1 - z) . h~ + z . H
 * </pre>
 * With linear_before_reset = 0 the product with R_h needs r first, so a step takes two products
 * (and so does a step of backward).
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
        } else if (!dbl) {
            // the recurrence biases in float32, for the lanes of VectorCells
            p.rbFloat = new float[p.rb.length];
            for (int i = 0; i < p.rb.length; i++) {
                p.rbFloat[i] = (float) p.rb[i];
            }
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
        if (VectorCells.gruApplies(p)) {
            vectorStep(p);
            return;
        }
        // z and r: hr's z and r columns are replaced by the gate values
        ctx.device().parallelFor(d.batch, 32L * hs, (s, e) -> {
            for (int b = s; b < e; b++) {
                if (p.t[b] < 0) {
                    continue;
                }
                int xo = d.xRow(p.t[b], b) * gh;
                int go = b * gh;
                int ro = (p.step * d.batch + b) * gh;
                for (int j = 0; j < 2 * hs; j++) {
                    double a = p.xw.get(xo + j) + p.hr.get(go + j);
                    if (p.pre != null) {
                        p.pre.set(ro + j, a);
                    }
                    p.hr.set(go + j, f.apply(clip(a)));
                }
                if (!linearBeforeReset) {
                    for (int j = 0; j < hs; j++) {
                        p.scratch.set(b * hs + j, p.hr.get(go + hs + j) * p.h.get(b * hs + j));
                    }
                }
            }
        });
        if (!linearBeforeReset) {
            resetProduct(p);
        }
        ctx.device().parallelFor(d.batch, 32L * hs, (s, e) -> {
            for (int b = s; b < e; b++) {
                if (p.t[b] < 0) {
                    continue;
                }
                int xo = d.xRow(p.t[b], b) * gh;
                int go = b * gh;
                int ho = b * hs;
                int ro = (p.step * d.batch + b) * gh;
                for (int j = 0; j < hs; j++) {
                    double z = p.hr.get(go + j);
                    double hr = p.hr.get(go + 2 * hs + j);
                    double a;
                    if (linearBeforeReset) {
                        double q = hr + p.rb[2 * hs + j];
                        if (p.q != null) {
                            p.q.set((p.step * d.batch + b) * hs + j, q);
                        }
                        a = p.xw.get(xo + 2 * hs + j) + p.hr.get(go + hs + j) * q;
                    } else {
                        a = p.xw.get(xo + 2 * hs + j) + hr;
                    }
                    if (p.pre != null) {
                        p.pre.set(ro + 2 * hs + j, a);
                    }
                    double candidate = g.apply(clip(a));
                    p.h.set(ho + j, (1 - z) * candidate + z * p.h.get(ho + j));
                }
            }
        });
    }

    /** Without linear_before_reset: (r . H) R_h^T into H R^T's candidate columns. */
    private static void resetProduct(Pass p) {
        int hs = p.dims.hidden;
        Buf.gemm(false, true, p.dims.batch, hs, hs, 1, p.scratch, 0, hs, p.r, p.rOff + 2 * hs * hs, hs, 0,
                p.hr, 2 * hs, 3 * hs);
    }

    /** {@link #step}'s element loops in float32 lanes ({@link VectorCells}). */
    private void vectorStep(Pass p) {
        Dims d = p.dims;
        int hs = d.hidden;
        int gh = 3 * hs;
        ByteBuffer xw = p.xw.tensor.bytes();
        ByteBuffer hr = p.hr.tensor.bytes();
        ByteBuffer h = p.h.tensor.bytes();
        ByteBuffer scratch = linearBeforeReset ? null : p.scratch.tensor.bytes();
        for (int b = 0; b < d.batch; b++) {
            if (p.t[b] >= 0) {
                VectorCells.gruGates(xw, d.xRow(p.t[b], b) * gh, hr, b * gh, h, scratch, b * hs, hs, (float) clip);
            }
        }
        if (!linearBeforeReset) {
            resetProduct(p);
        }
        for (int b = 0; b < d.batch; b++) {
            if (p.t[b] >= 0) {
                VectorCells.gruState(xw, d.xRow(p.t[b], b) * gh, hr, b * gh, h, b * hs, hs, (float) clip,
                        linearBeforeReset ? p.rbFloat : null);
            }
        }
    }

    @Override
    int stateGates() {
        return linearBeforeReset ? 3 : 2;
    }

    @Override
    void prepareBackward(Pass p, int steps, boolean dbl) {
        if (!linearBeforeReset) {
            p.rh = Buf.zeros(dbl, steps * p.dims.batch, p.dims.hidden);
            p.scratch = Buf.zeros(dbl, p.dims.batch, p.dims.hidden);
        }
    }

    /**
     * With h~ = g(a_h), H' = (1 - z) h~ + z H: dh~ = dH' (1 - z), dz = dH' (H - h~), and H gets
     * dH' z directly. The candidate's input reaches r and H through r . H R_h^T (a second product,
     * d(r . H) = dA_h R_h) or through r . q with q = H R_h^T + Rb_h (linear_before_reset).
     */
    @Override
    void backStep(Pass p, Buf dh, Buf dhNew, Buf dc, Buf dcNew, Buf dA, Buf dAR, OpContext ctx) {
        Dims d = p.dims;
        int hs = d.hidden;
        int gh = 3 * hs;
        Activation f = p.act[0];
        Activation g = p.act[1];
        ctx.device().parallelFor(d.batch, 48L * hs, (s, e) -> {
            for (int b = s; b < e; b++) {
                int ho = b * hs;
                if (p.t[b] < 0) {
                    copyRow(dh, ho, dhNew, ho, hs);
                    continue;
                }
                int ro = (p.step * d.batch + b) * gh;
                int so = (p.step * d.batch + b) * hs;
                for (int j = 0; j < hs; j++) {
                    double hp = p.hPrev.get(so + j);
                    double az = p.pre.get(ro + j);
                    double ar = p.pre.get(ro + hs + j);
                    double ah = p.pre.get(ro + 2 * hs + j);
                    double z = f.apply(clip(az));
                    double r = f.apply(clip(ar));
                    double cand = g.apply(clip(ah));
                    double dH = dh.get(ho + j);
                    double dAh = dH * (1 - z) * slope(g, ah, cand);
                    double dAz = dH * (hp - cand) * slope(f, az, z);
                    dA.set(ro + j, dAz);
                    dAR.set(ro + j, dAz);
                    dA.set(ro + 2 * hs + j, dAh);
                    dhNew.set(ho + j, dH * z);
                    if (linearBeforeReset) {
                        double q = p.q.get(so + j);
                        double dAr = dAh * q * slope(f, ar, r);
                        dA.set(ro + hs + j, dAr);
                        dAR.set(ro + hs + j, dAr);
                        dAR.set(ro + 2 * hs + j, dAh * r);
                    } else {
                        dAR.set(ro + 2 * hs + j, dAh);
                        p.rh.set(so + j, r * hp);
                    }
                }
            }
        });
        if (linearBeforeReset) {
            return;
        }
        int base = p.step * d.batch;
        // d(r . H) = dA_h R_h, then split between r and H
        Buf.gemm(false, false, d.batch, hs, hs, 1, dA, base * gh + 2 * hs, gh, p.r, p.rOff + 2 * hs * hs, hs, 0,
                p.scratch, 0, hs);
        ctx.device().parallelFor(d.batch, 16L * hs, (s, e) -> {
            for (int b = s; b < e; b++) {
                if (p.t[b] < 0) {
                    continue;
                }
                int ro = (base + b) * gh;
                int so = (base + b) * hs;
                int ho = b * hs;
                for (int j = 0; j < hs; j++) {
                    double drh = p.scratch.get(ho + j);
                    double ar = p.pre.get(ro + hs + j);
                    double r = f.apply(clip(ar));
                    double dAr = drh * p.hPrev.get(so + j) * slope(f, ar, r);
                    dA.set(ro + hs + j, dAr);
                    dAR.set(ro + hs + j, dAr);
                    dhNew.set(ho + j, dhNew.get(ho + j) + drh * r);
                }
            }
        });
    }

    /** Without linear_before_reset, R_h multiplies r . H rather than H. */
    @Override
    void recurrentWeightGradient(Pass p, int steps, Buf dAR, Buf gr, int grOff) {
        if (linearBeforeReset) {
            super.recurrentWeightGradient(p, steps, dAR, gr, grOff);
            return;
        }
        int hs = p.dims.hidden;
        int gh = 3 * hs;
        int n = steps * p.dims.batch;
        Buf.gemm(true, false, 2 * hs, hs, n, 1, dAR, 0, gh, p.hPrev, 0, hs, 0, gr, grOff, hs);
        Buf.gemm(true, false, hs, hs, n, 1, dAR, 2 * hs, gh, p.rh, 0, hs, 0, gr, grOff + 2 * hs * hs, hs);
    }
}
