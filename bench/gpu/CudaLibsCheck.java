import java.util.concurrent.Callable;
import org.bytedeco.cuda.cublas.cublasContext;
import org.bytedeco.cuda.cudart.cudaDeviceProp;
import org.bytedeco.cuda.cudnn.cudnnContext;
import org.bytedeco.cuda.global.cublas;
import org.bytedeco.cuda.global.cudart;
import org.bytedeco.cuda.global.cudnn;
import org.bytedeco.cuda.global.nccl;
import org.bytedeco.cuda.global.nvrtc;
import org.bytedeco.cuda.nccl.ncclComm;
import org.bytedeco.cuda.nvrtc._nvrtcProgram;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.SizeTPointer;

/**
 * bin/gpu-check's `libs` stage, independent of sonnx's own CUDA code: loads the five bytedeco CUDA
 * presets that the payload's slimmed cuda jar keeps (their JNI libraries link the CUDA libraries found
 * in Python's nvidia pip packages) and makes one call into each. Compiled by bin/gpu-pack into the
 * payload's probe/ folder (javac --release 17 against lib/); exit status: the number of failures.
 */
public final class CudaLibsCheck {
    private static int failures;

    public static void main(String[] args) {
        step("cudart", () -> {
            Loader.load(cudart.class);
            int[] n = {0}, rt = {0}, drv = {0};
            check("cudaRuntimeGetVersion", cudart.cudaRuntimeGetVersion(rt));
            check("cudaDriverGetVersion", cudart.cudaDriverGetVersion(drv));
            check("cudaGetDeviceCount", cudart.cudaGetDeviceCount(n));
            StringBuilder s = new StringBuilder("runtime " + rt[0] + ", driver API " + drv[0] + ", " + n[0] + " device(s)");
            for (int d = 0; d < n[0]; d++) {
                cudaDeviceProp p = new cudaDeviceProp();
                check("cudaGetDeviceProperties", cudart.cudaGetDeviceProperties(p, d));
                s.append("; ").append(d).append(": ").append(p.name().getString()).append(", sm_")
                        .append(p.major()).append(p.minor()).append(", ").append(p.totalGlobalMem() >> 20).append(" MiB");
            }
            return s.toString();
        });
        step("cublas", () -> {
            Loader.load(cublas.class);
            cublasContext h = new cublasContext();
            check("cublasCreate", cublas.cublasCreate_v2(h));
            int[] v = {0};
            check("cublasGetVersion", cublas.cublasGetVersion_v2(h, v));
            check("cublasDestroy", cublas.cublasDestroy_v2(h));
            return "version " + v[0] + ", a handle created and destroyed";
        });
        step("cudnn", () -> {
            Loader.load(cudnn.class);
            long v = cudnn.cudnnGetVersion();
            cudnnContext h = new cudnnContext();
            check("cudnnCreate", cudnn.cudnnCreate(h));
            check("cudnnDestroy", cudnn.cudnnDestroy(h));
            return "version " + v + ", a handle created and destroyed";
        });
        step("nvrtc", () -> {
            Loader.load(nvrtc.class);
            int[] major = {0}, minor = {0};
            check("nvrtcVersion", nvrtc.nvrtcVersion(major, minor));
            _nvrtcProgram prog = new _nvrtcProgram();
            String src = "extern \"C\" __global__ void add1(float* x, int n) {"
                    + " int i = blockIdx.x * blockDim.x + threadIdx.x; if (i < n) x[i] += 1.0f; }";
            check("nvrtcCreateProgram", nvrtc.nvrtcCreateProgram(prog, new org.bytedeco.javacpp.BytePointer(src),
                    new org.bytedeco.javacpp.BytePointer("add1.cu"), 0, (org.bytedeco.javacpp.PointerPointer) null,
                    (org.bytedeco.javacpp.PointerPointer) null));
            check("nvrtcCompileProgram", nvrtc.nvrtcCompileProgram(prog, 0, (org.bytedeco.javacpp.PointerPointer) null));
            SizeTPointer ptx = new SizeTPointer(1);
            check("nvrtcGetPTXSize", nvrtc.nvrtcGetPTXSize(prog, ptx));
            check("nvrtcDestroyProgram", nvrtc.nvrtcDestroyProgram(prog));
            return "version " + major[0] + "." + minor[0] + ", a kernel compiled to " + ptx.get() + " bytes of PTX";
        });
        step("nccl", () -> {
            Loader.load(nccl.class);
            int[] v = {0};
            check("ncclGetVersion", nccl.ncclGetVersion(v));
            ncclComm comm = new ncclComm();
            check("ncclCommInitAll", nccl.ncclCommInitAll(comm, 1, new int[] {0}));
            check("ncclCommDestroy", nccl.ncclCommDestroy(comm));
            return "version " + v[0] + ", a one-rank communicator on device 0 created and destroyed";
        });
        // Which files the process mapped: javacpp may take a library from elsewhere than the pip folders.
        try {
            java.nio.file.Files.readAllLines(java.nio.file.Paths.get("/proc/self/maps")).stream()
                    .map(l -> l.replaceFirst("^(\\S+\\s+){5}", "").trim())
                    .filter(f -> f.matches(".*/lib(cuda|cudart|cublas|cublasLt|cudnn|nvrtc|nvrtc-builtins|nccl)\\.so[.0-9]*"))
                    .distinct().sorted()
                    .forEach(f -> System.out.println("mapped: " + f));
        } catch (java.io.IOException | RuntimeException e) {
            System.out.println("mapped: /proc/self/maps unreadable: " + e);
        }
        System.out.println(failures == 0 ? "all five CUDA libraries load and answer" : failures + " of five failed");
        System.exit(failures);
    }

    private static void step(String name, Callable<String> body) {
        try {
            System.out.println(String.format("%-7s ok: %s", name, body.call()));
        } catch (Throwable t) {
            failures++;
            Throwable c = t;
            StringBuilder s = new StringBuilder(t.toString());
            while (c.getCause() != null && c.getCause() != c) {
                c = c.getCause();
                s.append(" <- ").append(c);
            }
            System.out.println(String.format("%-7s FAILED: %s", name, s));
        }
        System.out.flush();
    }

    private static void check(String what, int status) {
        if (status != 0) {
            throw new IllegalStateException(what + " returned " + status);
        }
    }
}
