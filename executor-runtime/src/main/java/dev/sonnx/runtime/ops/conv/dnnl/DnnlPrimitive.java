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
    /** Per argument: whether its layout has padding, so its memory object is repointed on every call. */
    private final boolean[] padded;
    /** Whether it runs on the calling thread alone ({@link OpenMpTeam}). */
    private final boolean serial;
    /**
     * Memory objects for the arguments, one set per call in flight and kept for later calls, which
     * only repoint them at their tensors: creating and destroying them per call cost about 0.4 us an
     * argument, a tenth of a small transformer's run.
     */
    private final ConcurrentLinkedQueue<Binding> idleBindings = new ConcurrentLinkedQueue<>();

    /**
     * The memory objects of one call in flight (the scratchpad's last), the address each points at,
     * and the argument list over them. A plan's memory puts most tensors at the same addresses run
     * after run, so a call repoints only the memory objects whose tensor moved (or whose layout has
     * padding, which oneDNN zeroes on every repointing), and reuses the list while the same
     * arguments are present: each native call saved is about 0.3 us, and a convolution has five
     * arguments.
     */
    private static final class Binding {
        final dnnl_memory[] memories;
        final long[] addresses;
        /** The list, for the arguments in {@link #present} (bit i: argument i); null until built. */
        dnnl_exec_arg_t list;
        long present;
        int count;

        Binding(int slots) {
            memories = new dnnl_memory[slots];
            addresses = new long[slots];
        }
    }

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
        this.padded = new boolean[descs.length];
        for (int i = 0; i < descs.length; i++) {
            padded[i] = Dnnl.hasPadding(descs[i]);
        }
        this.serial = OpenMpTeam.serial(work);
        this.scratchpadBytes = Dnnl.scratchpadSize(pd);
        this.scratchpadDesc = scratchpadBytes > 0 ? dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0)
                : null;
        dnnl_memory_desc[] owned = descs.clone();
        ConcurrentLinkedQueue<Binding> bindings = idleBindings;
        CLEANER.register(this, () -> release(pd, p, owned, bindings));
    }

    private static void release(dnnl_primitive_desc pd, dnnl_primitive p, dnnl_memory_desc[] descs,
                                ConcurrentLinkedQueue<Binding> bindings) {
        if (p != null && !p.isNull()) {
            dnnl_primitive_destroy(p);
        }
        for (Binding set = bindings == null ? null : bindings.poll(); set != null; set = bindings.poll()) {
            for (dnnl_memory m : set.memories) {
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

    /** Whether it runs on the calling thread alone ({@link OpenMpTeam#serial}). */
    boolean serial() {
        return serial;
    }

    /** Runs the primitive over {@code data}, one native pointer per argument (null for none). */
    void execute(Pointer... data) {
        Binding bound = idleBindings.poll();
        if (bound == null) {
            bound = new Binding(args.length + 1);
        }
        try {
            long present = 0;
            for (int i = 0; i < data.length; i++) {
                if (data[i] != null) {
                    point(bound, i, descs[i], data[i], padded[i]);
                    present |= 1L << i;
                }
            }
            if (scratchpadBytes > 0) {
                point(bound, args.length, scratchpadDesc, Scratch.get(Scratch.SCRATCHPAD, scratchpadBytes), false);
                present |= 1L << args.length;
            }
            if (bound.list == null || bound.present != present) {
                list(bound, present);
            }
            if (serial) {
                OpenMpTeam.enterSerial();
                try {
                    Dnnl.execute(primitive, bound.count, bound.list);
                } finally {
                    OpenMpTeam.leaveSerial();
                }
            } else {
                Dnnl.execute(primitive, bound.count, bound.list);
            }
        } finally {
            idleBindings.offer(bound);
        }
        java.lang.ref.Reference.reachabilityFence(this);
    }

    /** (Re)builds the argument list of {@code bound} for the arguments in {@code present}. */
    private void list(Binding bound, long present) {
        if (bound.list == null) {
            bound.list = new dnnl_exec_arg_t(args.length + 1);
        }
        int n = 0;
        for (int i = 0; i <= args.length; i++) {
            if ((present & 1L << i) != 0) {
                bound.list.position(n++).arg(i == args.length ? DNNL_ARG_SCRATCHPAD : args[i]).memory(bound.memories[i]);
            }
        }
        bound.list.position(0);
        bound.present = present;
        bound.count = n;
    }

    /** Slot {@code i} of a binding set pointed at {@code data}, created on its first use. */
    private static void point(Binding bound, int i, dnnl_memory_desc desc, Pointer data, boolean padded) {
        long address = data.address() + data.position() * data.sizeof();
        dnnl_memory m = bound.memories[i];
        if (m == null) {
            bound.memories[i] = Dnnl.memory(desc, data);
            bound.addresses[i] = address;
        } else if (bound.addresses[i] != address || padded) {
            Dnnl.rebind(m, data);
            bound.addresses[i] = address;
        }
    }
}
