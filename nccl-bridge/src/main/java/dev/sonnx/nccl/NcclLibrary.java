package dev.sonnx.nccl;

import org.bytedeco.cuda.global.cudart;
import org.bytedeco.cuda.global.nccl;
import org.bytedeco.javacpp.Loader;

/**
 * Whether the CUDA runtime and NCCL can be loaded on this machine, found out once. JavaCPP reports a
 * missing library with an {@link UnsatisfiedLinkError} the first time and a bare
 * {@link NoClassDefFoundError} after that, so the first answer is kept. Only {@link NcclCommunicator}
 * uses this class: the TCP path never touches CUDA.
 */
final class NcclLibrary {

    static final String NOT_FOUND = "CUDA/NCCL libraries not found: ";

    private static final class Probe {
        /** Null when both libraries loaded, else why not. */
        static final String PROBLEM = load();
    }

    private NcclLibrary() {
    }

    /** Null when CUDA and NCCL are usable, else a message starting with {@link #NOT_FOUND}. */
    static String loadProblem() {
        return Probe.PROBLEM;
    }

    private static String load() {
        try {
            Loader.load(cudart.class);
            Loader.load(nccl.class);
            return null;
        } catch (Throwable e) {
            // UnsatisfiedLinkError (no libcuda.so / libnccl.so), NoClassDefFoundError, ExceptionInInitializerError
            return NOT_FOUND + rootMessage(e);
        }
    }

    /** The innermost cause names the library that failed and why (e.g. "libcuda.so.1: cannot open ..."). */
    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getMessage() == null ? root.getClass().getName() : root.getMessage();
    }
}
