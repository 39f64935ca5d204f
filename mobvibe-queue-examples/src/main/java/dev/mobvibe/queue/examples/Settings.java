package dev.mobvibe.queue.examples;

import dev.mobvibe.queue.DatabaseUrl;
import dev.mobvibe.queue.JobProcessor;
import dev.mobvibe.queue.dashboard.Dashboard;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The worker's configuration: the seed service's environment variables, each overridable by a flag,
 * parsed and checked in one place. A missing or malformed setting throws {@link Invalid} with one
 * line that names the setting and, unless it is a secret, the bad value.
 *
 * <p>Blank values count as unset (container environments often pass {@code NAME=}). Settings that
 * only one command uses are checked by that command: {@code SUPABASE_URL} when the Realtime
 * notifier is built ({@link #realtimeUrl()}), so a project URL meant for something else never stops
 * {@code stats} or {@code enqueue}. Immutable; {@link #toString()} never shows the service role
 * key, the database password, or credentials and query parameters in {@code SUPABASE_URL}.
 */
public final class Settings {

  static final String DATABASE_URL = "DATABASE_URL";
  static final String SUPABASE_URL = "SUPABASE_URL";
  static final String SUPABASE_SERVICE_ROLE_KEY = "SUPABASE_SERVICE_ROLE_KEY";
  static final String POLL_INTERVAL_MS = "POLL_INTERVAL_MS";
  static final String MONITOR_INTERVAL_MS = "MONITOR_INTERVAL_MS";
  static final String MAX_CONCURRENT_JOBS = "MAX_CONCURRENT_JOBS";
  static final String SHUTDOWN_TIMEOUT_MS = "SHUTDOWN_TIMEOUT_MS";
  static final String HEALTH_CHECK_PORT = "HEALTH_CHECK_PORT";
  static final String HEALTH_BIND_ADDRESS = "HEALTH_BIND_ADDRESS";
  static final String LOG_LEVEL = "LOG_LEVEL";
  static final String JOB_LEASE_MS = "JOB_LEASE_MS";
  static final String REAP_GRACE_MS = "REAP_GRACE_MS";
  static final String JOB_TIMEOUT_MS = "JOB_TIMEOUT_MS";
  static final String FAIRNESS_BOUND_MS = "FAIRNESS_BOUND_MS";
  static final String MAX_RUNNING_SESSIONS = "MAX_RUNNING_SESSIONS";
  static final String QUEUE_SCHEMA = "QUEUE_SCHEMA";
  static final String WORKER_ID = "WORKER_ID";
  static final String RETENTION_FINISHED_HOURS = "RETENTION_FINISHED_HOURS";
  static final String RETENTION_DEAD_LETTER_HOURS = "RETENTION_DEAD_LETTER_HOURS";
  static final String DASHBOARD_TOKEN = "DASHBOARD_TOKEN";
  static final String DASHBOARD_BIND = "DASHBOARD_BIND";

  /**
   * The flag that overrides each setting, named with it in every error. Defaults and meanings are
   * in the README's settings table and in the getters.
   */
  private static final Map<String, String> FLAGS =
      Map.ofEntries(
          Map.entry(DATABASE_URL, "--database-url"),
          Map.entry(SUPABASE_URL, "--supabase-url"),
          Map.entry(SUPABASE_SERVICE_ROLE_KEY, "--supabase-service-role-key"),
          Map.entry(POLL_INTERVAL_MS, "--poll-interval-ms"),
          Map.entry(MONITOR_INTERVAL_MS, "--monitor-interval-ms"),
          Map.entry(MAX_CONCURRENT_JOBS, "--max-concurrent-jobs"),
          Map.entry(SHUTDOWN_TIMEOUT_MS, "--shutdown-timeout-ms"),
          Map.entry(HEALTH_CHECK_PORT, "--health-check-port"),
          Map.entry(HEALTH_BIND_ADDRESS, "--health-bind-address"),
          Map.entry(LOG_LEVEL, "--log-level"),
          Map.entry(JOB_LEASE_MS, "--job-lease-ms"),
          Map.entry(REAP_GRACE_MS, "--reap-grace-ms"),
          Map.entry(JOB_TIMEOUT_MS, "--job-timeout-ms"),
          Map.entry(FAIRNESS_BOUND_MS, "--fairness-bound-ms"),
          Map.entry(MAX_RUNNING_SESSIONS, "--max-running-sessions"),
          Map.entry(QUEUE_SCHEMA, "--schema"),
          Map.entry(WORKER_ID, "--worker-id"),
          Map.entry(RETENTION_FINISHED_HOURS, "--retention-finished-hours"),
          Map.entry(RETENTION_DEAD_LETTER_HOURS, "--retention-dead-letter-hours"));

  private static final Pattern SCHEMA = Pattern.compile("[a-z_][a-z0-9_]{0,62}");
  private static final Pattern WORKER = Pattern.compile("[A-Za-z0-9._:-]{1,100}");

  /** An IP address (IPv6 in brackets or not, with a zone) or a host name; resolved at bind. */
  private static final Pattern ADDRESS = Pattern.compile("[A-Za-z0-9._:%\\[\\]-]{1,255}");

  /**
   * Default HEALTH_BIND_ADDRESS: every interface, since an orchestrator's probes (Kubernetes, a
   * load balancer) come from outside the container.
   */
  static final String DEFAULT_HEALTH_BIND_ADDRESS = "0.0.0.0";

  /** Where the {@code dashboard} command listens unless told: this machine only. */
  static final String DEFAULT_DASHBOARD_BIND = "127.0.0.1";

  private static final List<String> LEVELS =
      List.of("trace", "debug", "info", "warn", "error", "off");

  private final String databaseUrl;
  private final String supabaseUrl;
  private final String supabaseUrlLabel;
  private final String supabaseServiceRoleKey;
  private final Duration pollInterval;
  private final Duration monitorInterval;
  private final int maxConcurrentJobs;
  private final Duration shutdownTimeout;
  private final int healthCheckPort;
  private final String healthBindAddress;
  private final String logLevel;
  private final Duration jobLease;
  private final Duration reapGrace;
  private final Duration jobTimeout;
  private final Duration fairnessBound;
  private final int maxRunningSessions;
  private final String schema;
  private final String workerId;
  private final Duration retentionFinished;
  private final Duration retentionDeadLetters;
  private final String dashboardToken;
  private final String dashboardBind;

  private Settings(Reader r) {
    this.databaseUrl = r.databaseUrl();
    this.supabaseUrl = r.raw(SUPABASE_URL);
    this.supabaseUrlLabel = r.label(SUPABASE_URL);
    this.supabaseServiceRoleKey = r.secret(SUPABASE_SERVICE_ROLE_KEY);
    this.pollInterval = Duration.ofMillis(r.integer(POLL_INTERVAL_MS, 10_000, 10, 3_600_000));
    this.monitorInterval =
        Duration.ofMillis(r.integer(MONITOR_INTERVAL_MS, 30_000, 10, 86_400_000));
    this.maxConcurrentJobs = (int) r.integer(MAX_CONCURRENT_JOBS, 10, 1, 1000);
    this.shutdownTimeout = Duration.ofMillis(r.integer(SHUTDOWN_TIMEOUT_MS, 30_000, 0, 3_600_000));
    this.healthCheckPort = (int) r.integer(HEALTH_CHECK_PORT, 8080, 0, 65_535);
    this.healthBindAddress =
        r.pattern(
            HEALTH_BIND_ADDRESS,
            DEFAULT_HEALTH_BIND_ADDRESS,
            ADDRESS,
            "an IP address (0.0.0.0: every interface; 127.0.0.1: this machine only) or a host name");
    this.logLevel = r.logLevel();
    this.jobLease = Duration.ofMillis(r.integer(JOB_LEASE_MS, 60_000, 100, 86_400_000));
    this.reapGrace =
        Duration.ofMillis(r.integer(REAP_GRACE_MS, (int) jobLease.toMillis(), 0, 86_400_000));
    long timeout = r.integer(JOB_TIMEOUT_MS, 1_800_000, 0, 604_800_000);
    this.jobTimeout = timeout == 0 ? null : Duration.ofMillis(timeout);
    long fairness =
        r.integer(
            FAIRNESS_BOUND_MS, JobProcessor.DEFAULT_FAIRNESS_BOUND.toMillis(), 0, 604_800_000);
    this.fairnessBound = fairness == 0 ? null : Duration.ofMillis(fairness);
    this.maxRunningSessions = (int) r.integer(MAX_RUNNING_SESSIONS, 0, 0, 1_000_000);
    this.schema = r.pattern(QUEUE_SCHEMA, "public", SCHEMA, "a lower-case SQL identifier");
    this.workerId =
        r.pattern(
            WORKER_ID, null, WORKER, "1 to 100 letters, digits, '.', '_', ':' or '-' characters");
    this.dashboardToken = r.secret(DASHBOARD_TOKEN);
    if (dashboardToken != null && dashboardToken.length() < Dashboard.MIN_TOKEN_LENGTH) {
      throw new Invalid(
          r.label(DASHBOARD_TOKEN)
              + " must be at least "
              + Dashboard.MIN_TOKEN_LENGTH
              + " characters (value not shown)");
    }
    this.dashboardBind =
        r.pattern(
            DASHBOARD_BIND,
            DEFAULT_DASHBOARD_BIND,
            ADDRESS,
            "an IP address (127.0.0.1: this machine only; 0.0.0.0: every interface) or a host name");
    this.retentionFinished = hours(r.integer(RETENTION_FINISHED_HOURS, 168, 0, 87_600));
    this.retentionDeadLetters = hours(r.integer(RETENTION_DEAD_LETTER_HOURS, 720, 0, 87_600));
  }

  private static Duration hours(long hours) {
    return hours == 0 ? null : Duration.ofHours(hours);
  }

  /**
   * Parses the environment alone.
   *
   * @param env the environment, for example {@link System#getenv()}
   * @return the settings
   * @throws Invalid naming the first setting that is missing or malformed
   */
  public static Settings parse(Map<String, String> env) {
    return parse(env, Map.of());
  }

  /**
   * Parses the environment with flag values on top: a flag given on the command line wins over the
   * environment variable of the same setting.
   *
   * @param env the environment
   * @param flags flag values keyed by the setting's environment name; null values are ignored
   * @return the settings
   * @throws Invalid naming the first setting that is missing or malformed
   */
  public static Settings parse(Map<String, String> env, Map<String, String> flags) {
    return new Settings(new Reader(env, flags));
  }

  /**
   * The database URL as given, if set.
   *
   * @return the URL (may hold a password: never log it unredacted)
   */
  public Optional<String> databaseUrl() {
    return Optional.ofNullable(databaseUrl);
  }

  /**
   * The Supabase project URL as given, if set; not checked (see {@link #realtimeUrl()}).
   *
   * @return the URL (may carry credentials: log {@link #redactUrl(String)} of it)
   */
  public Optional<String> supabaseUrl() {
    return Optional.ofNullable(supabaseUrl);
  }

  /**
   * The Supabase project URL, checked for the Realtime notifier: an {@code https://} or {@code
   * wss://} URL with a host, or plain {@code http://} or {@code ws://} (the Realtime client warns
   * when that leaves this machine). Called only by what uses Realtime.
   *
   * @return the URL as given
   * @throws Invalid naming SUPABASE_URL (or its flag) when it is unset or not such a URL; the value
   *     is shown without credentials or query
   */
  public String realtimeUrl() {
    if (supabaseUrl == null) {
      throw new Invalid(supabaseUrlLabel + " is required for the Supabase Realtime notifier");
    }
    String problem = null;
    try {
      URI uri = new URI(supabaseUrl);
      String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
      if (!Set.of("https", "wss", "http", "ws").contains(scheme)) {
        problem = "must start with https:// or wss:// (http:// or ws:// on a private network)";
      } else if (uri.getHost() == null || uri.getHost().isEmpty()) {
        problem = "must name a host";
      }
    } catch (URISyntaxException e) {
      problem = "is not a URL";
    }
    if (problem != null) {
      throw new Invalid(
          supabaseUrlLabel
              + " "
              + problem
              + ", was '"
              + Cli.excerpt(redactUrl(supabaseUrl), 60)
              + "'");
    }
    return supabaseUrl;
  }

  /**
   * A URL as it is safe to show: user info becomes {@code ***@} and a query or fragment {@code
   * ?***}. It parses nothing, so it serves malformed values too; when unsure it hides more (from
   * the last {@code @}, since a password may hold {@code /} unencoded).
   *
   * @param url any URL, or null
   * @return the URL without credentials or tokens, or null for null
   */
  static String redactUrl(String url) {
    if (url == null) {
      return null;
    }
    String s = url.strip();
    int scheme = s.indexOf("//");
    int authority = scheme < 0 ? 0 : scheme + 2;
    int at = s.lastIndexOf('@');
    if (at >= authority) {
      s = s.substring(0, authority) + "***@" + s.substring(at + 1);
    }
    for (int i = authority; i < s.length(); i++) {
      if (s.charAt(i) == '?' || s.charAt(i) == '#') {
        return s.substring(0, i) + "?***";
      }
    }
    return s;
  }

  /**
   * The Supabase service role key, if set. A secret: never log it.
   *
   * @return the key
   */
  public Optional<String> supabaseServiceRoleKey() {
    return Optional.ofNullable(supabaseServiceRoleKey);
  }

  /**
   * The poll interval (POLL_INTERVAL_MS, default 10 s).
   *
   * @return the interval
   */
  public Duration pollInterval() {
    return pollInterval;
  }

  /**
   * The monitor interval (MONITOR_INTERVAL_MS, default 30 s).
   *
   * @return the interval
   */
  public Duration monitorInterval() {
    return monitorInterval;
  }

  /**
   * Jobs run at once (MAX_CONCURRENT_JOBS, default 10).
   *
   * @return the concurrency
   */
  public int maxConcurrentJobs() {
    return maxConcurrentJobs;
  }

  /**
   * The shutdown timeout (SHUTDOWN_TIMEOUT_MS, default 30 s).
   *
   * @return the timeout
   */
  public Duration shutdownTimeout() {
    return shutdownTimeout;
  }

  /**
   * The health port (HEALTH_CHECK_PORT, default 8080; 0 for any free port).
   *
   * @return the port
   */
  public int healthCheckPort() {
    return healthCheckPort;
  }

  /**
   * The address of the health endpoint (HEALTH_BIND_ADDRESS, default {@value
   * #DEFAULT_HEALTH_BIND_ADDRESS}: every interface).
   *
   * @return an IP address or a host name, as given
   */
  public String healthBindAddress() {
    return healthBindAddress;
  }

  /**
   * The log level (LOG_LEVEL, default info), lower case.
   *
   * @return the level
   */
  public String logLevel() {
    return logLevel;
  }

  /**
   * The lease on claimed jobs (JOB_LEASE_MS, default 60 s).
   *
   * @return the lease
   */
  public Duration jobLease() {
    return jobLease;
  }

  /**
   * How long a lease must have been expired before it is reaped (REAP_GRACE_MS, default the lease).
   *
   * @return the grace
   */
  public Duration reapGrace() {
    return reapGrace;
  }

  /**
   * The job timeout (JOB_TIMEOUT_MS, default 30 min).
   *
   * @return the timeout, or empty when JOB_TIMEOUT_MS is 0
   */
  public Optional<Duration> jobTimeout() {
    return Optional.ofNullable(jobTimeout);
  }

  /**
   * How long a lower-tier job may wait before it goes ahead of higher tiers (FAIRNESS_BOUND_MS,
   * default 5 min).
   *
   * @return the bound, or empty when FAIRNESS_BOUND_MS is 0 (strict priority order)
   */
  public Optional<Duration> fairnessBound() {
    return Optional.ofNullable(fairnessBound);
  }

  /**
   * The most coding sessions running at once across every worker (MAX_RUNNING_SESSIONS, default 0:
   * no limit).
   *
   * @return the limit, 0 for none
   */
  public int maxRunningSessions() {
    return maxRunningSessions;
  }

  /**
   * The queue schema (QUEUE_SCHEMA, default public).
   *
   * @return the schema
   */
  public String schema() {
    return schema;
  }

  /**
   * The worker id (WORKER_ID), if set.
   *
   * @return the id
   */
  public Optional<String> workerId() {
    return Optional.ofNullable(workerId);
  }

  /**
   * How long the worker keeps completed and cancelled jobs (RETENTION_FINISHED_HOURS, default 168:
   * 7 days).
   *
   * @return the age past which they are deleted, or empty when RETENTION_FINISHED_HOURS is 0
   */
  public Optional<Duration> retentionFinished() {
    return Optional.ofNullable(retentionFinished);
  }

  /**
   * How long the worker keeps dead letters, failed jobs (RETENTION_DEAD_LETTER_HOURS, default 720:
   * 30 days).
   *
   * @return the age past which they are deleted, or empty when RETENTION_DEAD_LETTER_HOURS is 0
   */
  public Optional<Duration> retentionDeadLetters() {
    return Optional.ofNullable(retentionDeadLetters);
  }

  /**
   * The dashboard's token (DASHBOARD_TOKEN), if set: then the worker serves the dashboard at {@code
   * /dashboard} on its health port. A secret: never log it.
   *
   * @return the token
   */
  public Optional<String> dashboardToken() {
    return Optional.ofNullable(dashboardToken);
  }

  /**
   * Where the {@code dashboard} command listens (DASHBOARD_BIND, default 127.0.0.1).
   *
   * @return the address
   */
  public String dashboardBind() {
    return dashboardBind;
  }

  @Override
  public String toString() {
    return "Settings[databaseUrl="
        + (databaseUrl == null ? "(unset)" : DatabaseUrl.redact(databaseUrl))
        + ", supabaseUrl="
        + (supabaseUrl == null ? "(unset)" : redactUrl(supabaseUrl))
        + ", supabaseServiceRoleKey="
        + (supabaseServiceRoleKey == null ? "(unset)" : "***")
        + ", pollIntervalMs="
        + pollInterval.toMillis()
        + ", monitorIntervalMs="
        + monitorInterval.toMillis()
        + ", maxConcurrentJobs="
        + maxConcurrentJobs
        + ", shutdownTimeoutMs="
        + shutdownTimeout.toMillis()
        + ", healthCheckPort="
        + healthCheckPort
        + ", healthBindAddress="
        + healthBindAddress
        + ", logLevel="
        + logLevel
        + ", jobLeaseMs="
        + jobLease.toMillis()
        + ", reapGraceMs="
        + reapGrace.toMillis()
        + ", jobTimeoutMs="
        + (jobTimeout == null ? 0 : jobTimeout.toMillis())
        + ", schema="
        + schema
        + ", workerId="
        + (workerId == null ? "(default)" : workerId)
        + ", retentionFinishedHours="
        + (retentionFinished == null ? 0 : retentionFinished.toHours())
        + ", retentionDeadLetterHours="
        + (retentionDeadLetters == null ? 0 : retentionDeadLetters.toHours())
        + ", dashboardToken="
        + (dashboardToken == null ? "(unset)" : "***")
        + ", dashboardBind="
        + dashboardBind
        + "]";
  }

  /**
   * A missing or malformed setting. Its message is one line that names the setting, fit to print
   * after {@code error: }; it never holds a secret. The CLI exits with code 2.
   */
  public static final class Invalid extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message one line naming the setting
     */
    public Invalid(String message) {
      super(message);
    }
  }

  /** Reads raw values, flags first, and turns bad ones into {@link Invalid}. */
  private static final class Reader {
    private final Map<String, String> env;
    private final Map<String, String> flags;

    Reader(Map<String, String> env, Map<String, String> flags) {
      this.env = env;
      this.flags = flags;
    }

    /** The raw value, or null when unset or blank. */
    String raw(String name) {
      String value = flags.get(name);
      if (value == null || value.isBlank()) {
        value = env.get(name);
      }
      return value == null || value.isBlank() ? null : value.strip();
    }

    /** The setting's name as the user gave it: the flag when a flag set it. */
    String label(String name) {
      String flag = flags.get(name);
      if (flag != null && !flag.isBlank()) {
        return FLAGS.get(name) + " (" + name + ")";
      }
      return name;
    }

    long integer(String name, long defaultValue, long min, long max) {
      String value = raw(name);
      if (value == null) {
        return defaultValue;
      }
      long parsed;
      try {
        parsed = Long.parseLong(value.replace("_", ""));
      } catch (NumberFormatException e) {
        parsed = Long.MIN_VALUE;
      }
      if (parsed < min || parsed > max) {
        throw new Invalid(
            label(name)
                + " must be an integer between "
                + min
                + " and "
                + max
                + ", was '"
                + shorten(value)
                + "'");
      }
      return parsed;
    }

    String logLevel() {
      String value = raw(LOG_LEVEL);
      if (value == null) {
        return "info";
      }
      String lower = value.toLowerCase(Locale.ROOT);
      if (lower.equals("warning")) {
        return "warn";
      }
      if (!LEVELS.contains(lower)) {
        throw new Invalid(
            label(LOG_LEVEL)
                + " must be one of "
                + String.join(", ", LEVELS)
                + ", was '"
                + shorten(value)
                + "'");
      }
      return lower;
    }

    String pattern(String name, String defaultValue, Pattern pattern, String what) {
      String value = raw(name);
      if (value == null) {
        return defaultValue;
      }
      if (!pattern.matcher(value).matches()) {
        throw new Invalid(label(name) + " must be " + what + ", was '" + shorten(value) + "'");
      }
      return value;
    }

    String databaseUrl() {
      String value = raw(DATABASE_URL);
      if (value == null) {
        return null;
      }
      try {
        DatabaseUrl.parse(value);
      } catch (IllegalArgumentException e) {
        // DatabaseUrl's messages redact the password already.
        throw new Invalid(label(DATABASE_URL) + " is not usable: " + e.getMessage());
      }
      return value;
    }

    String secret(String name) {
      String value = raw(name);
      if (value == null) {
        return null;
      }
      if (value.chars().anyMatch(Character::isWhitespace)) {
        throw new Invalid(label(name) + " must not contain whitespace (value not shown)");
      }
      return value;
    }

    private static String shorten(String value) {
      return Cli.excerpt(value, 60);
    }
  }
}
