package dev.sonnx.runtime.tensor;

import java.lang.reflect.Method;

/** Resolves device names; CUDA is loaded reflectively so the CPU path never touches CUDA classes. */
public final class Devices {
    private Devices() {
    }

    public static Device parse(String spec) {
        if (spec == null || spec.isEmpty() || spec.equals("cpu")) {
            return dev.sonnx.runtime.cpu.CpuDevice.get();
        }
        if (spec.startsWith("cpu:")) {
            return dev.sonnx.runtime.cpu.CpuDevice.withThreads(parseIndex(spec, 4));
        }
        if (spec.startsWith("cuda")) {
            int index = spec.equals("cuda") ? 0 : parseIndex(spec, 5);
            try {
                Class<?> c = Class.forName("dev.sonnx.runtime.cuda.CudaDevice");
                Method open = c.getMethod("open", int.class);
                return (Device) open.invoke(null, index);
            } catch (ClassNotFoundException e) {
                throw new IllegalStateException("device " + spec + ": this build has no CUDA support", e);
            } catch (java.lang.reflect.InvocationTargetException e) {
                Throwable cause = e.getCause();
                throw new IllegalStateException("device " + spec + " is not available: " + cause.getMessage(), cause);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("device " + spec + ": " + e, e);
            }
        }
        throw new IllegalArgumentException("unknown device '" + spec + "' (expected cpu, cpu:THREADS or cuda:N)");
    }

    private static int parseIndex(String spec, int from) {
        try {
            int n = Integer.parseInt(spec.substring(from));
            if (n < 0) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad device '" + spec + "'");
        }
    }
}
