package dev.sonnx.runtime.cli;

import dev.sonnx.runtime.SonnxException;
import dev.sonnx.runtime.onnx.OnnxFormatException;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/** The local {@code sonnx} commands of the executor runtime. */
public final class Main {

    /** One subcommand. */
    interface Command {
        /** Runs with the arguments after the command name; returns the exit status. */
        int run(String[] args, PrintStream out) throws Exception;

        String usage();
    }

    static final Map<String, Command> COMMANDS = new LinkedHashMap<>();

    static {
        COMMANDS.put("info", new InfoCommand());
        COMMANDS.put("run", new RunCommand());
        COMMANDS.put("conformance", new ConformanceCommand());
        COMMANDS.put("train-check", new TrainCheckCommand());
        COMMANDS.put("export", new ExportCommand());
        COMMANDS.put("dist-check", new DistCheckCommand());
        COMMANDS.put("time", new TimeCommand());
    }

    private Main() {
    }

    public static void main(String[] argv) {
        System.exit(run(argv, System.out, System.err));
    }

    /** Runs a command line; returns the exit status (0 ok, 1 failure, 2 usage). */
    public static int run(String[] argv, PrintStream out, PrintStream err) {
        if (argv.length == 0 || argv[0].equals("help") || argv[0].equals("--help")) {
            printUsage(out);
            return argv.length == 0 ? 2 : 0;
        }
        Command c = COMMANDS.get(argv[0]);
        if (c == null) {
            err.println("sonnx: unknown command '" + argv[0] + "'");
            printUsage(err);
            return 2;
        }
        try {
            return c.run(Arrays.copyOfRange(argv, 1, argv.length), out);
        } catch (Args.UsageException e) {
            err.println("sonnx " + argv[0] + ": " + e.getMessage());
            err.println("usage: sonnx " + c.usage());
            return 2;
        } catch (SonnxException | OnnxFormatException e) {
            err.println("sonnx " + argv[0] + ": " + e.getMessage());
            return 1;
        } catch (Exception e) {
            err.println("sonnx " + argv[0] + ": " + e);
            return 1;
        }
    }

    static void printUsage(PrintStream out) {
        out.println("usage: sonnx COMMAND [OPTIONS]");
        for (Command c : COMMANDS.values()) {
            out.println("  sonnx " + c.usage());
        }
    }

    /**
     * Applies the run options every command takes: {@code --threads N} (0 or absent: all cores) to the
     * CPU device and native libraries, {@code --precision fp32|mixed} to a GPU.
     */
    static void applyRunOptions(Args a) {
        int threads = a.getInt("threads", 0);
        dev.sonnx.runtime.cpu.CpuDevice.setDefaultThreads(threads);
        String precision = a.get("precision", null);
        if (precision != null) {
            if (!precision.equals("fp32") && !precision.equals("mixed")) {
                throw new Args.UsageException("--precision is fp32 or mixed, got '" + precision + "'");
            }
            // read by the CUDA device (it does not concern the CPU, which computes in float32)
            System.setProperty("sonnx.cuda.precision", precision);
        }
    }
}
