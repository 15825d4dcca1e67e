package dev.sonnx.runtime.ops.conv;

import dev.sonnx.runtime.ops.BackwardContext;
import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.ops.kernel.TypeCheck;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import java.util.Arrays;
import java.util.EnumSet;

/**
 * Col2Im (18): rearranges column blocks {@code [N, C * prod(block_shape), L]} into an image
 * {@code [N, C, image_shape...]}, summing overlapping blocks (PyTorch's fold). L must be the number
 * of block positions that {@code strides}, {@code dilations} and {@code pads} give over the image.
 * Computes in float64, exact for integers up to 2^53.
 */
final class Col2Im extends Operator {
    private final SpatialAttributes spatial;
    private final ShapeCache<Window> windows = new ShapeCache<>();

    Col2Im(Node node) {
        super(node);
        this.spatial = new SpatialAttributes(node.attributes(), true, false);
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor col = required(inputs, 0);
        Tensor imageShape = required(inputs, 1);
        Tensor blockShape = required(inputs, 2);
        TypeCheck.require(col, TypeCheck.NUMERIC, "input input");
        TypeCheck.require(imageShape, EnumSet.of(DataType.INT64), "input image_shape");
        TypeCheck.require(blockShape, EnumSet.of(DataType.INT64), "input block_shape");
        if (col.rank() != 3) {
            throw new IllegalArgumentException("input input has shape " + Arrays.toString(col.shape())
                    + ", expected [N, C * prod(block_shape), L]");
        }
        int[] image = vector(imageShape, "image_shape");
        int[] block = vector(blockShape, "block_shape");
        if (image.length != block.length || image.length == 0) {
            throw new IllegalArgumentException("inputs image_shape " + Arrays.toString(image) + " and block_shape "
                    + Arrays.toString(block) + " must have the same, non-zero length");
        }
        Window w = windows.get(s -> spatial.window(s[0], s[1]), image, block);
        int k = w.kernelSize;
        if (col.shape()[1] % k != 0) {
            throw new IllegalArgumentException("input input has " + col.shape()[1]
                    + " rows per image, not a multiple of prod(block_shape) = " + k);
        }
        if (col.shape()[2] != w.positionCount) {
            throw new IllegalArgumentException("input input has " + col.shape()[2] + " blocks per image, but "
                    + Arrays.toString(block) + " blocks over " + Arrays.toString(image) + " give " + w.positionCount);
        }
        int n = col.shape()[0];
        int c = col.shape()[1] / k;
        Tensor y = Tensor.zeros(col.dtype(), ConvShapes.withBatchAndChannels(n, c, image));
        int[] table = w.table();
        int imageSize = w.imageSize;
        ctx.device().parallelFor(n * c, table.length, (s, e) -> {
            double[] in = new double[table.length];
            double[] out = new double[imageSize];
            for (int plane = s; plane < e; plane++) {
                Planes.load(col, plane * table.length, table.length, in);
                Arrays.fill(out, 0);
                for (int j = 0; j < table.length; j++) {
                    int i = table[j];
                    if (i >= 0) {
                        out[i] += in[j];
                    }
                }
                Planes.store(out, imageSize, y, plane * imageSize);
            }
        });
        return outputs(y);
    }

    private static int[] vector(Tensor t, String name) {
        if (t.rank() != 1) {
            throw new IllegalArgumentException("input " + name + " has shape " + Arrays.toString(t.shape())
                    + ", expected a 1-D tensor");
        }
        int[] v = t.toIntArray();
        for (int x : v) {
            if (x <= 0) {
                throw new IllegalArgumentException("input " + name + " is " + Arrays.toString(v)
                        + ", expected positive sizes");
            }
        }
        return v;
    }

    @Override
    public boolean differentiable() {
        return true;
    }

    /** The adjoint of folding: dInput = im2col(dY). */
    @Override
    public Tensor[] backward(BackwardContext g) {
        Tensor[] grads = new Tensor[3];
        Tensor gy = g.gradOutput(0);
        if (gy == null || !g.needsGrad(0)) {
            return grads;
        }
        Tensor col = g.input(0);
        Window w = windows.get(s -> spatial.window(s[0], s[1]), g.input(1).toIntArray(), g.input(2).toIntArray());
        int[] table = w.table();
        int imageSize = w.imageSize;
        Tensor gc = Tensor.zeros(col.dtype(), col.shape());
        int planes = col.shape()[0] * (col.shape()[1] / w.kernelSize);
        g.device().parallelFor(planes, table.length, (s, e) -> {
            double[] dy = new double[imageSize];
            double[] dc = new double[table.length];
            for (int plane = s; plane < e; plane++) {
                Planes.load(gy, plane * imageSize, imageSize, dy);
                for (int j = 0; j < table.length; j++) {
                    int i = table[j];
                    dc[j] = i < 0 ? 0 : dy[i];
                }
                Planes.store(dc, table.length, gc, plane * table.length);
            }
        });
        grads[0] = gc;
        return grads;
    }
}
