package dev.sonnx.runtime.cli;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Command-line arguments: {@code --name value} options, {@code --flag} switches, and positionals. */
public final class Args {
    private final Map<String, String> options = new HashMap<>();
    private final Set<String> flags = new HashSet<>();
    private final List<String> positionals = new ArrayList<>();
    private final Set<String> used = new HashSet<>();

    /** Parses {@code argv}; names in {@code switches} take no value. */
    public Args(String[] argv, Set<String> switches) {
        for (int i = 0; i < argv.length; i++) {
            String a = argv[i];
            if (a.startsWith("--")) {
                String name = a.substring(2);
                int eq = name.indexOf('=');
                if (eq >= 0) {
                    options.put(name.substring(0, eq), name.substring(eq + 1));
                } else if (switches.contains(name)) {
                    flags.add(name);
                } else if (i + 1 < argv.length) {
                    options.put(name, argv[++i]);
                } else {
                    throw new UsageException("option --" + name + " needs a value");
                }
            } else {
                positionals.add(a);
            }
        }
    }

    public String get(String name, String defaultValue) {
        used.add(name);
        return options.getOrDefault(name, defaultValue);
    }

    public String require(String name) {
        String v = get(name, null);
        if (v == null) {
            throw new UsageException("option --" + name + " is required");
        }
        return v;
    }

    public int getInt(String name, int defaultValue) {
        String v = get(name, null);
        try {
            return v == null ? defaultValue : Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new UsageException("option --" + name + " takes a whole number, not '" + v + "'");
        }
    }

    public double getDouble(String name, double defaultValue) {
        String v = get(name, null);
        try {
            return v == null ? defaultValue : Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new UsageException("option --" + name + " takes a number, not '" + v + "'");
        }
    }

    public boolean flag(String name) {
        used.add(name);
        return flags.contains(name);
    }

    public List<String> positionals() {
        return positionals;
    }

    /** Fails on options nobody asked for (typos). Call after reading every option. */
    public void checkAllUsed() {
        for (String name : options.keySet()) {
            if (!used.contains(name)) {
                throw new UsageException("unknown option --" + name);
            }
        }
        for (String name : flags) {
            if (!used.contains(name)) {
                throw new UsageException("unknown option --" + name);
            }
        }
    }

    /** A mistake in the command line; the launcher prints it with the usage. */
    public static final class UsageException extends RuntimeException {
        public UsageException(String message) {
            super(message);
        }
    }
}
