package dev.mobvibe.queue.spring;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The {@code mobvibe.queue.*} settings of the auto-configuration. Durations take Spring's forms
 * ({@code 10s}, {@code 500ms}, {@code PT1M}); a plain number is milliseconds, so the seed's {@code
 * POLL_INTERVAL_MS=10000} means the same as {@code mobvibe.queue.poll-interval=10000}. The values
 * are checked by the core builders when the beans are built, and a wrong one stops the start-up
 * with the setting's name. Bound once at start-up; not meant to be changed afterwards.
 */
@ConfigurationProperties(prefix = "mobvibe.queue")
public class MobVibeQueueProperties {

  /** Whether the queue is auto-configured at all. */
  private boolean enabled = true;

  /** Schema of the queue's tables (QUEUE_SCHEMA). */
  private String schema = "public";

  /** Whether the schema migrations are applied when the queue bean is created. */
  private boolean migrate = true;

  /**
   * How often the processor claims when nothing wakes it, and the tick of the queue's polling
   * notifier (POLL_INTERVAL_MS).
   */
  private Duration pollInterval = Duration.ofSeconds(10);

  /** How long one statement of the queue may run before the driver cancels it; 0 for no limit. */
  private Duration statementTimeout = Duration.ofSeconds(30);

  private final Processor processor = new Processor();
  private final Monitor monitor = new Monitor();
  private final Realtime realtime = new Realtime();
  private final Dashboard dashboard = new Dashboard();

  /** Creates the settings with every default. */
  public MobVibeQueueProperties() {}

  /**
   * Whether the queue is auto-configured. Default {@code true}.
   *
   * @return the flag
   */
  public boolean isEnabled() {
    return enabled;
  }

  /**
   * Sets whether the queue is auto-configured.
   *
   * @param enabled the flag
   */
  public void setEnabled(boolean enabled) {
    this.enabled = enabled;
  }

  /**
   * The schema of the queue's tables. Default {@code public}.
   *
   * @return the schema
   */
  public String getSchema() {
    return schema;
  }

  /**
   * Sets the schema of the queue's tables.
   *
   * @param schema a plain lower-case identifier
   */
  public void setSchema(String schema) {
    this.schema = schema;
  }

  /**
   * Whether migrations are applied at start-up. Default {@code true}.
   *
   * @return the flag
   */
  public boolean isMigrate() {
    return migrate;
  }

  /**
   * Sets whether migrations are applied at start-up.
   *
   * @param migrate the flag
   */
  public void setMigrate(boolean migrate) {
    this.migrate = migrate;
  }

  /**
   * The poll interval. Default 10 seconds.
   *
   * @return the interval
   */
  public Duration getPollInterval() {
    return pollInterval;
  }

  /**
   * Sets the poll interval.
   *
   * @param pollInterval a positive interval
   */
  public void setPollInterval(Duration pollInterval) {
    this.pollInterval = pollInterval;
  }

  /**
   * The statement timeout. Default 30 seconds.
   *
   * @return the timeout
   */
  public Duration getStatementTimeout() {
    return statementTimeout;
  }

  /**
   * Sets the statement timeout.
   *
   * @param statementTimeout zero or positive
   */
  public void setStatementTimeout(Duration statementTimeout) {
    this.statementTimeout = statementTimeout;
  }

  /**
   * The processor's settings ({@code mobvibe.queue.processor.*}).
   *
   * @return the settings
   */
  public Processor getProcessor() {
    return processor;
  }

  /**
   * The monitor's settings ({@code mobvibe.queue.monitor.*}).
   *
   * @return the settings
   */
  public Monitor getMonitor() {
    return monitor;
  }

  /**
   * The wake-up settings ({@code mobvibe.queue.realtime.*}).
   *
   * @return the settings
   */
  public Realtime getRealtime() {
    return realtime;
  }

  /**
   * The dashboard's settings ({@code mobvibe.queue.dashboard.*}).
   *
   * @return the settings
   */
  public Dashboard getDashboard() {
    return dashboard;
  }

  /** The {@code mobvibe.queue.processor.*} settings. */
  public static class Processor {

    /** Whether a processor runs the handler beans; false for an enqueue-only service. */
    private boolean enabled = true;

    /** Jobs this service runs at once (MAX_CONCURRENT_JOBS). */
    private int concurrency = 10;

    /**
     * On shutdown, how long running jobs may finish before they are cancelled
     * (SHUTDOWN_TIMEOUT_MS).
     */
    private Duration shutdownTimeout = Duration.ofSeconds(30);

    /** Lease on a claimed job, renewed while it runs (JOB_LEASE_MS). */
    private Duration leaseDuration = Duration.ofSeconds(60);

    /**
     * How long a lease must have been expired before it is reaped (REAP_GRACE_MS); unset: the lease
     * duration.
     */
    private Duration reapGrace;

    /** How long one attempt may run; 0 for no limit (JOB_TIMEOUT_MS). */
    private Duration jobTimeout = Duration.ofMinutes(30);

    /** Lease owner of this service's jobs (WORKER_ID); unset: host-pid-random. */
    private String workerId;

    /** Creates the settings with every default. */
    public Processor() {}

    /**
     * Whether the processor runs. Default {@code true}.
     *
     * @return the flag
     */
    public boolean isEnabled() {
      return enabled;
    }

    /**
     * Sets whether the processor runs.
     *
     * @param enabled the flag
     */
    public void setEnabled(boolean enabled) {
      this.enabled = enabled;
    }

    /**
     * Jobs run at once. Default 10.
     *
     * @return the concurrency
     */
    public int getConcurrency() {
      return concurrency;
    }

    /**
     * Sets the jobs run at once.
     *
     * @param concurrency 1 to 1,000
     */
    public void setConcurrency(int concurrency) {
      this.concurrency = concurrency;
    }

    /**
     * The shutdown timeout. Default 30 seconds.
     *
     * @return the timeout
     */
    public Duration getShutdownTimeout() {
      return shutdownTimeout;
    }

    /**
     * Sets the shutdown timeout.
     *
     * @param shutdownTimeout zero or positive
     */
    public void setShutdownTimeout(Duration shutdownTimeout) {
      this.shutdownTimeout = shutdownTimeout;
    }

    /**
     * The lease duration. Default 60 seconds.
     *
     * @return the lease
     */
    public Duration getLeaseDuration() {
      return leaseDuration;
    }

    /**
     * Sets the lease duration.
     *
     * @param leaseDuration at least 100 ms
     */
    public void setLeaseDuration(Duration leaseDuration) {
      this.leaseDuration = leaseDuration;
    }

    /**
     * The reap grace. Default unset: the lease duration.
     *
     * @return the grace, or {@code null}
     */
    public Duration getReapGrace() {
      return reapGrace;
    }

    /**
     * Sets the reap grace.
     *
     * @param reapGrace zero or positive, or {@code null} for the lease duration
     */
    public void setReapGrace(Duration reapGrace) {
      this.reapGrace = reapGrace;
    }

    /**
     * The job timeout. Default 30 minutes; zero means no limit.
     *
     * @return the timeout
     */
    public Duration getJobTimeout() {
      return jobTimeout;
    }

    /**
     * Sets the job timeout.
     *
     * @param jobTimeout positive, or zero for no limit
     */
    public void setJobTimeout(Duration jobTimeout) {
      this.jobTimeout = jobTimeout;
    }

    /**
     * The worker id. Default unset: host-pid-random.
     *
     * @return the id, or {@code null}
     */
    public String getWorkerId() {
      return workerId;
    }

    /**
     * Sets the worker id.
     *
     * @param workerId 1 to 100 characters: letters, digits, '.', '_', ':' or '-'
     */
    public void setWorkerId(String workerId) {
      this.workerId = workerId;
    }
  }

  /** The {@code mobvibe.queue.monitor.*} settings. */
  public static class Monitor {

    /** Whether a QueueMonitor reads the statistics (for the health indicator and the gauges). */
    private boolean enabled = true;

    /** How often the statistics are read and logged (MONITOR_INTERVAL_MS). */
    private Duration interval = Duration.ofSeconds(30);

    /** Creates the settings with every default. */
    public Monitor() {}

    /**
     * Whether the monitor runs. Default {@code true}.
     *
     * @return the flag
     */
    public boolean isEnabled() {
      return enabled;
    }

    /**
     * Sets whether the monitor runs.
     *
     * @param enabled the flag
     */
    public void setEnabled(boolean enabled) {
      this.enabled = enabled;
    }

    /**
     * The monitor interval. Default 30 seconds.
     *
     * @return the interval
     */
    public Duration getInterval() {
      return interval;
    }

    /**
     * Sets the monitor interval.
     *
     * @param interval at least 10 ms
     */
    public void setInterval(Duration interval) {
      this.interval = interval;
    }
  }

  /** The {@code mobvibe.queue.realtime.*} settings: which notifier wakes the processor. */
  public static class Realtime {

    /**
     * The wake-up source besides polling: none, pg (LISTEN/NOTIFY) or supabase (Supabase Realtime).
     * pg and supabase need mobvibe-queue-realtime on the class path.
     */
    private Notifier notifier = Notifier.NONE;

    /**
     * JDBC URL of the LISTEN connection (jdbc:postgresql:// or postgresql://user:pass@host/db),
     * direct or session-pooled; unset: spring.datasource.url.
     */
    private String pgUrl;

    /** User of the LISTEN connection; unset: spring.datasource.username. */
    private String pgUsername;

    /** Password of the LISTEN connection; unset: spring.datasource.password. */
    private String pgPassword;

    /** Supabase project URL (SUPABASE_URL). */
    private String supabaseUrl;

    /** Supabase service role key (SUPABASE_SERVICE_ROLE_KEY). Never logged. */
    private String supabaseServiceRoleKey;

    /** Creates the settings with every default. */
    public Realtime() {}

    /**
     * The notifier. Default {@link Notifier#NONE}.
     *
     * @return the notifier
     */
    public Notifier getNotifier() {
      return notifier;
    }

    /**
     * Sets the notifier.
     *
     * @param notifier the notifier
     */
    public void setNotifier(Notifier notifier) {
      this.notifier = notifier;
    }

    /**
     * The LISTEN connection's URL. Default unset.
     *
     * @return the URL, or {@code null}
     */
    public String getPgUrl() {
      return pgUrl;
    }

    /**
     * Sets the LISTEN connection's URL.
     *
     * @param pgUrl the URL
     */
    public void setPgUrl(String pgUrl) {
      this.pgUrl = pgUrl;
    }

    /**
     * The LISTEN connection's user. Default unset.
     *
     * @return the user, or {@code null}
     */
    public String getPgUsername() {
      return pgUsername;
    }

    /**
     * Sets the LISTEN connection's user.
     *
     * @param pgUsername the user
     */
    public void setPgUsername(String pgUsername) {
      this.pgUsername = pgUsername;
    }

    /**
     * The LISTEN connection's password. Default unset.
     *
     * @return the password, or {@code null}
     */
    public String getPgPassword() {
      return pgPassword;
    }

    /**
     * Sets the LISTEN connection's password.
     *
     * @param pgPassword the password
     */
    public void setPgPassword(String pgPassword) {
      this.pgPassword = pgPassword;
    }

    /**
     * The Supabase project URL. Default unset.
     *
     * @return the URL, or {@code null}
     */
    public String getSupabaseUrl() {
      return supabaseUrl;
    }

    /**
     * Sets the Supabase project URL.
     *
     * @param supabaseUrl the URL
     */
    public void setSupabaseUrl(String supabaseUrl) {
      this.supabaseUrl = supabaseUrl;
    }

    /**
     * The Supabase service role key. Default unset.
     *
     * @return the key, or {@code null}
     */
    public String getSupabaseServiceRoleKey() {
      return supabaseServiceRoleKey;
    }

    /**
     * Sets the Supabase service role key.
     *
     * @param supabaseServiceRoleKey the key
     */
    public void setSupabaseServiceRoleKey(String supabaseServiceRoleKey) {
      this.supabaseServiceRoleKey = supabaseServiceRoleKey;
    }
  }

  /**
   * The {@code mobvibe.queue.dashboard.*} settings: the web dashboard of {@code
   * mobvibe-queue-dashboard}, served by the application's servlet container. The defaults are the
   * dashboard's own.
   */
  public static class Dashboard {

    /**
     * Whether the dashboard is served; needs mobvibe-queue-dashboard on the class path, a servlet
     * web application and a token.
     */
    private boolean enabled = false;

    /**
     * Where the dashboard is served, below the servlet context path: starts with '/', no trailing
     * slash; letters, digits, '-', '_', '.' and '/'.
     */
    private String path = "/dashboard";

    /**
     * The secret that opens the dashboard (DASHBOARD_TOKEN): at least 16 characters, no whitespace;
     * required when the dashboard is enabled. Never logged.
     */
    private String token;

    /** How often the overview page fetches new figures: 500 ms to 10 minutes. */
    private Duration refreshInterval = Duration.ofSeconds(5);

    /** Creates the settings with every default. */
    public Dashboard() {}

    /**
     * Whether the dashboard is served. Default {@code false}.
     *
     * @return the flag
     */
    public boolean isEnabled() {
      return enabled;
    }

    /**
     * Sets whether the dashboard is served.
     *
     * @param enabled the flag
     */
    public void setEnabled(boolean enabled) {
      this.enabled = enabled;
    }

    /**
     * The dashboard's path below the servlet context path. Default {@code /dashboard}.
     *
     * @return the path
     */
    public String getPath() {
      return path;
    }

    /**
     * Sets the dashboard's path.
     *
     * @param path for example {@code /ops/queue}; not {@code /}, which the application's own
     *     servlet serves
     */
    public void setPath(String path) {
      this.path = path;
    }

    /**
     * The dashboard's token. Default unset.
     *
     * @return the token, or {@code null}
     */
    public String getToken() {
      return token;
    }

    /**
     * Sets the dashboard's token.
     *
     * @param token at least 16 characters, no whitespace
     */
    public void setToken(String token) {
      this.token = token;
    }

    /**
     * How often the overview refreshes. Default 5 seconds.
     *
     * @return the interval
     */
    public Duration getRefreshInterval() {
      return refreshInterval;
    }

    /**
     * Sets how often the overview refreshes.
     *
     * @param refreshInterval 500 ms to 10 minutes
     */
    public void setRefreshInterval(Duration refreshInterval) {
      this.refreshInterval = refreshInterval;
    }
  }

  /** The wake-up sources of {@code mobvibe.queue.realtime.notifier}. */
  public enum Notifier {
    /** Polling only. */
    NONE,
    /** PostgreSQL LISTEN/NOTIFY on a dedicated connection ({@code PgNotifier}). */
    PG,
    /** Supabase Realtime ({@code SupabaseRealtimeNotifier}). */
    SUPABASE
  }
}
