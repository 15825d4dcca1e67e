package dev.sonnx.runtime.opt;

/** SINGA's five ways of exchanging gradients between data-parallel ranks. */
public enum DistOption {
    /** Average float32 gradients across ranks every step. */
    FP32("fp32"),
    /** Average gradients sent as float16 (half the bytes). */
    FP16("fp16"),
    /** Update locally; average one partition of the parameters per step, round robin. */
    PARTIAL_UPDATE("partialUpdate"),
    /** Send the fraction {@code spars} of gradient elements with the largest magnitude. */
    SPARSE_TOP_K("sparseTopK"),
    /** Send the gradient elements whose magnitude is at least {@code spars}. */
    SPARSE_THRESHOLD("sparseThreshold");

    private final String id;

    DistOption(String id) {
        this.id = id;
    }

    /** The name used on command lines and in SINGA ({@code fp32}, {@code sparseTopK}...). */
    public String id() {
        return id;
    }

    public static DistOption parse(String s) {
        for (DistOption o : values()) {
            if (o.id.equalsIgnoreCase(s) || o.name().equalsIgnoreCase(s)) {
                return o;
            }
        }
        throw new IllegalArgumentException("unknown dist option '" + s + "' (expected fp32, fp16, partialUpdate,"
                + " sparseTopK or sparseThreshold)");
    }

    @Override
    public String toString() {
        return id;
    }
}
