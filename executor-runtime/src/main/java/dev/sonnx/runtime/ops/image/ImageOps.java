package dev.sonnx.runtime.ops.image;

import dev.sonnx.runtime.ops.OpRegistry;

/**
 * Operators of this family: image and geometry: Resize, Upsample, GridSample, RoiAlign, MaxRoiPool,
 * NonMaxSuppression, DepthToSpace, SpaceToDepth, CenterCropPad, AffineGrid.
 */
public final class ImageOps implements OpRegistry.OpSet {
    @Override
    public void register(OpRegistry r) {
        r.add("Upsample", 7, (n, b) -> new Resize(n, Resize.Variant.UPSAMPLE_7));
        r.add("Upsample", 9, (n, b) -> new Resize(n, Resize.Variant.UPSAMPLE_9));
        r.add("Upsample", 10, (n, b) -> {
            throw new IllegalArgumentException("Upsample was removed in opset 10 (deprecated); use Resize");
        });
        r.add("Resize", 10, (n, b) -> new Resize(n, Resize.Variant.RESIZE_10));
        r.add("Resize", 11, (n, b) -> new Resize(n, Resize.Variant.RESIZE_11));
        r.add("Resize", 13, (n, b) -> new Resize(n, Resize.Variant.RESIZE_13));
        r.add("Resize", 18, (n, b) -> new Resize(n, Resize.Variant.RESIZE_18));
        r.add("DepthToSpace", 1, (n, b) -> new DepthSpace(n, true, false));
        r.add("DepthToSpace", 11, (n, b) -> new DepthSpace(n, true, true));
        r.add("SpaceToDepth", 1, (n, b) -> new DepthSpace(n, false, false));
        r.add("GridSample", 16, (n, b) -> new GridSample(n, false));
        r.add("GridSample", 20, (n, b) -> new GridSample(n, true));
        r.add("RoiAlign", 10, (n, b) -> new RoiAlign(n, false));
        r.add("RoiAlign", 16, (n, b) -> new RoiAlign(n, true));
        r.add("MaxRoiPool", 1, (n, b) -> new MaxRoiPool(n));
        r.add("NonMaxSuppression", 10, (n, b) -> new NonMaxSuppression(n));
        r.add("CenterCropPad", 18, (n, b) -> new CenterCropPad(n));
        r.add("AffineGrid", 20, (n, b) -> new AffineGrid(n));
        r.add("Resize", 19, (n, b) -> new Resize(n, Resize.Variant.RESIZE_19));
    }
}
