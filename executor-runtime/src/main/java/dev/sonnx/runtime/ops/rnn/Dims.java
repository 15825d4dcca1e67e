package dev.sonnx.runtime.ops.rnn;

/** The dimensions of one call. */
final class Dims {
    final int seq;
    final int batch;
    final int input;
    final int hidden;
    final int dirs;
    final boolean batchMajor;

    Dims(int seq, int batch, int input, int hidden, int dirs, boolean batchMajor) {
        this.seq = seq;
        this.batch = batch;
        this.input = input;
        this.hidden = hidden;
        this.dirs = dirs;
        this.batchMajor = batchMajor;
    }

    /** Row of X (and of the input projection) at time t, batch entry b. */
    int xRow(int t, int b) {
        return batchMajor ? b * seq + t : t * batch + b;
    }

    /** Offset of Y[t, d, b, :] (layout 0) or Y[b, t, d, :] (layout 1). */
    int yOffset(int t, int d, int b) {
        return (batchMajor ? (b * seq + t) * dirs + d : (t * dirs + d) * batch + b) * hidden;
    }

    /** Offset of a state's [d, b, :] (layout 0) or [b, d, :] (layout 1). */
    int stateOffset(int d, int b) {
        return (batchMajor ? b * dirs + d : d * batch + b) * hidden;
    }

    int[] stateShape() {
        return batchMajor ? new int[] {batch, dirs, hidden} : new int[] {dirs, batch, hidden};
    }

    int[] yShape() {
        return batchMajor ? new int[] {batch, seq, dirs, hidden} : new int[] {seq, dirs, batch, hidden};
    }
}
