package dev.sonnx.runtime.cuda;

import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;

/**
 * float32 <-> float16 copies on the device, for mixed precision: the operands of convolutions and
 * matrix products go to float16 (tensor cores), their results and everything else stay float32.
 */
final class CudaHalf {
    private CudaHalf() {
    }

    /** A float16 copy of a float32 tensor on this device. */
    static Tensor toHalf(CudaDevice d, Tensor x) {
        return toHalf(d, CudaDevice.address(x), x.shape(), x.size());
    }

    /** A float16 copy of {@code count} float32 values at {@code address}, shaped {@code shape}. */
    static Tensor toHalf(CudaDevice d, long address, int[] shape, long count) {
        Tensor y = d.uninitialized(DataType.FLOAT16, shape);
        if (count > 0) {
            d.kernels().launch("f32_to_f16", count, d.kernels().args().ptr(address).ptr(CudaDevice.address(y)).i64(count));
        }
        return y;
    }

    /** A float32 copy of a float16 tensor on this device. */
    static Tensor toFloat(CudaDevice d, Tensor h) {
        Tensor y = d.uninitialized(DataType.FLOAT, h.shape());
        long n = h.size();
        if (n > 0) {
            d.kernels().launch("f16_to_f32", n, d.kernels().args().ptr(CudaDevice.address(h)).ptr(CudaDevice.address(y)).i64(n));
        }
        return y;
    }
}
