package dev.sonnx.runtime.ops.rnn;

import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;

/** RNN (1, 7, 14): H_t = f(X_t W^T + H_{t-1} R^T + Wb + Rb), f = Tanh unless {@code activations} says. */
final class Rnn extends RecurrentLayer {

    Rnn(Node node, boolean hasLayout) {
        super(node, 1, new String[] {"Tanh"}, hasLayout);
    }

    @Override
    void step(Pass p, OpContext ctx) {
        Dims d = p.dims;
        int hs = d.hidden;
        Buf.gemm(false, true, d.batch, hs, hs, 1, p.h, 0, hs, p.r, p.rOff, hs, 0, p.hr, 0, hs);
        Activation f = p.act[0];
        ctx.device().parallelFor(d.batch, 16L * hs, (s, e) -> {
            for (int b = s; b < e; b++) {
                if (p.t[b] < 0) {
                    continue;
                }
                int xo = d.xRow(p.t[b], b) * hs;
                int ho = b * hs;
                int ro = (p.step * d.batch + b) * hs;
                for (int j = 0; j < hs; j++) {
                    double a = p.xw.get(xo + j) + p.hr.get(ho + j);
                    if (p.pre != null) {
                        p.pre.set(ro + j, a);
                    }
                    p.h.set(ho + j, f.apply(clip(a)));
                }
            }
        });
    }

    /** dA = dH . f'(a); nothing reaches H_prev except through R. */
    @Override
    void backStep(Pass p, Buf dh, Buf dhNew, Buf dc, Buf dcNew, Buf dA, Buf dAR, OpContext ctx) {
        Dims d = p.dims;
        int hs = d.hidden;
        Activation f = p.act[0];
        ctx.device().parallelFor(d.batch, 16L * hs, (s, e) -> {
            for (int b = s; b < e; b++) {
                int ho = b * hs;
                if (p.t[b] < 0) {
                    copyRow(dh, ho, dhNew, ho, hs);
                    continue;
                }
                int ro = (p.step * d.batch + b) * hs;
                for (int j = 0; j < hs; j++) {
                    double a = p.pre.get(ro + j);
                    double da = dh.get(ho + j) * slope(f, a, f.apply(clip(a)));
                    dA.set(ro + j, da);
                    dAR.set(ro + j, da);
                    dhNew.set(ho + j, 0);
                }
            }
        });
    }
}
