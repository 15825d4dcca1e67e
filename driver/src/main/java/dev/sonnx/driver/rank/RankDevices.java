package dev.sonnx.driver.rank;

import dev.sonnx.runtime.cpu.CpuDevice;
import dev.sonnx.runtime.tensor.Device;

/** Chooses a rank's device: the GPU Spark assigned to the task, else the CPU with the task's cores. */
public final class RankDevices {
    private RankDevices() {
    }

    /**
     * {@code gpuAddresses} are the task's {@code gpu} resource addresses (empty or null without GPUs);
     * {@code cpus} its {@code spark.task.cpus}.
     */
    public static Device choose(String[] gpuAddresses, int cpus) {
        if (gpuAddresses != null && gpuAddresses.length > 0) {
            return Device.parse("cuda:" + gpuAddresses[0]);
        }
        return CpuDevice.withThreads(Math.max(1, cpus));
    }
}
