package dev.sonnx.driver.rank;

import dev.sonnx.runtime.cpu.CpuDevice;
import dev.sonnx.runtime.cpu.NativeThreads;
import dev.sonnx.runtime.tensor.Device;

/** Chooses a task's device: the GPU Spark assigned to it, else the CPU with the task's cores. */
public final class RankDevices {
    private RankDevices() {
    }

    /**
     * {@code gpuAddresses} are the task's {@code gpu} resource addresses (empty or null without GPUs);
     * {@code cpus} its {@code spark.task.cpus}. On the CPU, OpenBLAS gets the same thread count: its
     * threads spin while they wait, and more of them than the task's cores starve the other tasks of
     * the executor (oneDNN's OpenMP threads follow {@code OMP_NUM_THREADS}, which the launcher and
     * {@code spark.executorEnv.OMP_NUM_THREADS} set).
     */
    public static Device choose(String[] gpuAddresses, int cpus) {
        if (gpuAddresses != null && gpuAddresses.length > 0) {
            return Device.parse("cuda:" + gpuAddresses[0]);
        }
        int threads = Math.max(1, cpus);
        NativeThreads.set(threads);
        return CpuDevice.withThreads(threads);
    }
}
