package dev.sonnx.driver.ml;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.junit.jupiter.api.Test;

class RowFeaturesTest {

    @Test
    void imageStructBecomesChannelFirstRgb() {
        // 1x2 image, 3 channels, stored as Spark's image source stores it: HWC, BGR
        byte[] bgr = {10, 20, (byte) 255, 40, 50, 60};
        Row row = RowFactory.create(new org.apache.spark.sql.catalyst.expressions.GenericRowWithSchema(
                new Object[] {"file:/x.png", 1, 2, 3, 16, bgr}, org.apache.spark.ml.image.ImageSchema.columnSchema()));
        float[] f = RowFeatures.read(row, 0);
        // R plane, then G, then B
        assertArrayEquals(new float[] {1f, 60 / 255f, 20 / 255f, 50 / 255f, 10 / 255f, 40 / 255f}, f, 1e-7f);
    }

    @Test
    void otherKindsOfFeatures() {
        assertArrayEquals(new float[] {0f, 1f}, RowFeatures.read(RowFactory.create((Object) new byte[] {0, -1}), 0));
        assertArrayEquals(new float[] {1.5f, -2f}, RowFeatures.read(RowFactory.create(Vectors.dense(1.5, -2)), 0));
        assertNull(RowFeatures.read(RowFactory.create((Object) null), 0));
        assertEquals(3L, RowFeatures.label(RowFactory.create(3.0), 0));
        assertNull(RowFeatures.label(RowFactory.create(2.5), 0));
    }
}
