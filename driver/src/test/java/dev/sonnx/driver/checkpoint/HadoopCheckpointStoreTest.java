package dev.sonnx.driver.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sonnx.driver.rank.CheckpointStore;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HadoopCheckpointStoreTest {

    @Test
    void keepsTheNewestAndReadsTheLatestWhole(@TempDir Path dir) throws Exception {
        HadoopCheckpointStore store = new HadoopCheckpointStore(dir.resolve("ckpt").toString(), 2, new Configuration());
        assertTrue(store.latest().isEmpty());
        for (long step : new long[] {5, 10, 100, 15}) {
            store.save(step, new byte[] {(byte) step, 1, 2});
        }
        // 100 sorts after 15 by number, as the zero-padded names make it
        assertEquals(List.of(15L, 100L), store.steps());
        CheckpointStore.Saved latest = store.latest().orElseThrow();
        assertEquals(100, latest.step());
        assertArrayEquals(new byte[] {100, 1, 2}, latest.bytes());
        try (Stream<Path> files = Files.list(dir.resolve("ckpt"))) {
            assertEquals(List.of("ckpt-000000000015.onnx", "ckpt-000000000100.onnx"),
                    files.map(p -> p.getFileName().toString()).sorted().toList(), "no temporary or checksum files");
        }
    }

    @Test
    void travelsToTheRanksWithItsConfiguration(@TempDir Path dir) throws Exception {
        Configuration conf = new Configuration();
        conf.set("sonnx.test.key", "value");
        HadoopCheckpointStore store = new HadoopCheckpointStore(dir.toString(), 3, conf);
        Path file = dir.resolve("store.ser");
        try (ObjectOutputStream out = new ObjectOutputStream(Files.newOutputStream(file))) {
            out.writeObject(store);
        }
        try (ObjectInputStream in = new ObjectInputStream(Files.newInputStream(file))) {
            HadoopCheckpointStore copy = (HadoopCheckpointStore) in.readObject();
            copy.save(1, new byte[] {7});
            assertEquals(List.of(1L), store.steps());
        }
    }
}
