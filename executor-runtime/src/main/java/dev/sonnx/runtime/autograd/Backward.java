package dev.sonnx.runtime.autograd;

import dev.sonnx.runtime.SonnxException;
import dev.sonnx.runtime.backend.Profiler;
import dev.sonnx.runtime.ops.BackwardContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.ops.math.Elementwise;
import dev.sonnx.runtime.tensor.Arena;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.DeviceMath;
import dev.sonnx.runtime.tensor.Shapes;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import java.util.Collection;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reverse-mode differentiation over a {@link Tape}: gradients flow from the loss back through each
 * recorded operator's {@link Operator#backward}, only along paths that reach the requested tensors.
 * Gradients are keyed by tensor identity; an intermediate gradient is dropped as soon as its
 * producer has consumed it.
 */
public final class Backward {
    private Backward() {
    }

    /**
     * d(loss)/d(t) for each t in {@code wrt} (a scalar or any-shape loss, seeded with ones); tensors the
     * loss does not depend on are absent from the result.
     */
    public static Map<Tensor, Tensor> gradients(Tape tape, Tensor loss, Collection<Tensor> wrt) {
        Tensor seed = Tensor.uninitialized(loss.dtype(), loss.shape());
        for (int i = 0; i < seed.size(); i++) {
            seed.setDouble(i, 1);
        }
        return gradients(tape, loss, seed, wrt);
    }

    public static Map<Tensor, Tensor> gradients(Tape tape, Tensor loss, Tensor seed, Collection<Tensor> wrt) {
        // The intermediate gradients come from pooled blocks and go back when the sweep ends (fresh
        // memory would cost a page fault per 4 KiB on every step); the gradients returned stay the caller's.
        Arena arena = new Arena(true);
        try (Arena.Scope scope = arena.enter()) {
            Map<Tensor, Tensor> result = sweep(tape, loss, seed, wrt, arena);
            result.values().forEach(arena::escape);
            return result;
        } finally {
            arena.close();
        }
    }

    private static Map<Tensor, Tensor> sweep(Tape tape, Tensor loss, Tensor seed, Collection<Tensor> wrt,
                                             Arena arena) {
        Set<Tensor> targets = Collections.newSetFromMap(new IdentityHashMap<>());
        targets.addAll(wrt);
        Set<Tensor> requires = reachingTargets(tape, targets);
        Map<Tensor, Tensor> grads = new IdentityHashMap<>();
        grads.put(loss, seed);
        List<Tape.Entry> entries = tape.entries();
        for (int e = entries.size() - 1; e >= 0; e--) {
            Tape.Entry entry = entries.get(e);
            Value[] outs = entry.outputs();
            Tensor[] gradOut = new Tensor[outs.length];
            boolean[] handedOver = new boolean[outs.length];
            boolean any = false;
            for (int o = 0; o < outs.length; o++) {
                if (outs[o] instanceof Tensor t) {
                    boolean kept = targets.contains(t);
                    gradOut[o] = kept ? grads.get(t) : grads.remove(t);
                    handedOver[o] = !kept && gradOut[o] != null;
                    any |= gradOut[o] != null;
                }
            }
            if (!any) {
                continue;
            }
            Value[] ins = entry.inputs();
            boolean[] needs = new boolean[ins.length];
            boolean anyNeeded = false;
            for (int i = 0; i < ins.length; i++) {
                needs[i] = ins[i] instanceof Tensor t && requires.contains(t) && entry.op().differentiableInput(i);
                anyNeeded |= needs[i];
            }
            if (!anyNeeded) {
                continue;
            }
            Tensor[] gradIn;
            long start = Profiler.ENABLED ? System.nanoTime() : 0;
            try {
                gradIn = entry.op().backward(new BackwardContext(ins, outs, gradOut, needs, entry.saved(),
                        entry.context(), overwritable(gradOut, handedOver, grads, arena)));
                if (Profiler.ENABLED) {
                    Profiler.record((Profiler.PER_NODE ? entry.op().node().label() : entry.op().node().opType())
                            + " backward", System.nanoTime() - start);
                }
            } catch (RuntimeException ex) {
                throw new SonnxException(entry.op().node().label() + ": backward: " + ex.getMessage(), ex);
            }
            for (int i = 0; i < ins.length; i++) {
                if (needs[i] && i < gradIn.length && gradIn[i] != null) {
                    accumulate(grads, (Tensor) ins[i], gradIn[i], entry.op());
                }
            }
        }
        Map<Tensor, Tensor> result = new LinkedHashMap<>();
        for (Tensor t : wrt) {
            Tensor g = grads.get(t);
            if (g != null) {
                result.put(t, g);
            }
        }
        return result;
    }

    /**
     * Which of an entry's output gradients its backward may overwrite: those taken out of the map
     * (not a target's), made by this sweep (not the caller's seed, not a forward value), whose
     * memory no gradient still in the map and no other gradient of the entry shares (an Add's
     * backward hands one tensor to both of its inputs; a Reshape's, a view of it).
     */
    private static boolean[] overwritable(Tensor[] gradOut, boolean[] handedOver, Map<Tensor, Tensor> grads,
                                          Arena arena) {
        boolean[] r = new boolean[gradOut.length];
        for (int o = 0; o < gradOut.length; o++) {
            Tensor g = gradOut[o];
            if (!handedOver[o] || !g.isHost() || !(g.storage() instanceof dev.sonnx.runtime.tensor.ArenaStorage s)
                    || s.arena() != arena) {
                continue;
            }
            boolean shared = false;
            for (Tensor other : grads.values()) {
                shared |= other.storage() == g.storage();
            }
            for (int p = 0; p < gradOut.length; p++) {
                shared |= p != o && gradOut[p] != null && gradOut[p].storage() == g.storage();
            }
            r[o] = !shared;
        }
        return r;
    }

    /** Tensors on a path from a target to somewhere: the targets and every output computed from them. */
    private static Set<Tensor> reachingTargets(Tape tape, Set<Tensor> targets) {
        Set<Tensor> requires = Collections.newSetFromMap(new IdentityHashMap<>());
        requires.addAll(targets);
        for (Tape.Entry entry : tape.entries()) {
            boolean fromTarget = false;
            Value[] ins = entry.inputs();
            for (int i = 0; i < ins.length && !fromTarget; i++) {
                fromTarget = ins[i] instanceof Tensor t && requires.contains(t) && entry.op().differentiableInput(i);
            }
            if (fromTarget) {
                for (Value v : entry.outputs()) {
                    if (v instanceof Tensor t && t.dtype().isFloat()) {
                        requires.add(t);
                    }
                }
            }
        }
        return requires;
    }

    private static void accumulate(Map<Tensor, Tensor> grads, Tensor target, Tensor g, Operator op) {
        if (!Shapes.equal(g.shape(), target.shape())) {
            throw new SonnxException(op.node().label() + ": backward gave a gradient of shape "
                    + Shapes.toString(g.shape()) + " for an input of shape " + Shapes.toString(target.shape()));
        }
        Tensor prev = grads.get(target);
        if (prev == null) {
            grads.put(target, g);
            return;
        }
        if (prev.isHost() != g.isHost()) {
            g = prev.isHost() ? g.toHost() : g.to(prev.device());
        }
        Tensor sum = !prev.isHost() && prev.device() instanceof DeviceMath device ? device.add(prev, g)
                : prev.dtype() == DataType.FLOAT ? Elementwise.addFloats(prev, g, prev.device()) : addGeneric(prev, g);
        grads.put(target, sum);
    }

    private static Tensor addGeneric(Tensor a, Tensor b) {
        Tensor r = Tensor.uninitialized(a.dtype(), a.shape());
        for (int i = 0; i < r.size(); i++) {
            r.setDouble(i, a.getDouble(i) + b.getDouble(i));
        }
        return r;
    }
}
