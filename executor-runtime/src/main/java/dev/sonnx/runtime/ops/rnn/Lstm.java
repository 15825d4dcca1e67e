package dev.sonnx.runtime.ops.rnn;

import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import java.nio.ByteBuffer;

/**
 * LSTM (1, 7, 14), gates i (input), o (output), f (forget), c (cell) in that order in W, R and B;
 * peepholes P in the order i, o, f:
 * <pre>
 *   i = f(X W_i^T + H R_i^T + P_i . C + Wb_i + Rb_i)     f = f(X W_f^T + H R_f^T + P_f . C + Wb_f + Rb_f)
 *   c~ = g(X W_c^T + H R_c^T + Wb_c + Rb_c)               C' = f . C + i . c~
 *   o = f(X W_o^T + H R_o^T + P_o . C' + Wb_o + Rb_o)     H' = o . h(C')
 * </pre>
 * input_forget = 1 couples the forget gate to the input gate: f = 1 - i.
 */
final class Lstm extends RecurrentLayer {
    private static final int INITIAL_C = INITIAL_H + 1;
    private static final int PEEPHOLES = INITIAL_H + 2;

    private final boolean inputForget;

    Lstm(Node node, boolean hasLayout) {
        super(node, 4, new String[] {"Sigmoid", "Tanh", "Tanh"}, hasLayout);
        int v = node.attributes().getInt("input_forget", 0);
        if (v != 0 && v != 1) {
            throw new IllegalArgumentException("attribute 'input_forget' must be 0 or 1, got " + v);
        }
        this.inputForget = v == 1;
    }

    @Override
    boolean hasCellState() {
        return true;
    }

    @Override
    void checkExtraInputs(Value[] inputs, Dims dims) {
        Tensor c = tensor(inputs, INITIAL_C);
        if (c != null) {
            expectShape(c, "initial_c", dims.stateShape());
        }
        Tensor p = tensor(inputs, PEEPHOLES);
        if (p != null) {
            expectShape(p, "P", dims.dirs, 3 * dims.hidden);
        }
    }

    @Override
    Buf initialCell(Value[] inputs, boolean dbl) {
        Tensor c = tensor(inputs, INITIAL_C);
        return c == null ? null : Buf.of(c, dbl);
    }

    @Override
    void preparePass(Pass p, Value[] inputs, Buf initialCell, boolean dbl) {
        Dims d = p.dims;
        int hs = d.hidden;
        p.c = Buf.zeros(dbl, d.batch, hs);
        if (initialCell != null) {
            for (int b = 0; b < d.batch; b++) {
                copyRow(initialCell, d.stateOffset(p.dir, b), p.c, b * hs, hs);
            }
        }
        Tensor peep = tensor(inputs, PEEPHOLES);
        if (peep != null) {
            p.peepholes = new double[3 * hs];
            for (int j = 0; j < 3 * hs; j++) {
                p.peepholes[j] = peep.getDouble(p.dir * 3 * hs + j);
            }
        }
    }

    @Override
    void step(Pass p, OpContext ctx) {
        Dims d = p.dims;
        int hs = d.hidden;
        int gh = 4 * hs;
        Activation f = p.act[0];
        Activation g = p.act[1];
        Activation h = p.act[2];
        double[] peep = p.peepholes;
        Buf.gemm(false, true, d.batch, gh, hs, 1, p.h, 0, hs, p.r, p.rOff, hs, 0, p.hr, 0, gh);
        if (VectorCells.lstmApplies(p)) {
            ByteBuffer xw = p.xw.tensor.bytes();
            ByteBuffer hr = p.hr.tensor.bytes();
            ByteBuffer c = p.c.tensor.bytes();
            ByteBuffer hb = p.h.tensor.bytes();
            for (int b = 0; b < d.batch; b++) {
                if (p.t[b] >= 0) {
                    VectorCells.lstmRow(xw, d.xRow(p.t[b], b) * gh, hr, b * gh, c, hb, b * hs, hs, (float) clip,
                            inputForget);
                }
            }
            return;
        }
        ctx.device().parallelFor(d.batch, 64L * hs, (s, e) -> {
            for (int b = s; b < e; b++) {
                if (p.t[b] < 0) {
                    continue;
                }
                int xo = d.xRow(p.t[b], b) * gh;
                int go = b * gh;
                int ho = b * hs;
                int ro = (p.step * d.batch + b) * gh;
                for (int j = 0; j < hs; j++) {
                    double c = p.c.get(ho + j);
                    double pi = p.xw.get(xo + j) + p.hr.get(go + j);
                    double po = p.xw.get(xo + hs + j) + p.hr.get(go + hs + j);
                    double pf = p.xw.get(xo + 2 * hs + j) + p.hr.get(go + 2 * hs + j);
                    double pc = p.xw.get(xo + 3 * hs + j) + p.hr.get(go + 3 * hs + j);
                    if (peep != null) {
                        pi += peep[j] * c;
                        pf += peep[2 * hs + j] * c;
                    }
                    double in = f.apply(clip(pi));
                    double forget = inputForget ? 1 - in : f.apply(clip(pf));
                    double cell = forget * c + in * g.apply(clip(pc));
                    if (peep != null) {
                        po += peep[hs + j] * cell;
                    }
                    if (p.pre != null) {
                        p.pre.set(ro + j, pi);
                        p.pre.set(ro + hs + j, po);
                        p.pre.set(ro + 2 * hs + j, pf);
                        p.pre.set(ro + 3 * hs + j, pc);
                    }
                    double out = f.apply(clip(po));
                    p.c.set(ho + j, cell);
                    p.h.set(ho + j, out * h.apply(cell));
                }
            }
        });
    }

    /**
     * With C' = f C + i c~ and H' = o h(C'): the output gate takes dH' h(C'); C' takes dC' plus
     * dH' o h'(C') (and its peephole's share of the output gate); from C' the gradient splits into
     * the forget gate (C), the input gate (c~), the candidate (i) and C itself (f), plus the input
     * and forget peepholes.
     */
    @Override
    void backStep(Pass p, Buf dh, Buf dhNew, Buf dc, Buf dcNew, Buf dA, Buf dAR, OpContext ctx) {
        Dims d = p.dims;
        int hs = d.hidden;
        int gh = 4 * hs;
        Activation f = p.act[0];
        Activation g = p.act[1];
        Activation h = p.act[2];
        double[] peep = p.peepholes;
        ctx.device().parallelFor(d.batch, 64L * hs, (s, e) -> {
            for (int b = s; b < e; b++) {
                int ho = b * hs;
                if (p.t[b] < 0) {
                    copyRow(dh, ho, dhNew, ho, hs);
                    copyRow(dc, ho, dcNew, ho, hs);
                    continue;
                }
                int ro = (p.step * d.batch + b) * gh;
                int so = (p.step * d.batch + b) * hs;
                for (int j = 0; j < hs; j++) {
                    double c = p.cPrev.get(so + j);
                    double pi = p.pre.get(ro + j);
                    double po = p.pre.get(ro + hs + j);
                    double pf = p.pre.get(ro + 2 * hs + j);
                    double pc = p.pre.get(ro + 3 * hs + j);
                    double in = f.apply(clip(pi));
                    double forget = inputForget ? 1 - in : f.apply(clip(pf));
                    double cand = g.apply(clip(pc));
                    double cell = forget * c + in * cand;
                    double out = f.apply(clip(po));
                    double hc = h.apply(cell);
                    double dH = dh.get(ho + j);
                    double dAo = dH * hc * slope(f, po, out);
                    double dC = dc.get(ho + j) + dH * out * h.derivative(cell, hc);
                    if (peep != null) {
                        dC += dAo * peep[hs + j];
                    }
                    double dForget = dC * c;
                    double dIn = dC * cand;
                    double dAf = 0;
                    if (inputForget) {
                        dIn -= dForget;
                    } else {
                        dAf = dForget * slope(f, pf, forget);
                    }
                    double dAi = dIn * slope(f, pi, in);
                    double dAc = dC * in * slope(g, pc, cand);
                    double dPrev = dC * forget;
                    if (peep != null) {
                        dPrev += dAi * peep[j] + dAf * peep[2 * hs + j];
                    }
                    dA.set(ro + j, dAi);
                    dA.set(ro + hs + j, dAo);
                    dA.set(ro + 2 * hs + j, dAf);
                    dA.set(ro + 3 * hs + j, dAc);
                    dAR.set(ro + j, dAi);
                    dAR.set(ro + hs + j, dAo);
                    dAR.set(ro + 2 * hs + j, dAf);
                    dAR.set(ro + 3 * hs + j, dAc);
                    dhNew.set(ho + j, 0);
                    dcNew.set(ho + j, dPrev);
                }
            }
        });
    }

    /** dP_i = sum dA_i C, dP_f = sum dA_f C (the previous cell state), dP_o = sum dA_o C'. */
    @Override
    void peepholeGradient(Pass p, Recording sv, Buf dA, double[] gp, int off) {
        Dims d = p.dims;
        int hs = d.hidden;
        int gh = 4 * hs;
        Activation f = p.act[0];
        Activation g = p.act[1];
        for (int s = 0; s < sv.steps; s++) {
            setTimes(p, sv.lens, s);
            for (int b = 0; b < d.batch; b++) {
                if (p.t[b] < 0) {
                    continue;
                }
                int ro = (s * d.batch + b) * gh;
                int so = (s * d.batch + b) * hs;
                for (int j = 0; j < hs; j++) {
                    double c = p.cPrev.get(so + j);
                    double in = f.apply(clip(p.pre.get(ro + j)));
                    double forget = inputForget ? 1 - in : f.apply(clip(p.pre.get(ro + 2 * hs + j)));
                    double cell = forget * c + in * g.apply(clip(p.pre.get(ro + 3 * hs + j)));
                    gp[off + j] += dA.get(ro + j) * c;
                    gp[off + hs + j] += dA.get(ro + hs + j) * cell;
                    gp[off + 2 * hs + j] += dA.get(ro + 2 * hs + j) * c;
                }
            }
        }
    }
}
