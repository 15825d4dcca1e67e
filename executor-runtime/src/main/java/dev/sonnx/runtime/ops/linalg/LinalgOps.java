package dev.sonnx.runtime.ops.linalg;

import dev.sonnx.runtime.ops.OpRegistry;
import dev.sonnx.runtime.ops.conv.FusedConv;

/**
 * Operators of this family: matrix products: Gemm, MatMul, Einsum and kin. Versions are registered
 * where the semantics changed; type-only revisions (MatMul-9/13, Gemm-9/13, QLinearMatMul-21) share
 * the entry before them, which accepts the later types.
 */
public final class LinalgOps implements OpRegistry.OpSet {
    @Override
    public void register(OpRegistry r) {
        // Gemm-1/6: the broadcast attribute; Gemm-7: unidirectional broadcasting of C; Gemm-11: C optional.
        r.add("Gemm", 1, (n, b) -> new Gemm(n, b, 1));
        r.add("Gemm", 7, (n, b) -> new Gemm(n, b, 7));
        r.add("Gemm", 11, (n, b) -> new Gemm(n, b, 11));
        r.add("MatMul", 1, MatMul::new);
        // written by the inference passes (never in a model file): a float32 product with its bias, residual
        // and Gelu; and Gelu itself for models before opset 20 (where no product absorbs it), which is
        // ONNX's Gelu-20 from this same registry
        r.add(FusedConv.DOMAIN, FusedMatMul.OP_TYPE, 1, FusedMatMul::new);
        r.add(FusedConv.DOMAIN, "Gelu", 1, (n, b) -> {
            OpRegistry.Factory gelu = r.resolve("", "Gelu", 20);
            if (gelu == null) {
                throw new IllegalStateException("dev.sonnx.Gelu stands for Gelu-20, which this registry lacks");
            }
            return gelu.create(n, b);
        });
        r.add("MatMulInteger", 10, (n, b) -> new MatMulInteger(n));
        r.add("QLinearMatMul", 10, (n, b) -> new QLinearMatMul(n));
        r.add("Einsum", 12, (n, b) -> new Einsum(n));
        r.add("Det", 11, (n, b) -> new Det(n));
    }
}
