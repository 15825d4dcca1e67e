package dev.sonnx.runtime.ops.math;

import dev.sonnx.runtime.ops.BackwardContext;
import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.ops.kernel.Broadcast;
import dev.sonnx.runtime.ops.kernel.SumTo;
import dev.sonnx.runtime.ops.kernel.TypeCheck;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import java.nio.ByteBuffer;
import java.nio.IntBuffer;

/**
 * Where: out = condition ? X : Y, the three inputs broadcast together. X and Y may have any type,
 * strings included: elements are copied by their width (1, 2, 4, 8 or 16 bytes), never converted.
 */
final class WhereOp extends Operator {

    WhereOp(Node node) {
        super(node);
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor c = required(inputs, 0);
        Tensor x = required(inputs, 1);
        Tensor y = required(inputs, 2);
        TypeCheck.require(c, TypeCheck.BOOL, "input condition");
        if (x.dtype() != y.dtype()) {
            throw new IllegalArgumentException("inputs X and Y have different types " + x.dtype().onnxName() + " and "
                    + y.dtype().onnxName());
        }
        Broadcast bc = Broadcast.of(c.shape(), x.shape(), y.shape());
        // every element is written below (strings need their array's empty values)
        Tensor out = x.dtype() == DataType.STRING ? Tensor.zeros(x.dtype(), bc.outShape())
                : Tensor.uninitialized(x.dtype(), bc.outShape());
        int sc = bc.rowStride(0);
        int sx = bc.rowStride(1);
        int sy = bc.rowStride(2);
        ByteBuffer cond = c.bytes();
        if (x.dtype() == DataType.STRING) {
            String[] xs = x.strings();
            String[] ys = y.strings();
            String[] os = out.strings();
            Spans.forEach(bc, 3, ctx.device(), 2, (oo, off, len) -> {
                for (int j = 0, ic = off[0], ix = off[1], iy = off[2]; j < len; j++, ic += sc, ix += sx, iy += sy) {
                    os[oo + j] = cond.get(ic) != 0 ? xs[ix] : ys[iy];
                }
            });
            return outputs(out);
        }
        int width = x.dtype().byteSize();
        if (width == 0) {
            throw new IllegalArgumentException("inputs X and Y have type " + x.dtype().onnxName()
                    + ", which this operator does not accept");
        }
        ByteBuffer xb = x.bytes();
        ByteBuffer yb = y.bytes();
        ByteBuffer ob = out.bytes();
        boolean words = width == 4 && (sc | sx | sy) >>> 1 == 0;
        IntBuffer xw = words ? xb.asIntBuffer() : null;
        IntBuffer yw = words ? yb.asIntBuffer() : null;
        IntBuffer ow = words ? ob.asIntBuffer() : null;
        Spans.forEach(bc, 3, ctx.device(), 1, (oo, off, len) -> {
            int ic = off[0];
            int ix = off[1];
            int iy = off[2];
            switch (width) {
                case 1 -> {
                    for (int j = 0; j < len; j++, ic += sc, ix += sx, iy += sy) {
                        ob.put(oo + j, cond.get(ic) != 0 ? xb.get(ix) : yb.get(iy));
                    }
                }
                case 2 -> {
                    for (int j = 0; j < len; j++, ic += sc, ix += sx, iy += sy) {
                        ob.putShort((oo + j) << 1, cond.get(ic) != 0 ? xb.getShort(ix << 1) : yb.getShort(iy << 1));
                    }
                }
                case 4 -> {
                    if (words) {
                        selectWords(cond, ic, sc, xw, ix, sx, yw, iy, sy, ow, oo, len);
                        return;
                    }
                    for (int j = 0; j < len; j++, ic += sc, ix += sx, iy += sy) {
                        ob.putInt((oo + j) << 2, cond.get(ic) != 0 ? xb.getInt(ix << 2) : yb.getInt(iy << 2));
                    }
                }
                case 8 -> {
                    for (int j = 0; j < len; j++, ic += sc, ix += sx, iy += sy) {
                        ob.putLong((oo + j) << 3, cond.get(ic) != 0 ? xb.getLong(ix << 3) : yb.getLong(iy << 3));
                    }
                }
                case 16 -> {
                    for (int j = 0; j < len; j++, ic += sc, ix += sx, iy += sy) {
                        boolean takeX = cond.get(ic) != 0;
                        ByteBuffer src = takeX ? xb : yb;
                        int at = (takeX ? ix : iy) << 4;
                        ob.putLong((oo + j) << 4, src.getLong(at));
                        ob.putLong(((oo + j) << 4) + 8, src.getLong(at + 8));
                    }
                }
                default -> throw new IllegalStateException("unexpected element width " + width);
            }
        });
        return outputs(out);
    }

    /**
     * A row of 4-byte elements (float32 attention scores against a mask, mostly) where each operand
     * steps by 1 or repeats one element (stride 0): blocks copied into arrays and selected through a
     * mask, a loop C2 vectorises, instead of a branch per element on buffer reads (2.4 ns an element
     * for gpt2's causal mask).
     */
    private static void selectWords(ByteBuffer cond, int ic, int sc, IntBuffer xw, int ix, int sx, IntBuffer yw,
                                    int iy, int sy, IntBuffer ow, int oo, int len) {
        FloatLoops.Block b = FloatLoops.Block.get();
        byte[] c = b.flags;
        int[] x = b.firstBits;
        int[] y = b.secondBits;
        for (int done = 0; done < len; done += FloatLoops.Block.LENGTH) {
            int n = Math.min(FloatLoops.Block.LENGTH, len - done);
            load(cond, ic + done * sc, sc, c, n);
            load(xw, ix + done * sx, sx, x, n);
            load(yw, iy + done * sy, sy, y, n);
            for (int j = 0; j < n; j++) {
                int v = c[j] & 0xff;
                int take = (v | -v) >> 31;
                x[j] = x[j] & take | y[j] & ~take;
            }
            ow.put(oo + done, x, 0, n);
        }
    }

    private static void load(ByteBuffer from, int at, int stride, byte[] to, int n) {
        if (stride == 1) {
            from.get(at, to, 0, n);
        } else {
            java.util.Arrays.fill(to, 0, n, from.get(at));
        }
    }

    private static void load(IntBuffer from, int at, int stride, int[] to, int n) {
        if (stride == 1) {
            from.get(at, to, 0, n);
        } else {
            java.util.Arrays.fill(to, 0, n, from.get(at));
        }
    }

    @Override
    public boolean differentiable() {
        return true;
    }

    /** gX = gy where the condition holds, gY = gy elsewhere, each summed to its input's shape. */
    @Override
    public Tensor[] backward(BackwardContext g) {
        Tensor gy = g.gradOutput(0);
        Tensor[] r = new Tensor[3];
        if (gy == null || !gy.dtype().isFloat()) {
            return r;
        }
        Tensor c = g.input(0);
        Broadcast bc = Broadcast.to(gy.shape(), c.shape());
        int sc = bc.rowStride(0);
        ByteBuffer cond = c.bytes();
        for (int k = 1; k <= 2; k++) {
            if (!g.needsGrad(k)) {
                continue;
            }
            boolean when = k == 1;
            Tensor gk = Tensor.uninitialized(gy.dtype(), gy.shape());
            Spans.forEach(bc, 1, g.device(), 2, (oo, off, len) -> {
                for (int j = 0, ic = off[0]; j < len; j++, ic += sc) {
                    gk.setDouble(oo + j, (cond.get(ic) != 0) == when ? gy.getDouble(oo + j) : 0);
                }
            });
            r[k] = SumTo.sumTo(gk, g.input(k).shape(), g.device());
        }
        return r;
    }
}
