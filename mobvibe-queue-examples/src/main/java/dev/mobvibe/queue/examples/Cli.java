package dev.mobvibe.queue.examples;

import dev.mobvibe.queue.JobQueue;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Option;

/**
 * What every command gets: the environment, the output streams and whether it runs as the main
 * program of a JVM (then the worker installs a shutdown hook) or inside a test.
 *
 * @param env the environment variables
 * @param out standard output: results
 * @param err standard error: errors
 * @param ownsJvm true when running as {@code main}: shutdown hooks may be installed
 */
record Cli(Map<String, String> env, PrintWriter out, PrintWriter err, boolean ownsJvm) {

  private static final Pattern SHORT_DURATION = Pattern.compile("(\\d{1,9})(ms|s|m|h|d)");

  /**
   * Parses a duration: {@code 500ms}, {@code 30s}, {@code 5m}, {@code 1h}, {@code 1d} or ISO-8601
   * such as {@code PT1M}.
   *
   * @param name the flag, for the message
   * @param value the text
   * @return the duration, not negative
   * @throws CliException (exit 2) when malformed
   */
  static Duration parseDuration(String name, String value) {
    String v = value.strip().toLowerCase(Locale.ROOT);
    Matcher m = SHORT_DURATION.matcher(v);
    Duration d = null;
    if (m.matches()) {
      long n = Long.parseLong(m.group(1));
      d =
          switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> Duration.ofDays(n);
          };
    } else if (v.startsWith("p")) {
      try {
        d = Duration.parse(v.toUpperCase(Locale.ROOT));
      } catch (DateTimeParseException e) {
        d = null;
      }
    }
    if (d == null || d.isNegative()) {
      throw new CliException(
          2, name + " must be a duration like 500ms, 30s, 5m, 1h, 1d or PT1M, was '" + value + "'");
    }
    return d;
  }

  /**
   * Text on one line, cut to at most {@code max} characters with {@code ...} when longer.
   *
   * @param text the text
   * @param max the most characters, at least 4
   * @return the excerpt
   */
  static String excerpt(String text, int max) {
    String oneLine = text.replaceAll("\\s+", " ");
    return oneLine.length() <= max ? oneLine : oneLine.substring(0, max - 3) + "...";
  }

  /** The options every database command shares. */
  static final class DatabaseOptions {
    @Option(
        names = "--database-url",
        paramLabel = "URL",
        description = "overrides DATABASE_URL (prefer the variable: flags show in ps)")
    String databaseUrl;

    @Option(
        names = "--schema",
        paramLabel = "NAME",
        description = "overrides QUEUE_SCHEMA: schema of the queue tables (default public)")
    String schema;

    @Option(
        names = "--log-level",
        paramLabel = "LEVEL",
        description = "overrides LOG_LEVEL: trace, debug, info, warn, error, off")
    String logLevel;

    Map<String, String> flags() {
      Map<String, String> flags = new HashMap<>();
      put(flags, Settings.DATABASE_URL, databaseUrl);
      put(flags, Settings.QUEUE_SCHEMA, schema);
      put(flags, Settings.LOG_LEVEL, logLevel);
      return flags;
    }
  }

  static void put(Map<String, String> flags, String name, String value) {
    if (value != null) {
      flags.put(name, value);
    }
  }

  /**
   * Parses the settings with these flags on top of the environment, and applies the log level.
   *
   * @param flags flag values keyed by environment name
   * @return the settings
   */
  Settings settings(Map<String, String> flags) {
    return applied(Settings.parse(env, flags));
  }

  /**
   * Like {@link #settings(Map)}, reading only the named variables of the environment: for a command
   * that uses a few settings, so that the others (a worker's SUPABASE_URL, say) neither stop it nor
   * change what it does.
   *
   * @param flags flag values keyed by environment name
   * @param variables the environment variables the command uses
   * @return the settings
   */
  Settings settings(Map<String, String> flags, Set<String> variables) {
    Map<String, String> used = new HashMap<>();
    for (String name : variables) {
      put(used, name, env.get(name));
    }
    return applied(Settings.parse(used, flags));
  }

  private static Settings applied(Settings settings) {
    Logging.setLevel(settings.logLevel());
    return settings;
  }

  /**
   * Opens the database and a queue on it (no embedded server: a short-lived command's embedded
   * database would vanish with it). The queue's pool is small: one command, few statements.
   *
   * @param options the shared flags
   * @return the open queue and its database
   */
  Opened openQueue(DatabaseOptions options) {
    Settings settings = settings(options.flags());
    Database db = Database.open(settings, env, false);
    JobQueue queue = db.queueBuilder().schema(settings.schema()).maxPoolSize(2).build();
    return new Opened(db, queue);
  }

  /**
   * A queue opened for one command.
   *
   * @param db the database
   * @param queue the queue
   */
  record Opened(Database db, JobQueue queue) implements AutoCloseable {
    @Override
    public void close() {
      queue.close();
      db.close();
    }
  }
}
