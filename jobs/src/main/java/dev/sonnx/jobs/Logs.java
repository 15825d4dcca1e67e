package dev.sonnx.jobs;

import java.io.PrintStream;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.function.Consumer;

/** The jobs' progress lines: time-stamped, on the job's output. */
public final class Logs {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss");

    private Logs() {
    }

    public static Consumer<String> to(PrintStream out) {
        return line -> {
            out.println(LocalTime.now().format(TIME) + " " + line);
            out.flush();
        };
    }
}
