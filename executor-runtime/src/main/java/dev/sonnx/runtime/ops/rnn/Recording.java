package dev.sonnx.runtime.ops.rnn;

/** What backward needs from forward: the problem and each direction's recorded pass. */
final class Recording {
    final Dims dims;
    final int[] lens;
    final int steps;
    final boolean dbl;
    final Pass[] passes;

    Recording(Dims dims, int[] lens, int steps, boolean dbl, Pass[] passes) {
        this.dims = dims;
        this.lens = lens;
        this.steps = steps;
        this.dbl = dbl;
        this.passes = passes;
    }
}
