package dev.sonnx.runtime.ops.conv.dnnl;

/**
 * The shapes and window of one convolution, kept by the primitive wrappers so that backward
 * primitives can be built later, on the first training step.
 */
final class ConvGeometry {
    final int[] xShape;
    final int[] wShape;
    final int[] yShape;
    final int group;
    final int[] strides;
    final int[] dilations;
    final int[] padBegin;
    final int[] padEnd;
    /** X and Y stored [N, spatial..., C] (the shapes here stay [N, C, spatial...]). */
    final boolean channelsLast;

    ConvGeometry(int[] xShape, int[] wShape, int[] yShape, int group, int[] strides, int[] dilations, int[] padBegin,
                 int[] padEnd, boolean channelsLast) {
        this.xShape = xShape.clone();
        this.wShape = wShape.clone();
        this.yShape = yShape.clone();
        this.group = group;
        this.strides = strides.clone();
        this.dilations = dilations.clone();
        this.padBegin = padBegin.clone();
        this.padEnd = padEnd.clone();
        this.channelsLast = channelsLast;
    }

    /** Fresh descriptors (owned by the caller), or null when oneDNN cannot express the geometry. */
    ConvDescs descs() {
        return ConvDescs.of(xShape, wShape, yShape, group, strides, dilations, padBegin, padEnd, channelsLast);
    }
}
