package dev.sonnx.runtime.fuzz;

import dev.sonnx.runtime.SonnxException;
import dev.sonnx.runtime.backend.SampleFeeds;
import dev.sonnx.runtime.backend.SingaBackend;
import dev.sonnx.runtime.backend.SingaRep;
import dev.sonnx.runtime.cpu.CpuDevice;
import dev.sonnx.runtime.onnx.ModelIO;
import dev.sonnx.runtime.onnx.OnnxFormatException;
import dev.sonnx.runtime.onnx.proto.Onnx.ModelProto;
import dev.sonnx.runtime.onnx.proto.Onnx.TypeProto;
import dev.sonnx.runtime.onnx.proto.Onnx.ValueInfoProto;
import dev.sonnx.runtime.tensor.MemoryLimit;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.Consumer;

/**
 * What the fuzzer drives: bytes parsed as a model, prepared, and run on zero-filled inputs when every
 * input is a small tensor of static shape. Whatever the bytes, the outcome must be a result or an
 * error of the documented kinds ({@link SonnxException}, {@link OnnxFormatException},
 * {@link IllegalArgumentException}) with a message, caused by nothing else: an exception of another
 * kind anywhere in the chain (a NullPointerException inside a kernel that the executor wrapped, say)
 * is a bug, and is rethrown for the fuzzer to report.
 */
public final class ModelFuzzing {
    /** Per-tensor memory limit while fuzzing: hostile sizes fail fast instead of swapping. */
    static final long MEMORY_LIMIT = 16 << 20;
    /** Per-run (and per-fold) time limit while fuzzing: hostile loops end instead of hanging. */
    static final Duration TIME_LIMIT = Duration.ofSeconds(2);
    /** Inputs larger than this many elements are not fed (the model is only prepared). */
    private static final long MAX_FEED_ELEMENTS = 1 << 12;

    /** Where inputs ended (printed after a fuzzing run, see {@link ModelFuzzTest}). */
    enum Outcome { REFUSED_AT_LOAD, REFUSED_AT_PREPARE, PREPARED_NOT_RUN, REFUSED_AT_RUN, RAN }

    private static final AtomicLongArray OUTCOMES = new AtomicLongArray(Outcome.values().length);

    private ModelFuzzing() {
    }

    /** The counts so far, e.g. {@code REFUSED_AT_LOAD=12, ..., RAN=3}. */
    static String outcomes() {
        StringBuilder sb = new StringBuilder();
        for (Outcome o : Outcome.values()) {
            sb.append(sb.length() > 0 ? ", " : "").append(o).append('=').append(OUTCOMES.get(o.ordinal()));
        }
        return sb.toString();
    }

    private static void count(Outcome o) {
        OUTCOMES.incrementAndGet(o.ordinal());
    }

    /** Parses, prepares and runs {@code data} on zero-filled inputs. */
    public static void exercise(byte[] data) {
        exercise(data, t -> { });
    }

    /**
     * Parses, prepares and runs {@code data}; each input tensor starts zero-filled and {@code fill}
     * may write values into it.
     */
    public static void exercise(byte[] data, Consumer<Tensor> fill) {
        long savedLimit = MemoryLimit.get();
        MemoryLimit.set(MEMORY_LIMIT);
        try {
            ModelProto model;
            try {
                model = ModelIO.parse(data, "fuzz.onnx", null);
            } catch (RuntimeException e) {
                requireDocumented(e);
                count(Outcome.REFUSED_AT_LOAD);
                return;
            }
            SingaRep rep;
            try {
                rep = SingaBackend.prepare(model, CpuDevice.get(), SingaBackend.PrepareOptions.DEFAULTS
                        .named("fuzz.onnx").timeLimit(TIME_LIMIT));
            } catch (RuntimeException e) {
                requireDocumented(e);
                count(Outcome.REFUSED_AT_PREPARE);
                return;
            }
            List<Value> feeds = zeroFeeds(rep.inputs());
            if (feeds == null) {
                count(Outcome.PREPARED_NOT_RUN);
                return;
            }
            feeds.forEach(v -> fill.accept((Tensor) v));
            try {
                rep.runValues(feeds, -1, false, null, new SplittableRandom(0));
                count(Outcome.RAN);
            } catch (RuntimeException e) {
                requireDocumented(e);
                count(Outcome.REFUSED_AT_RUN);
            }
        } finally {
            MemoryLimit.set(savedLimit);
        }
    }

    /**
     * Rethrows {@code e} unless it and every cause are of the documented kinds and it has a message.
     * An {@link Error} (StackOverflowError, OutOfMemoryError) is never caught here, so it reaches the
     * fuzzer as a finding too.
     */
    static void requireDocumented(RuntimeException e) {
        for (Throwable c = e; c != null; c = c.getCause()) {
            boolean documented = c instanceof SonnxException || c instanceof OnnxFormatException
                    || c instanceof IllegalArgumentException
                    || c instanceof com.google.protobuf.InvalidProtocolBufferException;
            if (!documented) {
                throw new AssertionError("undocumented failure " + c.getClass().getName() + " under: "
                        + e.getMessage(), e);
            }
        }
        if (e.getMessage() == null || e.getMessage().isBlank()) {
            throw new AssertionError("an error without a message", e);
        }
    }

    /** Zero-filled feeds for inputs that are all small tensors of static shape; null when any is not. */
    static List<Value> zeroFeeds(List<ValueInfoProto> inputs) {
        List<Value> feeds = new ArrayList<>(inputs.size());
        for (ValueInfoProto in : inputs) {
            TypeProto type = in.getType();
            if (!type.hasTensorType() || type.getTensorType().getShape().getDimList().stream()
                    .anyMatch(d -> !d.hasDimValue())) {
                return null; // symbolic dims: not static
            }
            Tensor zeros = SampleFeeds.zeros(in);
            if (zeros == null || zeros.size() > MAX_FEED_ELEMENTS) {
                return null;
            }
            feeds.add(zeros);
        }
        return feeds;
    }
}
