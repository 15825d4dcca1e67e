package dev.sonnx.runtime.ops.conv.dnnl;

import dev.sonnx.runtime.tensor.DirectMemory;
import dev.sonnx.runtime.tensor.HostStorage;
import dev.sonnx.runtime.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * A constant weight tensor of an inference model (a Conv's W, a MatMul's or Gemm's B) and the copies
 * of it that the operator's oneDNN primitives read, in the layouts they chose. Each input shape has
 * its own primitive, but shapes whose primitives choose the same layout share one copy. Once a copy
 * exists, the plain tensor's memory goes back to the system where the plan allows it (the operator
 * is its only reader: {@link HostStorage#allowReclaim}): a shape that needs another layout, or any
 * other reader, gets the plain contents rebuilt from the copy by a reorder back, and they are dropped
 * again after the next copy is made. The weights thus take their packed size, not twice that.
 * Thread-safe: operators are shared by concurrent runs.
 */
public final class ConstantWeights {
    /** Copies kept for reuse by later shapes (primitives keep their own copy in any case). */
    private static final int MAX_LAYOUTS = 4;

    private final Tensor plain;
    private final List<Copy> copies = new ArrayList<>();
    /** Whether a primitive reads the plain tensor itself: its memory must then stay. */
    private boolean plainRead;
    /** The weights transformed for {@link WinogradConvolution}s, each with a convolution that reads it, made on first use. */
    private final List<Transformed> winograd = new ArrayList<>();

    private record Copy(PackedWeights layout, Tensor tensor) {
    }

    private record Transformed(WinogradConvolution reader, Tensor u) {
    }

    /** {@code plain}: a float32 constant in ONNX's layout, whose contents never change. */
    public ConstantWeights(Tensor plain) {
        this.plain = plain;
    }

    /** The constant itself (the plan's tensor: compare inputs with it). */
    public Tensor plain() {
        return plain;
    }

    /** The weights in {@code conv}'s layout, made on the first call for this layout. */
    public Tensor forConvolution(DnnlConvolution conv) {
        return packed(conv.packedWeights());
    }

    /** B in {@code product}'s layout, made on the first call for this layout. */
    public Tensor forProduct(DnnlMatMul product) {
        return packed(product.packedWeights());
    }

    /** The 1 x 1 convolution's weights in {@code fused}'s layout, made on the first call for this layout. */
    public Tensor forPointwise(DnnlPointwiseDepthwise fused) {
        return packed(fused.pointwiseWeights());
    }

    /** The depthwise convolution's weights in {@code fused}'s layout, made on the first call for this layout. */
    public Tensor forDepthwise(DnnlPointwiseDepthwise fused) {
        return packed(fused.depthwiseWeights());
    }

    /**
     * The weights transformed for {@code conv} (its U, {@link WinogradConvolution#packWeights}), made on
     * the first call from the plain contents (rebuilt from a packed copy or their recipe if they were
     * dropped); shapes whose convolutions read the same U share it.
     */
    public synchronized Tensor forWinograd(WinogradConvolution conv) {
        for (Transformed t : winograd) {
            if (t.reader == conv || t.reader.readsSameWeights(conv)) {
                return t.u;
            }
        }
        Tensor u = conv.packWeights(plain);
        winograd.add(new Transformed(conv, u));
        if (winograd.size() > MAX_LAYOUTS) {
            winograd.remove(0);
        }
        // U rounds the weights, so it cannot give them back; where they can be recomputed from the
        // model (folded Conv + BatchNormalization), the plain copy goes now
        if (!plainRead && plain.storage() instanceof HostStorage h && h.reclaimToSource()) {
            DirectMemory.trim();
        }
        return u;
    }

    /**
     * The plain tensor for a kernel that reads it directly (a shape no oneDNN primitive takes): its
     * memory stays from now on, since such reads happen outside this object's lock.
     */
    public synchronized Tensor readPlain() {
        plainRead = true;
        return plain;
    }

    /** Whether the plain copy's memory is given back now (it comes back when read). */
    public boolean plainReclaimed() {
        return plain.storage() instanceof HostStorage h && h.isReclaimed();
    }

    private synchronized Tensor packed(PackedWeights layout) {
        if (layout.readsPlain()) {
            plainRead = true;
            return plain;
        }
        for (Copy c : copies) {
            if (c.layout.sameLayout(layout)) {
                return c.tensor;
            }
        }
        // reads the plain contents, rebuilt from an earlier copy if they were dropped
        Tensor t = layout.prepare(plain);
        copies.add(new Copy(layout, t));
        if (copies.size() > MAX_LAYOUTS) {
            copies.remove(0);
        }
        if (!plainRead && plain.storage() instanceof HostStorage h && h.reclaim(target -> layout.unpack(t, target))) {
            // each layer's copy is larger than the plain weights freed before it: without returning
            // malloc's free pages as they add up, the first run would hold both copies at its end
            DirectMemory.trim();
        }
        return t;
    }
}
