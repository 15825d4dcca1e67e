package dev.sonnx.runtime.cuda;

import static org.bytedeco.cuda.global.cudart.cuLaunchKernel;
import static org.bytedeco.cuda.global.cudart.cuModuleGetFunction;
import static org.bytedeco.cuda.global.cudart.cuModuleLoadData;
import static org.bytedeco.cuda.global.nvrtc.nvrtcCompileProgram;
import static org.bytedeco.cuda.global.nvrtc.nvrtcCreateProgram;
import static org.bytedeco.cuda.global.nvrtc.nvrtcDestroyProgram;
import static org.bytedeco.cuda.global.nvrtc.nvrtcGetCUBIN;
import static org.bytedeco.cuda.global.nvrtc.nvrtcGetCUBINSize;
import static org.bytedeco.cuda.global.nvrtc.nvrtcGetProgramLog;
import static org.bytedeco.cuda.global.nvrtc.nvrtcGetProgramLogSize;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.bytedeco.cuda.cudart.CUfunc_st;
import org.bytedeco.cuda.cudart.CUmod_st;
import org.bytedeco.cuda.global.nvrtc;
import org.bytedeco.cuda.nvrtc._nvrtcProgram;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.javacpp.SizeTPointer;

/**
 * sonnx's own kernels ({@code kernels.cu}), compiled by NVRTC straight to machine code for this
 * device's architecture when the device opens (no PTX for the driver to JIT), loaded as one module;
 * functions are looked up once by name and launched on the device's stream.
 */
public final class CudaKernels {
    static final String SOURCE = "kernels.cu";
    /** Threads per block of every launch; the kernels' shared-memory reductions assume 256. */
    static final int BLOCK = 256;

    private final CudaDevice device;
    private final CUmod_st module = new CUmod_st();
    private final Map<String, CUfunc_st> functions = new ConcurrentHashMap<>();
    private final ThreadLocal<LaunchArgs> args = ThreadLocal.withInitial(LaunchArgs::new);
    private final int maxBlocks;
    final long compileMillis;

    CudaKernels(CudaDevice device, int major, int minor, int multiprocessors) {
        this.device = device;
        this.maxBlocks = Math.max(1, multiprocessors) * 32;
        long start = System.nanoTime();
        byte[] cubin = compile(source(), "sm_" + major + minor);
        BytePointer image = new BytePointer(cubin);
        Cuda.checkDriver(cuModuleLoadData(module, image), "cuModuleLoadData(" + SOURCE + ")");
        image.close();
        compileMillis = (System.nanoTime() - start) / 1_000_000;
    }

    static String source() {
        try (InputStream in = CudaKernels.class.getResourceAsStream(SOURCE)) {
            if (in == null) {
                throw new CudaException("resource " + SOURCE + " is missing from the build");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new CudaException("cannot read " + SOURCE + ": " + e.getMessage(), e);
        }
    }

    /** NVRTC: CUDA C to a cubin for {@code arch}; a compile error carries NVRTC's log. */
    static byte[] compile(String source, String arch) {
        _nvrtcProgram program = new _nvrtcProgram();
        Cuda.checkNvrtc(nvrtcCreateProgram(program, new BytePointer(source), new BytePointer(SOURCE), 0,
                (PointerPointer<?>) null, (PointerPointer<?>) null), "nvrtcCreateProgram");
        try {
            String[] options = {"--gpu-architecture=" + arch, "-std=c++17"};
            PointerPointer<BytePointer> opts = new PointerPointer<>(options);
            int rc = nvrtcCompileProgram(program, options.length, opts);
            if (rc != nvrtc.NVRTC_SUCCESS) {
                throw new CudaException("NVRTC could not compile " + SOURCE + " for " + arch + ": "
                        + nvrtc.nvrtcGetErrorString(rc).getString() + "\n" + log(program));
            }
            SizeTPointer size = new SizeTPointer(1);
            Cuda.checkNvrtc(nvrtcGetCUBINSize(program, size), "nvrtcGetCUBINSize");
            byte[] cubin = new byte[(int) size.get()];
            Cuda.checkNvrtc(nvrtcGetCUBIN(program, cubin), "nvrtcGetCUBIN");
            return cubin;
        } finally {
            nvrtcDestroyProgram(program);
        }
    }

    private static String log(_nvrtcProgram program) {
        SizeTPointer size = new SizeTPointer(1);
        nvrtcGetProgramLogSize(program, size);
        BytePointer text = new BytePointer(size.get());
        nvrtcGetProgramLog(program, text);
        return text.getString();
    }

    private CUfunc_st function(String name) {
        return functions.computeIfAbsent(name, n -> {
            CUfunc_st f = new CUfunc_st();
            Cuda.checkDriver(cuModuleGetFunction(f, module, n), "cuModuleGetFunction(" + n + ")");
            return f;
        });
    }

    /** The argument block of this thread's next launch. */
    LaunchArgs args() {
        return args.get().reset();
    }

    /** Launches {@code name} over {@code work} items (grid-stride kernels). */
    void launch(String name, long work, LaunchArgs a) {
        int blocks = (int) Math.max(1, Math.min(maxBlocks, (work + BLOCK - 1) / BLOCK));
        launchBlocks(name, blocks, a);
    }

    /** Launches {@code name} with one block per line (reductions, softmax), at most the grid cap. */
    void launchPerBlock(String name, long lines, LaunchArgs a) {
        int blocks = (int) Math.max(1, Math.min(65535L * 16, lines));
        launchBlocks(name, blocks, a);
    }

    private void launchBlocks(String name, int blocks, LaunchArgs a) {
        Cuda.checkDriver(cuLaunchKernel(function(name), blocks, 1, 1, BLOCK, 1, 1, 0, device.stream(),
                a.pointers(), null), "cuLaunchKernel(" + name + ")");
    }
}
