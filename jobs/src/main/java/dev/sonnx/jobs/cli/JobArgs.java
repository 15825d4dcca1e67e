package dev.sonnx.jobs.cli;

import dev.sonnx.driver.train.TrainConfig;
import dev.sonnx.jobs.data.DataSources;
import dev.sonnx.runtime.cli.Args;
import dev.sonnx.runtime.opt.DistOption;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;

/**
 * A job's command line: {@code --name value} options and {@code --flag} switches, optionally read
 * first from {@code --config FILE} (a properties file whose keys are the option names; the command
 * line wins). Also turns the options every training job shares into a {@link TrainConfig} and the data
 * options into a {@link DataSources.Spec}.
 */
public final class JobArgs {
    /** Switches of the training options. */
    public static final Set<String> TRAIN_SWITCHES = Set.of("freeze-imported", "skip-bad-rows");

    /** The training options, as the usage texts list them. */
    public static final String TRAIN_USAGE = """
              --ranks N                   data-parallel ranks (default: 2)
              --epochs N --batch-size N   passes over the data; rows per step on each rank (defaults 1, 32)
              --optimizer sgd|nesterov|adam|adamw --lr X --momentum X --weight-decay X
              --schedule constant|step|cosine [--schedule-step N --schedule-gamma X]
              --dist-option fp32|fp16|partialUpdate|sparseTopK|sparseThreshold [--spars X]
              --last-layers K --head-classes N [--freeze-imported]   cut the graph, add a Linear head
              --checkpoint-dir PATH --checkpoint-every K [--keep-checkpoints N]
              --seed N  --skip-bad-rows
            """;

    /** The data options, as the usage texts list them. */
    public static final String DATA_USAGE = """
              --data PATH [--format parquet|csv|idx|image] [--labels IDX_LABELS]
              --features-col C --label-col C --key-col C
            """;

    private final Args args;

    private JobArgs(Args args) {
        this.args = args;
    }

    public static JobArgs parse(String[] argv, Set<String> switches) {
        Set<String> all = new HashSet<>(switches);
        all.addAll(TRAIN_SWITCHES);
        List<String> merged = new ArrayList<>();
        for (int i = 0; i < argv.length; i++) {
            if (argv[i].equals("--config") && i + 1 < argv.length) {
                merged.addAll(0, fromFile(Path.of(argv[++i]), all));
            } else if (argv[i].startsWith("--config=")) {
                merged.addAll(0, fromFile(Path.of(argv[i].substring("--config=".length())), all));
            } else {
                merged.add(argv[i]);
            }
        }
        return new JobArgs(new Args(merged.toArray(new String[0]), all));
    }

    private static List<String> fromFile(Path file, Set<String> switches) {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file)) {
            p.load(r);
        } catch (IOException e) {
            throw new Args.UsageException("cannot read the configuration " + file + ": " + e.getMessage());
        }
        List<String> r = new ArrayList<>();
        for (String key : new TreeSet<>(p.stringPropertyNames())) {
            String v = p.getProperty(key).trim();
            if (switches.contains(key)) {
                if (v.isEmpty() || Boolean.parseBoolean(v)) {
                    r.add("--" + key);
                }
            } else {
                r.add("--" + key + "=" + v);
            }
        }
        return r;
    }

    public String get(String name, String defaultValue) {
        return args.get(name, defaultValue);
    }

    public String require(String name) {
        return args.require(name);
    }

    public int getInt(String name, int defaultValue) {
        return args.getInt(name, defaultValue);
    }

    public double getDouble(String name, double defaultValue) {
        return args.getDouble(name, defaultValue);
    }

    public boolean flag(String name) {
        return args.flag(name);
    }

    public void checkAllUsed() {
        args.checkAllUsed();
        if (!args.positionals().isEmpty()) {
            throw new Args.UsageException("unexpected argument '" + args.positionals().get(0) + "'");
        }
    }

    /** The data options; {@code prefix} reads e.g. {@code --holdout-data} for a second dataset. */
    public DataSources.Spec data(String prefix, boolean required) {
        String path = required ? require(prefix + "data") : get(prefix + "data", null);
        if (path == null) {
            return null;
        }
        return new DataSources.Spec(path, get(prefix + "format", null), get(prefix + "labels", null),
                get("features-col", null), get("label-col", null), get("key-col", null));
    }

    /** The training options (defaults follow SINGA's examples: SGD with momentum 0.9). */
    public TrainConfig trainConfig() {
        return trainConfig(true);
    }

    /**
     * The training options; {@code everyNeedsDir} false lets {@code --checkpoint-every} stand alone (the
     * job then chooses the folder and reads the interval itself).
     */
    public TrainConfig trainConfig(boolean everyNeedsDir) {
        try {
            return trainConfigOrThrow(everyNeedsDir);
        } catch (IllegalArgumentException e) {
            throw new Args.UsageException(e.getMessage());
        }
    }

    private TrainConfig trainConfigOrThrow(boolean everyNeedsDir) {
        TrainConfig.Builder b = TrainConfig.builder()
                .epochs(getInt("epochs", 1))
                .batchSize(getInt("batch-size", 32))
                .optimizer(get("optimizer", "sgd"), getDouble("lr", 0.01), getDouble("momentum", 0.9),
                        getDouble("weight-decay", 0))
                .schedule(get("schedule", "constant"), getInt("schedule-step", 1000), getDouble("schedule-gamma", 0.1))
                .distOption(DistOption.parse(get("dist-option", "fp32")), (float) getDouble("spars", 0.05))
                .transfer(getInt("last-layers", -1), getInt("head-classes", 0), flag("freeze-imported"))
                .seed(getInt("seed", 0))
                .skipBadRows(flag("skip-bad-rows"));
        String dir = get("checkpoint-dir", null);
        int every = getInt("checkpoint-every", 0);
        if (dir != null) {
            b.checkpoints(dir, every).keepCheckpoints(getInt("keep-checkpoints", 3));
        } else if (every > 0 && everyNeedsDir) {
            throw new Args.UsageException("--checkpoint-every needs --checkpoint-dir");
        }
        return b.build();
    }

    public int ranks() {
        int ranks = getInt("ranks", 2);
        if (ranks <= 0) {
            throw new Args.UsageException("--ranks must be positive, got " + ranks);
        }
        return ranks;
    }
}
