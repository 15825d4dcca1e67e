package dev.sonnx.runtime.cuda;

import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;

/**
 * The parameter block of one kernel launch, reused by every launch on its thread: cuLaunchKernel
 * takes an array of pointers to the argument values. Each scalar sits in an 8-byte slot (ints and
 * floats in its low half: x86-64 is little-endian); a {@code Dims} struct takes six consecutive slots.
 */
final class LaunchArgs {
    static final int MAX_PARAMS = 32;
    static final int MAX_SLOTS = 96;
    static final int MAX_RANK = 6;

    private final LongPointer slots = new LongPointer(MAX_SLOTS);
    /** The address of each slot, made once: plain pointers with no position for JavaCPP to scale. */
    private final DevicePointer[] slotAddresses = new DevicePointer[MAX_SLOTS];
    private final PointerPointer<Pointer> params = new PointerPointer<>(MAX_PARAMS);
    private int paramCount;
    private int slotCount;

    LaunchArgs() {
        for (int s = 0; s < MAX_SLOTS; s++) {
            slotAddresses[s] = new DevicePointer(slots.address() + 8L * s);
        }
    }

    LaunchArgs reset() {
        paramCount = 0;
        slotCount = 0;
        return this;
    }

    private void param(int slot) {
        if (paramCount >= MAX_PARAMS) {
            throw new IllegalStateException("too many kernel parameters");
        }
        params.put(paramCount++, slotAddresses[slot]);
    }

    private int slot() {
        if (slotCount >= MAX_SLOTS) {
            throw new IllegalStateException("kernel parameters too large");
        }
        return slotCount++;
    }

    LaunchArgs ptr(long address) {
        return i64(address);
    }

    LaunchArgs i64(long v) {
        int s = slot();
        slots.put(s, v);
        param(s);
        return this;
    }

    LaunchArgs i32(int v) {
        int s = slot();
        slots.put(s, v & 0xffffffffL);
        param(s);
        return this;
    }

    LaunchArgs f32(float v) {
        return i32(Float.floatToRawIntBits(v));
    }

    /** A {@code Dims} struct: {@code values} padded with zeros to MAX_RANK entries. */
    LaunchArgs dims(long[] values) {
        if (values.length > MAX_RANK) {
            throw new IllegalArgumentException("rank " + values.length + " is above " + MAX_RANK);
        }
        int first = slotCount;
        for (int k = 0; k < MAX_RANK; k++) {
            int s = slot();
            slots.put(s, k < values.length ? values[k] : 0);
        }
        param(first);
        return this;
    }

    PointerPointer<Pointer> pointers() {
        return params;
    }
}
