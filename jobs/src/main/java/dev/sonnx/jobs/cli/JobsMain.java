package dev.sonnx.jobs.cli;

import dev.sonnx.jobs.BatchInferenceJob;
import dev.sonnx.jobs.FineTuneJob;
import dev.sonnx.jobs.RetrainPipelineJob;
import dev.sonnx.jobs.demo.DemoJob;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code bin/sonnx finetune|infer|retrain|demo}: the Spark jobs in local mode on this machine. The
 * master is {@code local[N]} with N the larger of the cores and the job's ranks (a barrier stage needs
 * a slot per rank), unless {@code --master} or the {@code spark.master} property says otherwise.
 */
public final class JobsMain {
    static final Map<String, Job<?>> JOBS = new LinkedHashMap<>();

    static {
        JOBS.put("finetune", new FineTuneJob());
        JOBS.put("infer", new BatchInferenceJob());
        JOBS.put("retrain", new RetrainPipelineJob());
        JOBS.put("demo", new DemoJob());
    }

    private JobsMain() {
    }

    public static void main(String[] argv) {
        if (argv.length == 0 || !JOBS.containsKey(argv[0])) {
            System.err.println("usage: sonnx finetune|infer|retrain|demo [--master URL] OPTIONS   (--help for a job's options)");
            System.exit(argv.length == 0 ? 2 : (argv[0].equals("--help") ? 0 : 2));
        }
        String[] rest = Arrays.copyOfRange(argv, 1, argv.length);
        rest = takeMaster(rest);
        System.exit(JobRunner.run(JOBS.get(argv[0]), rest, System.out, System.err));
    }

    /** Applies and removes {@code --master URL}; defaults the local master and quiet console settings. */
    private static String[] takeMaster(String[] args) {
        int ranks = 2;
        for (int i = 0; i + 1 < args.length; i++) {
            if (args[i].equals("--ranks")) {
                try {
                    ranks = Integer.parseInt(args[i + 1]);
                } catch (NumberFormatException e) {
                    // the job reports the bad value with its usage
                }
            }
        }
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--master") && i + 1 < args.length) {
                System.setProperty("spark.master", args[i + 1]);
                String[] r = new String[args.length - 2];
                System.arraycopy(args, 0, r, 0, i);
                System.arraycopy(args, i + 2, r, i, args.length - i - 2);
                args = r;
                break;
            }
        }
        int slots = Math.max(Runtime.getRuntime().availableProcessors(), ranks);
        System.setProperty("spark.master", System.getProperty("spark.master", "local[" + slots + "]"));
        System.setProperty("spark.ui.showConsoleProgress", System.getProperty("spark.ui.showConsoleProgress", "false"));
        return args;
    }
}
