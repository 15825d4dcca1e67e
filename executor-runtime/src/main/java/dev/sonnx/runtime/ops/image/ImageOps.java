package dev.sonnx.runtime.ops.image;

import dev.sonnx.runtime.ops.OpRegistry;

/** Operators of this family: image and geometry: Resize, Upsample, GridSample, RoiAlign, MaxRoiPool, NonMaxSuppression, DepthToSpace, SpaceToDepth, CenterCropPad, AffineGrid. */
public final class ImageOps implements OpRegistry.OpSet {
    @Override
    public void register(OpRegistry r) {
    }
}
