package dev.sonnx.runtime.ops.rnn;

/** One direction's run: its weights, state and scratch space. */
final class Pass {
    final Dims dims;
    final int dir;
    final boolean reverse;
    final Activation[] act;
    /** X W^T plus the biases that can be added up front: [rows of X, gates * hidden]. */
    final Buf xw;
    final Buf r;
    /** Offset of this direction's R ([gates * hidden, hidden]). */
    final int rOff;
    /** Recurrence biases that the cell adds itself (GRU linear_before_reset), else null. */
    final double[] rb;
    /** {@link #rb} in float32, for the lanes of {@link VectorCells} (a float32 GRU with linear_before_reset). */
    float[] rbFloat;
    /** Hidden state [batch, hidden]; LSTM also keeps the cell state {@link #c}. */
    final Buf h;
    /** LSTM: the cell state [batch, hidden] and the peepholes of this direction (3 * hidden) or null. */
    Buf c;
    double[] peepholes;
    /** GRU: r * h before its product with R_h [batch, hidden]. */
    Buf scratch;
    /** h R^T, then the gate values: [batch, gates * hidden]. */
    final Buf hr;
    /** Per batch entry, the time index of the current step, or -1 when its sequence has ended. */
    final int[] t;
    /** The current step, counted from this direction's start. */
    int step;
    /**
     * Recorded for backward (null in inference), per step and batch entry: the gate
     * pre-activations before clipping [steps * batch, gates * hidden], the states before the
     * step [steps * batch, hidden] (LSTM: also the cell state), and GRU's H R_h^T + Rb_h with
     * linear_before_reset.
     */
    Buf pre;
    Buf hPrev;
    Buf cPrev;
    Buf q;
    /** GRU backward without linear_before_reset: r . H of every step, the input of R_h. */
    Buf rh;

    Pass(Dims dims, int dir, boolean reverse, Activation[] act, Buf xw, Buf r, int rOff, double[] rb,
         Buf h, Buf hr) {
        this.dims = dims;
        this.dir = dir;
        this.reverse = reverse;
        this.act = act;
        this.xw = xw;
        this.r = r;
        this.rOff = rOff;
        this.rb = rb;
        this.h = h;
        this.hr = hr;
        this.t = new int[dims.batch];
    }
}
