package dev.sonnx.runtime.ops.conv.dnnl;

import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_SCRATCHPAD;
import static org.bytedeco.dnnl.global.dnnl.dnnl_memory_desc_destroy;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_desc_destroy;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_desc_query_md;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_destroy;
import static org.bytedeco.dnnl.global.dnnl.dnnl_query_scratchpad_md;

import java.lang.ref.Cleaner;
import org.bytedeco.dnnl.dnnl_memory_desc;
import org.bytedeco.dnnl.dnnl_primitive;
import org.bytedeco.dnnl.dnnl_primitive_desc;
import org.bytedeco.javacpp.Pointer;

/**
 * One created oneDNN primitive with the memory descriptors of its arguments, ready to run on any
 * thread. Its native objects are released when it becomes unreachable (operators keep primitives in
 * per-shape caches that may drop entries while another run still executes them).
 */
final class DnnlPrimitive {
    private static final Cleaner CLEANER = Cleaner.create();

    private final dnnl_primitive primitive;
    private final dnnl_memory_desc scratchpadDesc;
    private final long scratchpadBytes;
    private final int[] args;
    private final dnnl_memory_desc[] descs;
    /** Whether it runs on the calling thread alone ({@link OpenMpTeam}). */
    private final boolean serial;

    /**
     * Takes ownership of {@code pd} and of {@code descs} (the argument descriptors, in the order of
     * {@code args}); creates the primitive.
     */
    DnnlPrimitive(dnnl_primitive_desc pd, int[] args, dnnl_memory_desc[] descs) {
        this(pd, args, descs, Long.MAX_VALUE);
    }

    /**
     * The same for a primitive of about {@code work} multiply-adds per call: small ones run on the
     * calling thread alone.
     */
    DnnlPrimitive(dnnl_primitive_desc pd, int[] args, dnnl_memory_desc[] descs, long work) {
        dnnl_primitive p = new dnnl_primitive();
        try {
            Dnnl.check(dnnl_primitive_create(p, pd), "primitive creation");
        } catch (RuntimeException e) {
            release(pd, null, descs);
            throw e;
        }
        this.primitive = p;
        this.args = args.clone();
        this.descs = descs.clone();
        this.serial = OpenMpTeam.serial(work);
        this.scratchpadBytes = Dnnl.scratchpadSize(pd);
        this.scratchpadDesc = scratchpadBytes > 0 ? dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0)
                : null;
        dnnl_memory_desc[] owned = descs.clone();
        CLEANER.register(this, () -> release(pd, p, owned));
    }

    private static void release(dnnl_primitive_desc pd, dnnl_primitive p, dnnl_memory_desc[] descs) {
        if (p != null && !p.isNull()) {
            dnnl_primitive_destroy(p);
        }
        for (dnnl_memory_desc md : descs) {
            if (md != null && !md.isNull()) {
                dnnl_memory_desc_destroy(md);
            }
        }
        if (pd != null && !pd.isNull()) {
            dnnl_primitive_desc_destroy(pd);
        }
    }

    /** The memory descriptor of argument {@code i} (in the order the constructor took), owned by this primitive. */
    dnnl_memory_desc desc(int i) {
        return descs[i];
    }

    /**
     * For a reorder (arguments FROM, TO): the reorder back, from TO's layout to FROM's; the new
     * primitive owns copies of both descriptors.
     */
    DnnlPrimitive reversed() {
        return Dnnl.reorder(Dnnl.copy(descs[1]), Dnnl.copy(descs[0]));
    }

    /** Runs the primitive over {@code data}, one native pointer per argument (null for none). */
    void execute(Pointer... data) {
        int n = 0;
        for (Pointer d : data) {
            if (d != null) {
                n++;
            }
        }
        int[] a = new int[n];
        dnnl_memory_desc[] d = new dnnl_memory_desc[n];
        Pointer[] p = new Pointer[n];
        for (int i = 0, j = 0; i < data.length; i++) {
            if (data[i] != null) {
                a[j] = args[i];
                d[j] = descs[i];
                p[j++] = data[i];
            }
        }
        if (serial) {
            OpenMpTeam.enterSerial();
            try {
                Dnnl.execute(primitive, a, d, p, scratchpadDesc, scratchpadBytes, DNNL_ARG_SCRATCHPAD);
            } finally {
                OpenMpTeam.leaveSerial();
            }
        } else {
            Dnnl.execute(primitive, a, d, p, scratchpadDesc, scratchpadBytes, DNNL_ARG_SCRATCHPAD);
        }
        java.lang.ref.Reference.reachabilityFence(this);
    }
}
