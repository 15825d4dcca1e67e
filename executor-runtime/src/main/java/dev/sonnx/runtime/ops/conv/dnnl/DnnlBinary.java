package dev.sonnx.runtime.ops.conv.dnnl;

import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DST;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_SRC_0;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_SRC_1;
import static org.bytedeco.dnnl.global.dnnl.dnnl_binary_add;
import static org.bytedeco.dnnl.global.dnnl.dnnl_binary_div;
import static org.bytedeco.dnnl.global.dnnl.dnnl_binary_mul;
import static org.bytedeco.dnnl.global.dnnl.dnnl_binary_primitive_desc_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_binary_sub;

import dev.sonnx.runtime.tensor.Tensor;
import org.bytedeco.dnnl.dnnl_memory_desc;
import org.bytedeco.dnnl.dnnl_primitive_desc;

/**
 * A float32 Add, Sub, Mul or Div through oneDNN's binary primitive, for row-major tensors where the
 * first operand has the result's shape and the second broadcasts into it (each of its dimensions
 * equal or 1, same rank). The Java loops work row by row over the broadcast plan, which is slow
 * where the rows are short: squeeze-and-excitation's channel weights multiplying a channels-last
 * image repeat every 32 to 1,152 elements, and EfficientNet-B0's 16 such products took 4 ms of a
 * 17 ms run. oneDNN's jit kernel broadcasts inside its vector loop. Built once per shape pair;
 * shared by concurrent runs.
 */
public final class DnnlBinary {
    /** The operations, as ONNX's Add, Sub, Mul and Div compute them (IEEE float32, exactly rounded). */
    public enum Op {
        ADD, SUB, MUL, DIV
    }

    /** Work in multiply-add equivalents an element: a load of each operand and a store. */
    private static final long WORK_PER_ELEMENT = 4;

    private final DnnlPrimitive primitive;

    private DnnlBinary(DnnlPrimitive primitive) {
        this.primitive = primitive;
    }

    /**
     * The primitive for {@code y = a op b} with a of shape {@code shape} (the result's) and b of
     * {@code bShape}, or null where oneDNN is unavailable, declines, would run its reference kernel,
     * or the shapes do not fit (ranks differ, or b does not broadcast into a).
     */
    public static DnnlBinary create(Op op, int[] shape, int[] bShape) {
        int rank = shape.length;
        if (!Dnnl.available() || rank < 1 || rank > 6 || bShape.length != rank) {
            return null;
        }
        long size = 1;
        for (int i = 0; i < rank; i++) {
            if (shape[i] <= 0 || bShape[i] != shape[i] && bShape[i] != 1) {
                return null;
            }
            size *= shape[i];
        }
        long work = WORK_PER_ELEMENT * size;
        int[] a = shape.clone();
        int[] b = bShape.clone();
        return OpenMpTeam.createdFor(work, () -> build(op, a, b, work));
    }

    private static DnnlBinary build(Op op, int[] shape, int[] bShape, long work) {
        int tag = Layouts.plain(shape.length);
        dnnl_memory_desc src0 = Dnnl.desc(shape, tag);
        dnnl_memory_desc src1 = Dnnl.desc(bShape, tag);
        dnnl_memory_desc dst = Dnnl.desc(shape, tag);
        int alg = switch (op) {
            case ADD -> dnnl_binary_add;
            case SUB -> dnnl_binary_sub;
            case MUL -> dnnl_binary_mul;
            case DIV -> dnnl_binary_div;
        };
        dnnl_primitive_desc pd = Dnnl.jitDesc((desc, attr) -> dnnl_binary_primitive_desc_create(desc, Dnnl.engine(),
                alg, src0, src1, dst, attr), src0, src1, dst);
        if (pd == null) {
            return null;
        }
        return new DnnlBinary(new DnnlPrimitive(pd, new int[] {DNNL_ARG_SRC_0, DNNL_ARG_SRC_1, DNNL_ARG_DST},
                new dnnl_memory_desc[] {src0, src1, dst}, work));
    }

    /** y = a op b for float32 tensors of the shapes given at creation (y may be a). */
    public void forward(Tensor a, Tensor b, Tensor y) {
        primitive.execute(a.pointer(), b.pointer(), y.pointer());
    }
}
