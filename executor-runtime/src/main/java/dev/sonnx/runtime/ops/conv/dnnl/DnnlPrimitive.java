package dev.sonnx.runtime.ops.conv.dnnl;

import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_SCRATCHPAD;
import static org.bytedeco.dnnl.global.dnnl.dnnl_memory_desc_destroy;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_desc_destroy;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_desc_query_md;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_destroy;
import static org.bytedeco.dnnl.global.dnnl.dnnl_query_scratchpad_md;

import static org.bytedeco.dnnl.global.dnnl.dnnl_memory_destroy;

import java.lang.ref.Cleaner;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.bytedeco.dnnl.dnnl_exec_arg_t;
import org.bytedeco.dnnl.dnnl_memory;
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
     * Memory objects for the arguments (the scratchpad's last), one set per call in flight and kept
     * for later calls, which only repoint them at their tensors: creating and destroying them per
     * call cost about 0.4 us an argument, a tenth of a small transformer's run.
     */
    private final ConcurrentLinkedQueue<dnnl_memory[]> idleBindings = new ConcurrentLinkedQueue<>();

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
            release(pd, null, descs, null);
            throw e;
        }
        if (!Dnnl.fitsArguments(args.length + 1)) {
            release(pd, p, descs, null);
            throw new IllegalArgumentException("oneDNN primitive with " + args.length + " arguments");
        }
        this.primitive = p;
        this.args = args.clone();
        this.descs = descs.clone();
        this.serial = OpenMpTeam.serial(work);
        this.scratchpadBytes = Dnnl.scratchpadSize(pd);
        this.scratchpadDesc = scratchpadBytes > 0 ? dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0)
                : null;
        dnnl_memory_desc[] owned = descs.clone();
        ConcurrentLinkedQueue<dnnl_memory[]> bindings = idleBindings;
        CLEANER.register(this, () -> release(pd, p, owned, bindings));
    }

    private static void release(dnnl_primitive_desc pd, dnnl_primitive p, dnnl_memory_desc[] descs,
                                ConcurrentLinkedQueue<dnnl_memory[]> bindings) {
        if (p != null && !p.isNull()) {
            dnnl_primitive_destroy(p);
        }
        for (dnnl_memory[] set = bindings == null ? null : bindings.poll(); set != null; set = bindings.poll()) {
            for (dnnl_memory m : set) {
                if (m != null && !m.isNull()) {
                    dnnl_memory_destroy(m);
                }
            }
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
        dnnl_memory[] bound = idleBindings.poll();
        if (bound == null) {
            bound = new dnnl_memory[args.length + 1];
        }
        try {
            dnnl_exec_arg_t list = Dnnl.arguments();
            int n = 0;
            for (int i = 0; i < data.length; i++) {
                if (data[i] != null) {
                    list.position(n++).arg(args[i]).memory(bind(bound, i, descs[i], data[i]));
                }
            }
            if (scratchpadBytes > 0) {
                Pointer scratch = Scratch.get(Scratch.SCRATCHPAD, scratchpadBytes);
                list.position(n++).arg(DNNL_ARG_SCRATCHPAD).memory(bind(bound, args.length, scratchpadDesc, scratch));
            }
            if (serial) {
                OpenMpTeam.enterSerial();
                try {
                    Dnnl.execute(primitive, n, list);
                } finally {
                    OpenMpTeam.leaveSerial();
                }
            } else {
                Dnnl.execute(primitive, n, list);
            }
        } finally {
            idleBindings.offer(bound);
        }
        java.lang.ref.Reference.reachabilityFence(this);
    }

    /** Slot {@code i} of a binding set pointed at {@code data}, created on its first use. */
    private static dnnl_memory bind(dnnl_memory[] bound, int i, dnnl_memory_desc desc, Pointer data) {
        dnnl_memory m = bound[i];
        if (m == null) {
            m = Dnnl.memory(desc, data);
            bound[i] = m;
        } else {
            Dnnl.rebind(m, data);
        }
        return m;
    }
}
