package dev.sonnx.runtime.backend;

import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Storage;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An inference plan's shape arithmetic ({@link ShapeArithmetic}) computed once per set of input
 * shapes: the first run of new shapes keeps a copy of every value that the rest of the graph reads
 * from it, and later runs of the same shapes start with those values and skip the steps. A GPT-2
 * export spends about 60 small operators a run on it; a batch job feeds one shape over and over.
 *
 * <p>Kept values live outside the run's memory pool, so no kernel writes over them in place (the
 * pool lends a buffer only to the one slot that holds it). At most {@link #MAX_SIGNATURES} shape sets
 * are kept, the least recently used going first; a shape set whose values come to more than
 * {@link #MAX_VALUE_BYTES} bytes (or include strings, or values off the host) runs unspecialised.
 * {@code -Dsonnx.shapeSpecialisation=false} turns it off.
 */
final class ShapeSpecialisation {
    static final boolean ENABLED = !"false".equals(System.getProperty("sonnx.shapeSpecialisation"));
    static final int MAX_SIGNATURES = 16;
    /** The most bytes of kept values per shape set (masks of a long sequence are still kept). */
    static final long MAX_VALUE_BYTES = 16L << 20;

    private final ShapeArithmetic arithmetic;
    private final Map<Signature, Overlay> overlays = Collections.synchronizedMap(
            new LinkedHashMap<>(16, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<Signature, Overlay> eldest) {
                    return size() > MAX_SIGNATURES;
                }
            });

    private ShapeSpecialisation(ShapeArithmetic arithmetic) {
        this.arithmetic = arithmetic;
    }

    /** The specialisation of {@code plan}, or null when it has no shape arithmetic (or it is turned off). */
    static ShapeSpecialisation of(Plan plan) {
        if (!ENABLED) {
            return null;
        }
        ShapeArithmetic a = ShapeArithmetic.of(plan);
        return a.any ? new ShapeSpecialisation(a) : null;
    }

    /** How many shape sets have kept values (for tests). */
    int kept() {
        synchronized (overlays) {
            return (int) overlays.values().stream().filter(o -> o != Overlay.NONE).count();
        }
    }

    /**
     * Prepares {@code frame} (inputs bound) for its run: with the kept values of these input shapes
     * and the steps to skip, or with a recorder that keeps them during this run.
     */
    void prepare(Frame frame, int[] inputSlots) {
        Signature key = Signature.of(frame.slots, inputSlots);
        if (key == null) {
            return;
        }
        Overlay o = overlays.get(key);
        if (o == null) {
            frame.recorder = new Recorder(key);
        } else if (o != Overlay.NONE) {
            for (int i = 0; i < o.slots.length; i++) {
                frame.slots[o.slots[i]] = o.values[i];
            }
            frame.overlay = o;
        }
    }

    /** The values a run hands out: copies of any that share memory with kept values. */
    static Value[] detached(Frame frame, Value[] out) {
        Overlay o = frame.overlay;
        if (o == null) {
            return out;
        }
        Value[] r = out;
        for (int i = 0; i < r.length; i++) {
            if (r[i] instanceof Tensor t && o.holds(t.storage())) {
                r = r == out ? out.clone() : r;
                r[i] = copyOutsidePool(t);
            }
        }
        return r;
    }

    /** The input shapes and types of one run. */
    private record Signature(int[][] shapes, DataType[] types) {
        static Signature of(Value[] slots, int[] inputSlots) {
            int[][] shapes = new int[inputSlots.length][];
            DataType[] types = new DataType[inputSlots.length];
            for (int i = 0; i < inputSlots.length; i++) {
                Value v = slots[inputSlots[i]];
                if (v == null) {
                    continue;
                }
                if (!(v instanceof Tensor t)) {
                    return null;   // sequences and optionals: shapes say too little
                }
                shapes[i] = t.shape();
                types[i] = t.dtype();
            }
            return new Signature(shapes, types);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Signature s && Arrays.deepEquals(shapes, s.shapes) && Arrays.equals(types, s.types);
        }

        @Override
        public int hashCode() {
            return 31 * Arrays.deepHashCode(shapes) + Arrays.hashCode(types);
        }
    }

    /** A copy of {@code t} in memory of its own, outside the run's pool. */
    private static Tensor copyOutsidePool(Tensor t) {
        Tensor copy = Tensor.zeros(t.dtype(), t.shape());
        copy.copyFrom(t);
        return copy;
    }

    /** What runs of one shape set start with: the kept values and their slots, and the steps they replace. */
    static final class Overlay {
        static final Overlay NONE = new Overlay(new int[0], new Tensor[0], new boolean[0]);

        final int[] slots;
        final Tensor[] values;
        final boolean[] skip;

        private Overlay(int[] slots, Tensor[] values, boolean[] skip) {
            this.slots = slots;
            this.values = values;
            this.skip = skip;
        }

        boolean holds(Storage storage) {
            for (Tensor t : values) {
                if (t.storage() == storage) {
                    return true;
                }
            }
            return false;
        }
    }

    /** Keeps copies of the frontier values during a first run, then files them under its signature. */
    final class Recorder {
        private final Signature key;
        private final Map<Integer, Tensor> kept = new LinkedHashMap<>();
        private long bytes;
        private boolean failed;

        private Recorder(Signature key) {
            this.key = key;
        }

        /** A step wrote {@code v} into {@code slot}; keeps a copy when later runs will start with it. */
        void produced(int slot, Value v) {
            if (failed || !arithmetic.frontier[slot]) {
                return;
            }
            if (!(v instanceof Tensor t) || !t.isHost() || t.dtype() == DataType.STRING
                    || (bytes += (long) t.size() * t.dtype().byteSize()) > MAX_VALUE_BYTES) {
                failed = true;
                return;
            }
            // outside the run's pool: the run recycles its own buffers as values die
            kept.put(slot, copyOutsidePool(t));
        }

        /** Files the kept values (or, where some could not be kept, that these shapes run unspecialised). */
        void finish() {
            if (failed || kept.size() != arithmetic.frontierCount) {
                overlays.put(key, Overlay.NONE);
                return;
            }
            overlays.put(key, new Overlay(kept.keySet().stream().mapToInt(Integer::intValue).toArray(),
                    kept.values().toArray(new Tensor[0]), arithmetic.derivedStep));
        }
    }
}
