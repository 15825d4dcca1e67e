package dev.sonnx.runtime.cuda;

import static org.bytedeco.cuda.global.cublas.CUBLAS_DEFAULT_MATH;
import static org.bytedeco.cuda.global.cublas.cublasCreate_v2;
import static org.bytedeco.cuda.global.cublas.cublasGetVersion_v2;
import static org.bytedeco.cuda.global.cublas.cublasSetMathMode;
import static org.bytedeco.cuda.global.cublas.cublasSetStream_v2;
import static org.bytedeco.cuda.global.cudart.cudaDriverGetVersion;
import static org.bytedeco.cuda.global.cudart.cudaFree;
import static org.bytedeco.cuda.global.cudart.cudaGetDeviceCount;
import static org.bytedeco.cuda.global.cudart.cudaGetDeviceProperties;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyAsync;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyDeviceToDevice;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyDeviceToHost;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyHostToDevice;
import static org.bytedeco.cuda.global.cudart.cudaMemsetAsync;
import static org.bytedeco.cuda.global.cudart.cudaRuntimeGetVersion;
import static org.bytedeco.cuda.global.cudart.cudaSetDevice;
import static org.bytedeco.cuda.global.cudart.cudaStreamCreateWithFlags;
import static org.bytedeco.cuda.global.cudart.cudaStreamNonBlocking;
import static org.bytedeco.cuda.global.cudart.cudaStreamSynchronize;
import static org.bytedeco.cuda.global.cudnn.cudnnCreate;
import static org.bytedeco.cuda.global.cudnn.cudnnGetVersion;
import static org.bytedeco.cuda.global.cudnn.cudnnSetStream;

import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.ops.OperatorPlacement;
import dev.sonnx.runtime.tensor.Arena;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.AcceleratorDevice;
import dev.sonnx.runtime.tensor.DeviceMath;
import dev.sonnx.runtime.tensor.Shapes;
import dev.sonnx.runtime.tensor.Tensor;
import org.bytedeco.cuda.cublas.cublasContext;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.cuda.cudart.cudaDeviceProp;
import org.bytedeco.cuda.cudnn.cudnnContext;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;

/**
 * {@code cuda:N}: tensors in the GPU's memory (plain cudaMalloc through {@link CudaMemory}'s cache),
 * one stream on which every kernel, cuBLAS and cuDNN call and copy is queued in order, and the
 * handles and compiled kernels of the device, made once when it opens.
 *
 * <p>Operators with a CUDA kernel ({@link CudaOperators}) run here; the others run their CPU kernel
 * on host copies ({@link HostFallback}). Host code that reads a result copies it back with
 * {@code Tensor.toHost()}, which waits for the stream.
 */
public final class CudaDevice extends AcceleratorDevice implements DeviceMath, OperatorPlacement {
    private static final CudaDevice[] OPEN = new CudaDevice[64];

    private final int index;
    private final String gpuName;
    private final int major;
    private final int minor;
    private final long totalMemory;
    private final CUstream_st stream = new CUstream_st();
    private final cublasContext cublas = new cublasContext();
    private final cudnnContext cudnn = new cudnnContext();
    private final CudaMemory memory;
    private final CudaKernels kernels;
    private final ThreadLocal<Boolean> bound = new ThreadLocal<>();
    private Tensor workspace;
    /** Host-side 1 and 0 for the alpha/beta arguments of cuBLAS and cuDNN. */
    final FloatPointer one = new FloatPointer(1f);
    final FloatPointer zero = new FloatPointer(0f);

    /** The device {@code cuda:index}, opened on first use; a clear error when CUDA is unusable. */
    public static synchronized CudaDevice open(int index) {
        String problem = Cuda.loadProblem();
        if (problem != null) {
            throw new CudaException(problem);
        }
        int[] count = new int[1];
        int rc = cudaGetDeviceCount(count);
        if (rc != 0) {
            Cuda.check(rc, "cudaGetDeviceCount (is there an NVIDIA GPU and driver?)");
        }
        if (index >= count[0] || index >= OPEN.length) {
            throw new CudaException("cuda:" + index + " does not exist: this machine has " + count[0] + " CUDA device(s)");
        }
        if (OPEN[index] == null) {
            OPEN[index] = new CudaDevice(index);
        }
        return OPEN[index];
    }

    private CudaDevice(int index) {
        this.index = index;
        Cuda.check(cudaSetDevice(index), "cudaSetDevice(" + index + ")");
        Cuda.check(cudaFree(null), "cudaFree(0) (context creation)");
        bound.set(true);
        cudaDeviceProp props = new cudaDeviceProp();
        Cuda.check(cudaGetDeviceProperties(props, index), "cudaGetDeviceProperties");
        gpuName = props.name().getString();
        major = props.major();
        minor = props.minor();
        totalMemory = props.totalGlobalMem();
        Cuda.check(cudaStreamCreateWithFlags(stream, cudaStreamNonBlocking), "cudaStreamCreate");
        Cuda.checkCublas(cublasCreate_v2(cublas), "cublasCreate");
        Cuda.checkCublas(cublasSetStream_v2(cublas, stream), "cublasSetStream");
        // float32 stays float32: no TF32 tensor-core rounding (ONNX conformance tolerances are 1e-3).
        Cuda.checkCublas(cublasSetMathMode(cublas, CUBLAS_DEFAULT_MATH), "cublasSetMathMode");
        Cuda.checkCudnn(cudnnCreate(cudnn), "cudnnCreate");
        Cuda.checkCudnn(cudnnSetStream(cudnn, stream), "cudnnSetStream");
        memory = new CudaMemory(index, totalMemory);
        kernels = new CudaKernels(this, major, minor, props.multiProcessorCount());
    }

    /**
     * Mixed precision ({@code -Dsonnx.cuda.precision=mixed}, or {@code --precision mixed} on the
     * commands): Conv, Gemm and MatMul take float16 copies of their operands and compute on tensor
     * cores with float32 accumulation; weights, gradients and the other operators stay float32 (as
     * PyTorch's autocast). Read at each call.
     */
    @Override
    public boolean mixedPrecision() {
        return "mixed".equals(System.getProperty(PRECISION_PROPERTY, "fp32"));
    }

    /** The system property that selects {@code fp32} (the default) or {@code mixed} precision. */
    public static final String PRECISION_PROPERTY = "sonnx.cuda.precision";

    /** Makes this device current on the calling thread (CUDA's current device is per thread). */
    public void bind() {
        if (bound.get() == null) {
            Cuda.check(cudaSetDevice(index), "cudaSetDevice(" + index + ")");
            bound.set(true);
        }
    }

    @Override
    public String name() {
        return "cuda:" + index;
    }

    // ---------------------------------------------------------------- memory

    CudaMemory memory() {
        return memory;
    }

    CUstream_st stream() {
        return stream;
    }

    cublasContext cublas() {
        return cublas;
    }

    cudnnContext cudnn() {
        return cudnn;
    }

    CudaKernels kernels() {
        return kernels;
    }

    @Override
    public Tensor allocate(DataType dtype, int[] shape) {
        Tensor t = uninitialized(dtype, shape);
        long bytes = t.storage().byteSize();
        if (bytes > 0) {
            Cuda.check(cudaMemsetAsync(new DevicePointer(address(t)), 0, bytes, stream), "cudaMemsetAsync");
        }
        return t;
    }

    /** A tensor in device memory whose contents are unspecified: for kernels that write all of it. */
    public Tensor uninitialized(DataType dtype, int[] shape) {
        if (dtype == DataType.STRING) {
            throw new IllegalArgumentException("string tensors cannot live on " + name());
        }
        bind();
        long bytes = (long) Shapes.size(shape) * dtype.byteSize();
        return Tensor.wrap(dtype, shape, new CudaStorage(this, bytes));
    }

    /**
     * The scratch memory of cuDNN calls, shared by all of them: every call is queued on this device's
     * one stream, so no two use it at once. It only grows; a buffer it outgrows goes back to the cache
     * once collected, and the stream orders its last users before any next one.
     */
    synchronized Tensor workspace(long bytes) {
        if (workspace == null || workspace.size() < bytes) {
            long size = Math.max(bytes, workspace == null ? 0 : 2L * workspace.size());
            workspace = Arena.detached(() -> uninitialized(DataType.UINT8, new int[] {Math.toIntExact(
                    Math.min(size, Integer.MAX_VALUE))}));
        }
        return workspace;
    }

    /** The device address of a tensor on this device. */
    public static long address(Tensor t) {
        if (!(t.storage() instanceof CudaStorage s)) {
            throw new IllegalArgumentException(t.describe() + " is not in CUDA device memory");
        }
        return s.address();
    }

    @Override
    public void copy(Tensor src, Tensor dst) {
        bind();
        long bytes = (long) src.size() * src.dtype().byteSize();
        if (bytes == 0) {
            return;
        }
        if (src.isHost() && !dst.isHost()) {
            Pointer from = src.pointer();
            Cuda.check(cudaMemcpyAsync(new DevicePointer(address(dst)), from, bytes, cudaMemcpyHostToDevice, stream),
                    "cudaMemcpyAsync host to device");
            synchronize();   // the host block may be recycled as soon as this returns
        } else if (!src.isHost() && dst.isHost()) {
            Cuda.check(cudaMemcpyAsync(dst.pointer(), new DevicePointer(address(src)), bytes, cudaMemcpyDeviceToHost,
                    stream), "cudaMemcpyAsync device to host");
            synchronize();
        } else if (!src.isHost() && !dst.isHost()) {
            Cuda.check(cudaMemcpyAsync(new DevicePointer(address(dst)), new DevicePointer(address(src)), bytes,
                    cudaMemcpyDeviceToDevice, stream), "cudaMemcpyAsync device to device");
        } else {
            dst.copyFrom(src);
        }
    }

    /** Waits until everything queued on this device's stream has run. */
    @Override
    public void synchronize() {
        Cuda.check(cudaStreamSynchronize(stream), name() + ": a kernel failed (cudaStreamSynchronize)");
    }

    // ---------------------------------------------------------------- placement and framework math

    @Override
    public Operator place(Operator op) {
        return CudaOperators.place(op, this);
    }

    @Override
    public Tensor add(Tensor a, Tensor b) {
        return CudaBinary.apply(this, CudaBinary.Op.ADD, on(a), on(b));
    }

    @Override
    public void scale(Tensor t, float s) {
        long n = t.size();
        kernels.launch("scale_f32", n, kernels.args().ptr(address(t)).ptr(address(t)).i64(n).f32(s));
    }

    @Override
    public void sgdStep(Tensor w, Tensor g, Tensor velocity, float lr, float momentum, float keep, float weightDecay,
                        boolean first, boolean nesterov) {
        bind();
        long n = w.size();
        Tensor gd = on(g);
        kernels.launch("sgd_f32", n, kernels.args().ptr(address(w)).ptr(address(gd))
                .ptr(velocity == null ? 0 : address(velocity)).i64(n).f32(lr).f32(momentum).f32(keep)
                .f32(weightDecay).i32(first ? 1 : 0).i32(nesterov ? 1 : 0));
    }

    @Override
    public void adamStep(Tensor w, Tensor g, Tensor m, Tensor v, float beta1, float beta2, float eps,
                         float weightDecay, float decay, boolean decoupled, float stepSize, float sqrtCorrection2) {
        bind();
        long n = w.size();
        Tensor gd = on(g);
        kernels.launch("adam_f32", n, kernels.args().ptr(address(w)).ptr(address(gd)).ptr(address(m))
                .ptr(address(v)).i64(n).f32(beta1).f32(beta2).f32(eps).f32(weightDecay).f32(decay)
                .i32(decoupled ? 1 : 0).f32(stepSize).f32(sqrtCorrection2));
    }

    @Override
    public long deviceAddress(Tensor t) {
        return address(t);
    }

    @Override
    public long streamHandle() {
        return stream.address();
    }

    /** {@code t} in this device's memory (a copy when it is elsewhere). */
    public Tensor on(Tensor t) {
        return !t.isHost() && t.device() == this ? t : t.to(this);
    }

    // ---------------------------------------------------------------- description

    /** One line: the GPU, its memory, and the versions of the libraries in use. */
    @Override
    public String describe() {
        int[] driver = new int[1];
        int[] runtime = new int[1];
        cudaDriverGetVersion(driver);
        cudaRuntimeGetVersion(runtime);
        int[] cublasVersion = new int[1];
        cublasGetVersion_v2(cublas, cublasVersion);
        return name() + ": " + gpuName + ", compute capability " + major + "." + minor + ", "
                + (totalMemory >> 20) + " MiB; driver CUDA " + version(driver[0]) + ", runtime " + version(runtime[0])
                + ", cuBLAS " + cublasVersion[0] + ", cuDNN " + cudnnGetVersion() + "; kernels compiled by NVRTC in "
                + kernels.compileMillis + " ms; precision " + (mixedPrecision() ? "mixed (float16 operands)" : "fp32");
    }

    private static String version(int v) {
        return v / 1000 + "." + (v % 1000) / 10;
    }

    /** Bytes of device memory held by live tensors now, and at most so far. */
    public long liveBytes() {
        return memory.liveBytes();
    }

    public long peakBytes() {
        return memory.peakBytes();
    }

    @Override
    public String toString() {
        return name();
    }
}
