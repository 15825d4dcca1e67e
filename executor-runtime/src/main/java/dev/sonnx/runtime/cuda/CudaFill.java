package dev.sonnx.runtime.cuda;

import dev.sonnx.runtime.tensor.Tensor;

/** Writes one value into every element of a float32 device tensor. */
final class CudaFill {
    private CudaFill() {
    }

    static void fill(CudaDevice d, Tensor t, float value) {
        long n = t.size();
        if (n > 0) {
            d.kernels().launch("fill_f32", n, d.kernels().args().ptr(CudaDevice.address(t)).i64(n).f32(value));
        }
    }
}
