package dev.sonnx.runtime.ops.conv.dnnl;

import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_FROM;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_TO;
import static org.bytedeco.dnnl.global.dnnl.dnnl_cpu;
import static org.bytedeco.dnnl.global.dnnl.dnnl_engine_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_f32;
import static org.bytedeco.dnnl.global.dnnl.dnnl_format_tag_any;
import static org.bytedeco.dnnl.global.dnnl.dnnl_memory_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_memory_desc_clone;
import static org.bytedeco.dnnl.global.dnnl.dnnl_memory_desc_create_with_strides;
import static org.bytedeco.dnnl.global.dnnl.dnnl_memory_desc_create_with_tag;
import static org.bytedeco.dnnl.global.dnnl.dnnl_memory_desc_destroy;
import static org.bytedeco.dnnl.global.dnnl.dnnl_memory_desc_equal;
import static org.bytedeco.dnnl.global.dnnl.dnnl_memory_desc_get_size;
import static org.bytedeco.dnnl.global.dnnl.dnnl_memory_desc_query;
import static org.bytedeco.dnnl.global.dnnl.dnnl_memory_set_data_handle;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_attr_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_attr_destroy;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_desc_destroy;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_attr_set_scratchpad_mode;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_desc_query;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_desc_query_md;
import static org.bytedeco.dnnl.global.dnnl.dnnl_query_dims;
import static org.bytedeco.dnnl.global.dnnl.dnnl_query_impl_info_str;
import static org.bytedeco.dnnl.global.dnnl.dnnl_query_ndims_s32;
import static org.bytedeco.dnnl.global.dnnl.dnnl_query_padded_dims;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_execute;
import static org.bytedeco.dnnl.global.dnnl.dnnl_query_scratchpad_md;
import static org.bytedeco.dnnl.global.dnnl.dnnl_reorder_primitive_desc_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_scratchpad_mode_user;
import static org.bytedeco.dnnl.global.dnnl.dnnl_stream_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_stream_default_flags;
import static org.bytedeco.dnnl.global.dnnl.dnnl_stream_wait;
import static org.bytedeco.dnnl.global.dnnl.dnnl_success;

import org.bytedeco.dnnl.dnnl_engine;
import org.bytedeco.dnnl.dnnl_exec_arg_t;
import org.bytedeco.dnnl.dnnl_memory;
import org.bytedeco.dnnl.dnnl_memory_desc;
import org.bytedeco.dnnl.dnnl_primitive;
import org.bytedeco.dnnl.dnnl_primitive_attr;
import org.bytedeco.dnnl.dnnl_primitive_desc;
import org.bytedeco.dnnl.dnnl_stream;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;

/**
 * The oneDNN CPU engine and the plumbing every primitive wrapper of this package needs: memory
 * descriptors in plain layouts, one stream per calling thread (streams are not thread-safe), user
 * scratchpads (so one primitive may run concurrently on several threads), and execution with
 * memories wrapped around tensors' native buffers.
 *
 * <p>oneDNN is optional: when its native library cannot load, or {@code -Dsonnx.dnnl=false} is set,
 * {@link #available()} is false and the operators use their generic kernels.
 */
public final class Dnnl {
    private static final dnnl_engine ENGINE;
    private static final Throwable UNAVAILABLE;

    static {
        dnnl_engine engine = null;
        Throwable why = null;
        if (!Boolean.parseBoolean(System.getProperty("sonnx.dnnl", "true"))) {
            why = new IllegalStateException("disabled by -Dsonnx.dnnl=false");
        } else {
            try {
                engine = new dnnl_engine();
                check(dnnl_engine_create(engine, dnnl_cpu, 0), "engine creation");
            } catch (Throwable t) {
                engine = null;
                why = t;
            }
        }
        ENGINE = engine;
        UNAVAILABLE = why;
    }

    private static final ThreadLocal<dnnl_stream> STREAMS = ThreadLocal.withInitial(() -> {
        dnnl_stream s = new dnnl_stream();
        check(dnnl_stream_create(s, ENGINE, dnnl_stream_default_flags), "stream creation");
        return s;
    });

    /** Most arguments a primitive of this package takes (a backward pass: 4 tensors and a scratchpad). */
    private static final int MAX_ARGS = 12;

    private Dnnl() {
    }

    /** Whether the oneDNN CPU engine is usable in this process. */
    public static boolean available() {
        return ENGINE != null;
    }

    /** Why oneDNN is unavailable, or null. */
    public static Throwable unavailableReason() {
        return UNAVAILABLE;
    }

    static dnnl_engine engine() {
        return ENGINE;
    }

    /** Fails with the oneDNN status code unless {@code status} is success. */
    static void check(int status, String what) {
        if (status != dnnl_success) {
            throw new IllegalStateException("oneDNN " + what + " failed with status " + status);
        }
    }

    /** A float32 memory descriptor of {@code dims} in the plain layout {@code tag} (e.g. nchw). */
    static dnnl_memory_desc desc(int[] dims, int tag) {
        long[] d = new long[dims.length];
        for (int i = 0; i < dims.length; i++) {
            d[i] = dims[i];
        }
        dnnl_memory_desc md = new dnnl_memory_desc();
        check(dnnl_memory_desc_create_with_tag(md, d.length, d, dnnl_f32, tag), "memory descriptor creation");
        return md;
    }

    /** A float32 descriptor of {@code dims} with explicit element strides. */
    static dnnl_memory_desc strided(int[] dims, long[] strides) {
        long[] d = new long[dims.length];
        for (int i = 0; i < dims.length; i++) {
            d[i] = dims[i];
        }
        dnnl_memory_desc md = new dnnl_memory_desc();
        check(dnnl_memory_desc_create_with_strides(md, d.length, d, dnnl_f32, strides.clone()),
                "memory descriptor creation");
        return md;
    }

    /** A float32 descriptor of {@code dims} whose layout the primitive chooses. */
    static dnnl_memory_desc anyDesc(int[] dims) {
        return desc(dims, dnnl_format_tag_any);
    }

    /** A copy of the memory descriptor {@code pd} chose for {@code what} (a dnnl_query_*_md), owned by the caller. */
    static dnnl_memory_desc queried(dnnl_primitive_desc pd, int what) {
        dnnl_memory_desc md = dnnl_primitive_desc_query_md(pd, what, 0);
        if (md == null || md.isNull()) {
            throw new IllegalStateException("oneDNN primitive descriptor has no memory descriptor for query " + what);
        }
        return copy(md);
    }

    /** An owned copy of {@code md}. */
    static dnnl_memory_desc copy(dnnl_memory_desc md) {
        dnnl_memory_desc c = new dnnl_memory_desc();
        check(dnnl_memory_desc_clone(c, md), "memory descriptor copy");
        return c;
    }

    /** Destroys an owned descriptor (null is fine). */
    static void destroy(dnnl_memory_desc md) {
        if (md != null && !md.isNull()) {
            dnnl_memory_desc_destroy(md);
        }
    }

    static boolean sameLayout(dnnl_memory_desc a, dnnl_memory_desc b) {
        return dnnl_memory_desc_equal(a, b) != 0;
    }

    static long size(dnnl_memory_desc md) {
        return dnnl_memory_desc_get_size(md);
    }

    /** A reorder between two layouts of the same data; takes ownership of both descriptors. */
    static DnnlPrimitive reorder(dnnl_memory_desc from, dnnl_memory_desc to) {
        return reorder(from, to, false);
    }

    /** The same, run on the calling thread alone where {@code alone} ({@link OpenMpTeam}). */
    static DnnlPrimitive reorder(dnnl_memory_desc from, dnnl_memory_desc to, boolean alone) {
        dnnl_primitive_attr attr = userScratchpad();
        dnnl_primitive_desc pd = new dnnl_primitive_desc();
        try {
            check(dnnl_reorder_primitive_desc_create(pd, from, ENGINE, to, ENGINE, attr), "reorder creation");
        } finally {
            dnnl_primitive_attr_destroy(attr);
        }
        return new DnnlPrimitive(pd, new int[] {DNNL_ARG_FROM, DNNL_ARG_TO}, new dnnl_memory_desc[] {from, to},
                alone ? 0 : Long.MAX_VALUE);
    }

    /**
     * The reorder from weights in the plain layout {@code plain} (taken) to a copy of {@code chosen},
     * the layout a primitive chose; null, with {@code plain} destroyed, where the two coincide.
     */
    static DnnlPrimitive reorderUnlessSame(dnnl_memory_desc plain, dnnl_memory_desc chosen) {
        if (sameLayout(chosen, plain)) {
            destroy(plain);
            return null;
        }
        return reorder(plain, copy(chosen));
    }

    /** Fills a primitive descriptor from attributes; returns oneDNN's status. */
    @FunctionalInterface
    interface DescCreation {
        int create(dnnl_primitive_desc pd, dnnl_primitive_attr attr);
    }

    /**
     * A primitive descriptor that {@code creation} fills (with user-scratchpad attributes), or null
     * where oneDNN declines or would run its reference kernel; then {@code owned} (the caller's
     * descriptors) are destroyed too.
     */
    static dnnl_primitive_desc jitDesc(DescCreation creation, dnnl_memory_desc... owned) {
        dnnl_primitive_attr attr = userScratchpad();
        dnnl_primitive_desc pd = new dnnl_primitive_desc();
        boolean made;
        try {
            made = creation.create(pd, attr) == dnnl_success;
        } finally {
            dnnl_primitive_attr_destroy(attr);
        }
        if (made && isReference(pd)) {
            dnnl_primitive_desc_destroy(pd);
            made = false;
        }
        if (!made) {
            for (dnnl_memory_desc md : owned) {
                destroy(md);
            }
            return null;
        }
        return pd;
    }

    /** Primitive attributes asking for a user-provided scratchpad. */
    static dnnl_primitive_attr userScratchpad() {
        dnnl_primitive_attr attr = new dnnl_primitive_attr();
        check(dnnl_primitive_attr_create(attr), "attribute creation");
        check(dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user), "scratchpad mode");
        return attr;
    }

    /** The name of the implementation oneDNN picked for {@code pd} (e.g. "brg_conv_fwd:avx512_core", "ref:any"). */
    static String implementation(dnnl_primitive_desc pd) {
        try (PointerPointer<BytePointer> out = new PointerPointer<>(1)) {
            check(dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, out), "implementation query");
            BytePointer name = out.get(BytePointer.class, 0);
            return name == null || name.isNull() ? "" : name.getString();
        }
    }

    /**
     * Whether {@code pd} runs oneDNN's reference kernels: plain loops, slower than sonnx's own
     * kernels by orders of magnitude, which is what oneDNN falls back to for some post-op and layout
     * combinations.
     */
    static boolean isReference(dnnl_primitive_desc pd) {
        return implementation(pd).contains("ref");
    }

    /** Scratchpad bytes a primitive descriptor created with {@link #userScratchpad} needs. */
    static long scratchpadSize(dnnl_primitive_desc pd) {
        dnnl_memory_desc md = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
        return md == null || md.isNull() ? 0 : dnnl_memory_desc_get_size(md);
    }

    /**
     * Whether {@code md} has padded dimensions (a blocked layout over a dimension that is not a
     * multiple of its block): oneDNN zeroes the padding whenever a memory object is pointed at a
     * buffer, and its kernels rely on it.
     */
    static boolean hasPadding(dnnl_memory_desc md) {
        if (md == null || md.isNull()) {
            return false;
        }
        try (IntPointer rank = new IntPointer(1);
             PointerPointer<Pointer> dims = new PointerPointer<>(1);
             PointerPointer<Pointer> padded = new PointerPointer<>(1)) {
            check(dnnl_memory_desc_query(md, dnnl_query_ndims_s32, rank), "rank query");
            check(dnnl_memory_desc_query(md, dnnl_query_dims, dims), "dims query");
            check(dnnl_memory_desc_query(md, dnnl_query_padded_dims, padded), "padded dims query");
            LongPointer d = new LongPointer(dims.get(0));
            LongPointer p = new LongPointer(padded.get(0));
            for (int i = 0; i < rank.get(); i++) {
                if (d.get(i) != p.get(i)) {
                    return true;
                }
            }
            return false;
        }
    }

    /** Whether a primitive with {@code n} arguments (its scratchpad included) is within oneDNN's bounds here. */
    static boolean fitsArguments(int n) {
        return n <= MAX_ARGS;
    }

    /** A memory object of {@code desc} over {@code data} on the CPU engine (the caller destroys it). */
    static dnnl_memory memory(dnnl_memory_desc desc, Pointer data) {
        dnnl_memory m = new dnnl_memory();
        check(dnnl_memory_create(m, desc, ENGINE, data), "memory creation");
        return m;
    }

    /** Points {@code memory} at {@code data}. */
    static void rebind(dnnl_memory memory, Pointer data) {
        check(dnnl_memory_set_data_handle(memory, data), "memory binding");
    }

    /**
     * Runs {@code primitive} on this thread's stream over the first {@code n} entries of
     * {@link #arguments} and waits.
     */
    static void execute(dnnl_primitive primitive, int n, dnnl_exec_arg_t arguments) {
        arguments.position(0);
        check(dnnl_primitive_execute(primitive, STREAMS.get(), n, arguments), "primitive execution");
        check(dnnl_stream_wait(STREAMS.get()), "stream wait");
    }
}
