// sonnx's CUDA kernels, compiled once per device by NVRTC (CudaKernels) into one module.
// Every kernel is a grid-stride loop over its outputs, so any grid size is correct; shapes of up to
// MAX_RANK dimensions are passed by value (d*, sa*, sb*: dims and element strides, 0 = broadcast).
// Float32 only: the other types run through the host fallback.

typedef long long i64;
#define MAX_RANK 6
#define INFINITY __int_as_float(0x7f800000)
#define GRID_LOOP(i, n) for (i64 i = (i64)blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += (i64)blockDim.x * gridDim.x)

struct Dims {
    i64 d[MAX_RANK];
};

// ------------------------------------------------------------------------------------------ unary
// Op codes: keep in step with CudaUnary.Op.
#define U_RELU 0
#define U_LEAKY_RELU 1
#define U_SIGMOID 2
#define U_TANH 3
#define U_EXP 4
#define U_LOG 5
#define U_SQRT 6
#define U_NEG 7
#define U_ABS 8
#define U_ERF 9
#define U_RECIPROCAL 10
#define U_CLIP 11
#define U_AFFINE 12
#define U_GELU 13
#define U_ELU 14
#define U_SOFTPLUS 15
#define U_FLOOR 16
#define U_CEIL 17
#define U_SIN 18
#define U_COS 19
#define U_HARD_SIGMOID 20
#define U_SIGN 21
#define U_ROUND 22
#define U_SELU 23
#define U_IDENTITY 24
#define U_GELU_TANH 25
#define U_SQUARE 26
#define U_HARD_SWISH 27

__device__ __forceinline__ float unary_value(int op, float x, float alpha, float beta) {
    switch (op) {
        case U_RELU: return x > 0.f ? x : (x == x ? 0.f : x);
        case U_LEAKY_RELU: return x >= 0.f ? x : alpha * x;
        case U_SIGMOID: return 1.f / (1.f + expf(-x));
        case U_TANH: return tanhf(x);
        case U_EXP: return expf(x);
        case U_LOG: return logf(x);
        case U_SQRT: return sqrtf(x);
        case U_NEG: return -x;
        case U_ABS: return fabsf(x);
        case U_ERF: return erff(x);
        case U_RECIPROCAL: return 1.f / x;
        case U_CLIP: return x != x ? x : fminf(fmaxf(x, alpha), beta);
        case U_AFFINE: return alpha * x + beta;
        case U_GELU: return 0.5f * x * erfcf(-x * 0.70710678118654752f);
        case U_ELU: return x > 0.f ? x : alpha * expm1f(x);
        case U_SOFTPLUS: return x > 20.f ? x : log1pf(expf(x));
        case U_FLOOR: return floorf(x);
        case U_CEIL: return ceilf(x);
        case U_SIN: return sinf(x);
        case U_COS: return cosf(x);
        case U_HARD_SIGMOID: return fmaxf(0.f, fminf(1.f, alpha * x + beta));
        case U_SIGN: return x > 0.f ? 1.f : (x < 0.f ? -1.f : x);
        case U_ROUND: return rintf(x);
        case U_SELU: return x > 0.f ? beta * x : beta * alpha * expm1f(x);
        case U_GELU_TANH: {
            float u = 0.7978845608028654f * (x + 0.044715f * x * x * x);
            return 0.5f * x * (1.f + tanhf(u));
        }
        case U_SQUARE: return x * x;
        case U_HARD_SWISH: return x * fmaxf(0.f, fminf(1.f, x * (1.f / 6.f) + 0.5f));
        default: return x;
    }
}

// d(op)/dx at x (y = op(x) given too, cheaper for sigmoid and tanh).
__device__ __forceinline__ float unary_derivative(int op, float x, float y, float alpha, float beta) {
    switch (op) {
        case U_RELU: return x > 0.f ? 1.f : 0.f;
        case U_LEAKY_RELU: return x >= 0.f ? 1.f : alpha;
        case U_SIGMOID: return y * (1.f - y);
        case U_TANH: return 1.f - y * y;
        case U_EXP: return y;
        case U_LOG: return 1.f / x;
        case U_SQRT: return 0.5f / y;
        case U_NEG: return -1.f;
        case U_ABS: return x > 0.f ? 1.f : (x < 0.f ? -1.f : 0.f);
        case U_ERF: return 1.1283791670955126f * expf(-x * x);
        case U_RECIPROCAL: return -y * y;
        case U_CLIP: return (x >= alpha && x <= beta) ? 1.f : 0.f;
        case U_AFFINE: return alpha;
        case U_GELU: {
            float cdf = 0.5f * erfcf(-x * 0.70710678118654752f);
            float pdf = 0.3989422804014327f * expf(-0.5f * x * x);
            return cdf + x * pdf;
        }
        case U_ELU: return x > 0.f ? 1.f : y + alpha;
        case U_SOFTPLUS: return 1.f / (1.f + expf(-x));
        case U_SIN: return cosf(x);
        case U_COS: return -sinf(x);
        case U_HARD_SIGMOID: {
            float v = alpha * x + beta;
            return (v > 0.f && v < 1.f) ? alpha : 0.f;
        }
        case U_SELU: return x > 0.f ? beta : beta * alpha * expf(x);
        case U_GELU_TANH: {
            float u = 0.7978845608028654f * (x + 0.044715f * x * x * x);
            float t = tanhf(u);
            float du = 0.7978845608028654f * (1.f + 3.f * 0.044715f * x * x);
            return 0.5f * (1.f + t) + 0.5f * x * (1.f - t * t) * du;
        }
        case U_SQUARE: return 2.f * x;
        case U_IDENTITY: return 1.f;
        default: return 0.f;   // floor, ceil, round, sign: zero almost everywhere
    }
}

extern "C" __global__ void unary_f32(int op, const float* __restrict__ x, float* __restrict__ y, i64 n,
                                     float alpha, float beta) {
    GRID_LOOP(i, n) {
        y[i] = unary_value(op, x[i], alpha, beta);
    }
}

extern "C" __global__ void unary_grad_f32(int op, const float* __restrict__ x, const float* __restrict__ y,
                                          const float* __restrict__ g, float* __restrict__ dx, i64 n,
                                          float alpha, float beta) {
    GRID_LOOP(i, n) {
        dx[i] = g[i] * unary_derivative(op, x[i], y[i], alpha, beta);
    }
}

// ----------------------------------------------------------------------------------------- binary
// Op codes: keep in step with CudaBinary.Op.
#define B_ADD 0
#define B_SUB 1
#define B_MUL 2
#define B_DIV 3
#define B_POW 4
#define B_MAX 5
#define B_MIN 6
#define B_PRELU 7
#define B_SECOND 8

__device__ __forceinline__ float binary_value(int op, float a, float b) {
    switch (op) {
        case B_ADD: return a + b;
        case B_SUB: return a - b;
        case B_MUL: return a * b;
        case B_DIV: return a / b;
        case B_POW: return powf(a, b);
        case B_MAX: return (a != a || b != b) ? a + b : fmaxf(a, b);
        case B_MIN: return (a != a || b != b) ? a + b : fminf(a, b);
        case B_PRELU: return a >= 0.f ? a : a * b;
        case B_SECOND: return b;
        default: return 0.f;
    }
}

// d(op)/da (wrt = 0) or d(op)/db (wrt = 1).
__device__ __forceinline__ float binary_derivative(int op, int wrt, float a, float b) {
    switch (op) {
        case B_ADD: return 1.f;
        case B_SUB: return wrt == 0 ? 1.f : -1.f;
        case B_MUL: return wrt == 0 ? b : a;
        case B_DIV: return wrt == 0 ? 1.f / b : -a / (b * b);
        case B_POW: return wrt == 0 ? (b == 0.f ? 0.f : b * powf(a, b - 1.f)) : (a > 0.f ? powf(a, b) * logf(a) : 0.f);
        case B_MAX: return wrt == 0 ? (a >= b ? 1.f : 0.f) : (b > a ? 1.f : 0.f);
        case B_MIN: return wrt == 0 ? (a <= b ? 1.f : 0.f) : (b < a ? 1.f : 0.f);
        case B_PRELU: return wrt == 0 ? (a >= 0.f ? 1.f : b) : (a >= 0.f ? 0.f : a);
        default: return 0.f;
    }
}

// The offsets into a and b of output element i.
__device__ __forceinline__ void broadcast_offsets(i64 i, int rank, const Dims& d, const Dims& sa, const Dims& sb,
                                                  i64& oa, i64& ob) {
    oa = 0;
    ob = 0;
    for (int k = rank - 1; k >= 0; --k) {
        i64 c = i % d.d[k];
        i /= d.d[k];
        oa += c * sa.d[k];
        ob += c * sb.d[k];
    }
}

extern "C" __global__ void binary_f32(int op, const float* __restrict__ a, const float* __restrict__ b,
                                      float* __restrict__ y, i64 n, int rank, Dims d, Dims sa, Dims sb) {
    GRID_LOOP(i, n) {
        i64 oa, ob;
        broadcast_offsets(i, rank, d, sa, sb, oa, ob);
        y[i] = binary_value(op, a[oa], b[ob]);
    }
}

// Same shapes, or b a single value (sb = 0): the common cases, without index arithmetic.
extern "C" __global__ void binary_flat_f32(int op, const float* __restrict__ a, const float* __restrict__ b,
                                           float* __restrict__ y, i64 n, i64 strideB) {
    GRID_LOOP(i, n) {
        y[i] = binary_value(op, a[i], b[i * strideB]);
    }
}

// g * d(op)/d(a or b), over the broadcast output shape; the caller sums it down to the input's shape.
extern "C" __global__ void binary_grad_f32(int op, int wrt, const float* __restrict__ a, const float* __restrict__ b,
                                           const float* __restrict__ g, float* __restrict__ out, i64 n, int rank,
                                           Dims d, Dims sa, Dims sb) {
    GRID_LOOP(i, n) {
        i64 oa, ob;
        broadcast_offsets(i, rank, d, sa, sb, oa, ob);
        out[i] = g[i] * binary_derivative(op, wrt, a[oa], b[ob]);
    }
}

// -------------------------------------------------------------------------------------- reductions
// Reduces x (contiguous, dims d) over the axes whose bit is set in mask; one block per output.
// Op codes: keep in step with CudaReduce.Op.
#define R_SUM 0
#define R_MAX 1
#define R_MIN 2
#define R_SUM_SQUARE 3
#define R_SUM_ABS 4

__device__ __forceinline__ float reduce_init(int op) {
    return op == R_MAX ? -INFINITY : (op == R_MIN ? INFINITY : 0.f);
}

__device__ __forceinline__ float reduce_combine(int op, float acc, float v) {
    switch (op) {
        case R_MAX: return (v != v || acc != acc) ? v + acc : fmaxf(acc, v);
        case R_MIN: return (v != v || acc != acc) ? v + acc : fminf(acc, v);
        default: return acc + v;
    }
}

__device__ __forceinline__ float reduce_map(int op, float v) {
    return op == R_SUM_SQUARE ? v * v : (op == R_SUM_ABS ? fabsf(v) : v);
}

extern "C" __global__ void reduce_f32(int op, const float* __restrict__ x, float* __restrict__ y, i64 nOut,
                                      i64 nReduced, float scale, int rank, Dims d, int mask) {
    __shared__ float partial[256];
    // strides of x
    i64 stride[MAX_RANK];
    i64 s = 1;
    for (int k = rank - 1; k >= 0; --k) {
        stride[k] = s;
        s *= d.d[k];
    }
    for (i64 o = blockIdx.x; o < nOut; o += gridDim.x) {
        // offset of the kept coordinates of output o
        i64 base = 0, r = o;
        for (int k = rank - 1; k >= 0; --k) {
            if (!(mask & (1 << k))) {
                i64 c = r % d.d[k];
                r /= d.d[k];
                base += c * stride[k];
            }
        }
        float acc = reduce_init(op);
        for (i64 t = threadIdx.x; t < nReduced; t += blockDim.x) {
            i64 off = base, q = t;
            for (int k = rank - 1; k >= 0; --k) {
                if (mask & (1 << k)) {
                    i64 c = q % d.d[k];
                    q /= d.d[k];
                    off += c * stride[k];
                }
            }
            acc = reduce_combine(op, acc, reduce_map(op, x[off]));
        }
        partial[threadIdx.x] = acc;
        __syncthreads();
        for (int w = blockDim.x / 2; w > 0; w >>= 1) {
            if (threadIdx.x < w) {
                partial[threadIdx.x] = reduce_combine(op, partial[threadIdx.x], partial[threadIdx.x + w]);
            }
            __syncthreads();
        }
        if (threadIdx.x == 0) {
            y[o] = op == R_MAX || op == R_MIN ? partial[0] : partial[0] * scale;
        }
        __syncthreads();
    }
}

// ----------------------------------------------------------------------------------------- softmax
// Softmax (log = 0) or LogSoftmax (log = 1) over the middle axis of x viewed as [outer, len, inner]:
// one block per (outer, inner) line.
extern "C" __global__ void softmax_f32(int log, const float* __restrict__ x, float* __restrict__ y, i64 lines,
                                       i64 len, i64 inner) {
    __shared__ float shared[256];
    for (i64 line = blockIdx.x; line < lines; line += gridDim.x) {
        i64 base = (line / inner) * len * inner + line % inner;
        float m = -INFINITY;
        for (i64 j = threadIdx.x; j < len; j += blockDim.x) {
            m = fmaxf(m, x[base + j * inner]);
        }
        shared[threadIdx.x] = m;
        __syncthreads();
        for (int w = blockDim.x / 2; w > 0; w >>= 1) {
            if (threadIdx.x < w) shared[threadIdx.x] = fmaxf(shared[threadIdx.x], shared[threadIdx.x + w]);
            __syncthreads();
        }
        m = shared[0];
        __syncthreads();
        float sum = 0.f;
        for (i64 j = threadIdx.x; j < len; j += blockDim.x) {
            sum += expf(x[base + j * inner] - m);
        }
        shared[threadIdx.x] = sum;
        __syncthreads();
        for (int w = blockDim.x / 2; w > 0; w >>= 1) {
            if (threadIdx.x < w) shared[threadIdx.x] += shared[threadIdx.x + w];
            __syncthreads();
        }
        sum = shared[0];
        __syncthreads();
        float logSum = logf(sum);
        for (i64 j = threadIdx.x; j < len; j += blockDim.x) {
            float v = x[base + j * inner] - m;
            y[base + j * inner] = log ? v - logSum : expf(v) / sum;
        }
    }
}

// Gradient of softmax (dx = y * (g - sum(g * y))) or log-softmax (dx = g - exp(y) * sum(g)).
extern "C" __global__ void softmax_grad_f32(int log, const float* __restrict__ y, const float* __restrict__ g,
                                            float* __restrict__ dx, i64 lines, i64 len, i64 inner) {
    __shared__ float shared[256];
    for (i64 line = blockIdx.x; line < lines; line += gridDim.x) {
        i64 base = (line / inner) * len * inner + line % inner;
        float dot = 0.f;
        for (i64 j = threadIdx.x; j < len; j += blockDim.x) {
            i64 k = base + j * inner;
            dot += log ? g[k] : g[k] * y[k];
        }
        shared[threadIdx.x] = dot;
        __syncthreads();
        for (int w = blockDim.x / 2; w > 0; w >>= 1) {
            if (threadIdx.x < w) shared[threadIdx.x] += shared[threadIdx.x + w];
            __syncthreads();
        }
        dot = shared[0];
        __syncthreads();
        for (i64 j = threadIdx.x; j < len; j += blockDim.x) {
            i64 k = base + j * inner;
            dx[k] = log ? g[k] - expf(y[k]) * dot : y[k] * (g[k] - dot);
        }
    }
}

// ------------------------------------------------------------------------------------- data moves
// y[i] = x[offset of i in x's dims permuted]: Transpose, and any strided gather of rank <= MAX_RANK.
// d: output dims; sx: x's element stride for each output axis.
extern "C" __global__ void strided_copy_f32(const float* __restrict__ x, float* __restrict__ y, i64 n, int rank,
                                            Dims d, Dims sx, i64 offset) {
    GRID_LOOP(i, n) {
        i64 r = i, o = offset;
        for (int k = rank - 1; k >= 0; --k) {
            i64 c = r % d.d[k];
            r /= d.d[k];
            o += c * sx.d[k];
        }
        y[i] = x[o];
    }
}

// Rows of data [axisDim, rowLen] picked by indices (negative counts from the end): Gather on axis 0
// of the view [outer, axisDim, rowLen] with outer folded by the caller into separate launches.
extern "C" __global__ void gather_f32(const float* __restrict__ data, const i64* __restrict__ indices,
                                      float* __restrict__ y, i64 outer, i64 nIdx, i64 axisDim, i64 rowLen,
                                      int* __restrict__ bad) {
    i64 n = outer * nIdx * rowLen;
    GRID_LOOP(i, n) {
        i64 col = i % rowLen;
        i64 t = i / rowLen;
        i64 j = t % nIdx;
        i64 o = t / nIdx;
        i64 idx = indices[j];
        if (idx < 0) idx += axisDim;
        if (idx < 0 || idx >= axisDim) {
            *bad = 1;
            y[i] = 0.f;
        } else {
            y[i] = data[(o * axisDim + idx) * rowLen + col];
        }
    }
}

// Gradient of gather: scatter-add g back into dData (zeroed by the caller).
extern "C" __global__ void gather_grad_f32(const float* __restrict__ g, const i64* __restrict__ indices,
                                           float* __restrict__ dData, i64 outer, i64 nIdx, i64 axisDim, i64 rowLen) {
    i64 n = outer * nIdx * rowLen;
    GRID_LOOP(i, n) {
        i64 col = i % rowLen;
        i64 t = i / rowLen;
        i64 j = t % nIdx;
        i64 o = t / nIdx;
        i64 idx = indices[j];
        if (idx < 0) idx += axisDim;
        if (idx >= 0 && idx < axisDim) {
            atomicAdd(&dData[(o * axisDim + idx) * rowLen + col], g[i]);
        }
    }
}

// --------------------------------------------------------------------------------- normalization
// Inference BatchNormalization over [N, C, inner]: y = (x - mean) * scale / sqrt(var + eps) + bias.
extern "C" __global__ void batchnorm_inference_f32(const float* __restrict__ x, float* __restrict__ y,
                                                   const float* __restrict__ scale, const float* __restrict__ bias,
                                                   const float* __restrict__ mean, const float* __restrict__ var,
                                                   float eps, i64 n, i64 channels, i64 inner) {
    GRID_LOOP(i, n) {
        i64 c = (i / inner) % channels;
        float a = scale[c] * rsqrtf(var[c] + eps);
        y[i] = (x[i] - mean[c]) * a + bias[c];
    }
}

// ------------------------------------------------------------------------------------- optimizers
// SGD as opt.SGD: g' = g + wd * w; v = first ? g' : m * v + keep * g'; w -= lr * (nesterov ? g' + m * v : v).
extern "C" __global__ void sgd_f32(float* __restrict__ w, const float* __restrict__ g, float* __restrict__ v, i64 n,
                                   float lr, float momentum, float keep, float wd, int first, int nesterov) {
    GRID_LOOP(i, n) {
        float gi = g[i] + wd * w[i];
        if (momentum == 0.f) {
            w[i] -= lr * gi;
        } else {
            float vi = first ? gi : momentum * v[i] + keep * gi;
            v[i] = vi;
            w[i] -= lr * (nesterov ? gi + momentum * vi : vi);
        }
    }
}

// Adam / AdamW as opt.Adam.
extern "C" __global__ void adam_f32(float* __restrict__ w, const float* __restrict__ g, float* __restrict__ m,
                                    float* __restrict__ v, i64 n, float b1, float b2, float eps, float wd,
                                    float decay, int decoupled, float stepSize, float sqrtC2) {
    GRID_LOOP(i, n) {
        float wi = w[i] * decay;
        float gi = decoupled ? g[i] : g[i] + wd * w[i];
        float mi = b1 * m[i] + (1.f - b1) * gi;
        float vi = b2 * v[i] + (1.f - b2) * gi * gi;
        m[i] = mi;
        v[i] = vi;
        w[i] = wi - stepSize * mi / (sqrtf(vi) / sqrtC2 + eps);
    }
}

// y = x * s (in place allowed): gradient averaging.
extern "C" __global__ void scale_f32(const float* x, float* y, i64 n, float s) {
    GRID_LOOP(i, n) {
        y[i] = x[i] * s;
    }
}

// y = value everywhere.
extern "C" __global__ void fill_f32(float* __restrict__ y, i64 n, float value) {
    GRID_LOOP(i, n) {
        y[i] = value;
    }
}

// ------------------------------------------------------------------------------------ float16
// Conversions for mixed precision (float16 operands of cuDNN and cuBLAS, float32 everywhere else),
// by the PTX conversion instructions (round to nearest even), so that no header is needed.
__device__ __forceinline__ unsigned short float_to_half(float x) {
    unsigned short h;
    asm("cvt.rn.f16.f32 %0, %1;" : "=h"(h) : "f"(x));
    return h;
}

__device__ __forceinline__ float half_to_float(unsigned short h) {
    float f;
    asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(h));
    return f;
}

extern "C" __global__ void f32_to_f16(const float* __restrict__ x, unsigned short* __restrict__ y, i64 n) {
    GRID_LOOP(i, n) {
        y[i] = float_to_half(x[i]);
    }
}

extern "C" __global__ void f16_to_f32(const unsigned short* __restrict__ x, float* __restrict__ y, i64 n) {
    GRID_LOOP(i, n) {
        y[i] = half_to_float(x[i]);
    }
}
