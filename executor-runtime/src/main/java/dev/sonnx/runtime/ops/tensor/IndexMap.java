package dev.sonnx.runtime.ops.tensor;

import dev.sonnx.runtime.cpu.CpuDevice;
import dev.sonnx.runtime.ops.BackwardContext;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.tensor.Device;
import dev.sonnx.runtime.tensor.Shapes;
import dev.sonnx.runtime.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * A gather whose source offset separates over the output's axes: output element (c0, ..., cn-1)
 * reads source element {@code offset0(c0) + ... + offsetn-1(cn-1)}, or a fill value where some
 * {@code offsetd(cd)} is {@link #FILL}. Transpose, Slice, Pad, Tile, Expand, Gather and Compress are
 * all such maps: each describes its output axes, and this class runs the map forward (a gather) or
 * backward (its adjoint: a scatter where the map is one-to-one, a sum where it is not).
 *
 * <p>At construction, axes of length 1 fold into a constant offset and neighbouring affine axes
 * that walk the source as one merge, so the innermost axis is as long as possible; that axis is
 * then cut into runs (contiguous, strided or fill), and the kernels move whole runs.
 */
final class IndexMap {
    /** The offset of an output coordinate that reads no source element (padding). */
    static final int FILL = -1;

    /** Non-injective adjoints sum into shared elements, so they run on one thread. */
    private static final Device SERIAL = CpuDevice.withThreads(1);

    /** One output axis: {@code offset(c) = start + c * step}, or {@code table[c]}. */
    static final class Axis {
        final int length;
        final int start;
        final int step;
        final int[] table;

        private Axis(int length, int start, int step, int[] table) {
            this.length = length;
            this.start = start;
            this.step = step;
            this.table = table;
        }

        static Axis affine(int length, int start, int step) {
            return new Axis(length, start, step, null);
        }

        /** Offsets listed per coordinate; {@link #FILL} marks padding. */
        static Axis table(int[] offsets) {
            return new Axis(offsets.length, 0, 0, offsets);
        }

        int offset(int c) {
            return table == null ? start + c * step : table[c];
        }
    }

    /** One run of the innermost axis: {@code len} output elements from {@code src} by {@code srcStep}. */
    @FunctionalInterface
    interface RunBody {
        /** {@code srcPos} is {@link #FILL} for a run of padding. */
        void run(int outPos, int srcPos, int srcStep, int len);
    }

    private final int size;
    private final boolean injective;
    private final int base;
    private final boolean allFill;
    /** Whether some output element reads no source element (padding). */
    private final boolean pads;
    /** Offsets along each outer axis (all but the innermost), per coordinate. */
    private final int[][] outer;
    private final int rowLength;
    private final int rows;
    // the innermost axis as runs: output start, length, source offset (or FILL), source step
    private final int[] runOut;
    private final int[] runLen;
    private final int[] runSrc;
    private final int[] runStep;

    /**
     * A map over output axes {@code axes} (outermost first). {@code injective} says that no two
     * output elements read the same source element, which lets the adjoint scatter in parallel.
     */
    IndexMap(List<Axis> axes, boolean injective) {
        this.injective = injective;
        int[] lengths = new int[axes.size()];
        for (int d = 0; d < lengths.length; d++) {
            lengths[d] = axes.get(d).length;
        }
        this.size = Shapes.size(lengths);
        int b = 0;
        boolean fill = false;
        List<Axis> kept = new ArrayList<>();
        for (Axis a : axes) {
            if (a.length == 1 && size > 0) {
                int o = a.offset(0);
                if (o == FILL) {
                    fill = true;
                } else {
                    b += o;
                }
                continue;
            }
            Axis prev = kept.isEmpty() ? null : kept.get(kept.size() - 1);
            if (prev != null && prev.table == null && a.table == null && prev.step == a.step * a.length) {
                kept.set(kept.size() - 1, Axis.affine(prev.length * a.length, prev.start + a.start, a.step));
            } else {
                kept.add(a);
            }
        }
        if (kept.isEmpty()) {
            kept.add(Axis.affine(1, 0, 1));
        }
        this.base = b;
        this.allFill = fill;
        Axis last = kept.get(kept.size() - 1);
        this.rowLength = last.length;
        this.rows = rowLength == 0 ? 0 : size / rowLength;
        this.outer = new int[kept.size() - 1][];
        for (int d = 0; d < outer.length; d++) {
            Axis a = kept.get(d);
            int[] t = new int[a.length];
            for (int c = 0; c < t.length; c++) {
                t[c] = a.offset(c);
            }
            outer[d] = t;
        }
        List<int[]> runs = runs(last);
        this.runOut = new int[runs.size()];
        this.runLen = new int[runs.size()];
        this.runSrc = new int[runs.size()];
        this.runStep = new int[runs.size()];
        for (int r = 0; r < runs.size(); r++) {
            int[] x = runs.get(r);
            runOut[r] = x[0];
            runLen[r] = x[1];
            runSrc[r] = x[2];
            runStep[r] = x[3];
        }
        boolean p = allFill;
        for (int[] t : outer) {
            for (int o : t) {
                p |= o == FILL;
            }
        }
        for (int s : runSrc) {
            p |= s == FILL;
        }
        this.pads = p;
    }

    /** Cuts the innermost axis into maximal runs: padding, or source offsets in arithmetic progression. */
    private static List<int[]> runs(Axis a) {
        List<int[]> runs = new ArrayList<>();
        if (a.table == null) {
            if (a.length > 0) {
                runs.add(new int[] {0, a.length, a.start, a.step});
            }
            return runs;
        }
        int[] t = a.table;
        int k = 0;
        while (k < t.length) {
            int end = k + 1;
            int step = 1;
            if (t[k] == FILL) {
                while (end < t.length && t[end] == FILL) {
                    end++;
                }
            } else if (end < t.length && t[end] != FILL) {
                step = t[end] - t[k];
                while (end < t.length && t[end] != FILL && t[end] - t[end - 1] == step) {
                    end++;
                }
            }
            runs.add(new int[] {k, end - k, t[k], step});
            k = end;
        }
        return runs;
    }

    /** Output element count. */
    int size() {
        return size;
    }

    /** Calls {@code body} for every run of the output, rows split across {@code device}'s threads. */
    void forEachRun(Device device, long costPerElement, RunBody body) {
        if (rows == 0) {
            return;
        }
        int rank = outer.length;
        device.parallelFor(rows, costPerElement * rowLength, (startRow, endRow) -> {
            // odometer over the outer axes, with the source offset and padding count kept up to date
            int[] coord = new int[rank];
            int rem = startRow;
            for (int d = rank - 1; d >= 0; d--) {
                coord[d] = rem % outer[d].length;
                rem /= outer[d].length;
            }
            int src = base;
            int fills = allFill ? 1 : 0;
            for (int d = 0; d < rank; d++) {
                int o = outer[d][coord[d]];
                if (o == FILL) {
                    fills++;
                } else {
                    src += o;
                }
            }
            for (int row = startRow; row < endRow; row++) {
                int outPos = row * rowLength;
                if (fills > 0) {
                    body.run(outPos, FILL, 0, rowLength);
                } else {
                    for (int r = 0; r < runSrc.length; r++) {
                        int s = runSrc[r];
                        body.run(outPos + runOut[r], s == FILL ? FILL : src + s, runStep[r], runLen[r]);
                    }
                }
                for (int d = rank - 1; d >= 0; d--) {
                    int[] t = outer[d];
                    int before = t[coord[d]];
                    if (++coord[d] == t.length) {
                        coord[d] = 0;
                    }
                    int after = t[coord[d]];
                    fills += (after == FILL ? 1 : 0) - (before == FILL ? 1 : 0);
                    src += (after == FILL ? 0 : after) - (before == FILL ? 0 : before);
                    if (coord[d] != 0) {
                        break;
                    }
                }
            }
        });
    }

    /**
     * The gather: an output of shape {@code outShape} (this map's size) read from {@code src};
     * padding takes element 0 of {@code fill} (of src's type), or zero when {@code fill} is null.
     */
    Tensor gather(Tensor src, Tensor fill, int[] outShape, Device device) {
        // the runs cover every output element; only padding without a fill value relies on zeros
        Tensor out = pads && fill == null ? Tensor.zeros(src.dtype(), outShape)
                : Tensor.uninitialized(src.dtype(), outShape);
        if (out.size() != size) {
            throw new IllegalStateException("index map of " + size + " elements for output " + out.describe());
        }
        Mover data = Mover.of(src, out);
        Mover pad = fill == null ? null : Mover.of(fill, out);
        forEachRun(device, 1, (o, s, step, len) -> {
            if (s != FILL) {
                data.copy(s, step, o, 1, len);
            } else if (pad != null) {
                pad.fill(0, o, len);
            }
        });
        return out;
    }

    /**
     * The gather as an operator's forward: also saves this map for {@link #backward} when the run
     * records a tape.
     */
    Tensor forward(Tensor src, Tensor fill, int[] outShape, OpContext ctx) {
        if (ctx.recording()) {
            ctx.saveForBackward(this);
        }
        return gather(src, fill, outShape, ctx.device());
    }

    /**
     * The backward of an operator whose forward was {@link #forward}: the gradient of its input 0
     * through the saved map; other inputs (indices, pads, shapes) get none.
     */
    static Tensor[] backward(BackwardContext g) {
        Tensor[] grads = new Tensor[g.inputCount()];
        Tensor gy = g.gradOutput(0);
        if (gy != null && g.needsGrad(0)) {
            grads[0] = ((IndexMap) g.saved()).adjoint(gy, g.input(0).shape(), g.device());
        }
        return grads;
    }

    /**
     * The adjoint: the gradient of the source (shape {@code srcShape}) from the gradient of the
     * output; padding receives nothing, and source elements read several times get the sum.
     */
    Tensor adjoint(Tensor gradOut, int[] srcShape, Device device) {
        if (gradOut.size() != size) {
            throw new IllegalStateException("index map of " + size + " elements for gradient " + gradOut.describe());
        }
        if (injective) {
            Tensor g = Tensor.zeros(gradOut.dtype(), srcShape);
            Mover m = Mover.of(gradOut, g);
            forEachRun(device, 1, (o, s, step, len) -> {
                if (s != FILL) {
                    m.copy(o, 1, s, step, len);
                }
            });
            return g;
        }
        GradSum sum = new GradSum(gradOut, srcShape);
        forEachRun(SERIAL, 1, (o, s, step, len) -> {
            if (s != FILL) {
                sum.add(o, 1, s, step, len);
            }
        });
        return sum.result();
    }

    /** Affine axes reading a tensor of {@code shape} in place (the identity map), as a starting list. */
    static List<Axis> identity(int[] shape) {
        int[] strides = Shapes.strides(shape);
        List<Axis> axes = new ArrayList<>(shape.length);
        for (int d = 0; d < shape.length; d++) {
            axes.add(Axis.affine(shape[d], 0, strides[d]));
        }
        return axes;
    }
}
