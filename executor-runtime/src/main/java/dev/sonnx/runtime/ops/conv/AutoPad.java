package dev.sonnx.runtime.ops.conv;

/** The {@code auto_pad} attribute of convolution and pooling operators. */
public enum AutoPad {
    /** Explicit {@code pads} (default 0). */
    NOTSET,
    /** Output size ceil(in / stride); an odd total padding puts the extra element at the end. */
    SAME_UPPER,
    /** As SAME_UPPER, with the extra element at the beginning. */
    SAME_LOWER,
    /** No padding. */
    VALID;

    /** Parses the attribute value; an empty string (written by some old exporters) means NOTSET. */
    public static AutoPad parse(String value) {
        switch (value) {
            case "":
            case "NOTSET":
                return NOTSET;
            case "SAME_UPPER":
                return SAME_UPPER;
            case "SAME_LOWER":
                return SAME_LOWER;
            case "VALID":
                return VALID;
            default:
                throw new IllegalArgumentException("attribute 'auto_pad' is '" + value
                        + "', expected NOTSET, SAME_UPPER, SAME_LOWER or VALID");
        }
    }

    public boolean isSame() {
        return this == SAME_UPPER || this == SAME_LOWER;
    }
}
