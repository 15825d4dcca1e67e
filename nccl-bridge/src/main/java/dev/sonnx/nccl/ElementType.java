package dev.sonnx.nccl;

/** Element types the collectives carry. */
public enum ElementType {
    FLOAT32(4),
    FLOAT16(2),
    INT32(4),
    INT64(8),
    UINT8(1);

    private final int bytes;

    ElementType(int bytes) {
        this.bytes = bytes;
    }

    public int bytes() {
        return bytes;
    }
}
