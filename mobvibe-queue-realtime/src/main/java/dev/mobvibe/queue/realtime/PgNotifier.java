package dev.mobvibe.queue.realtime;

import dev.mobvibe.queue.DatabaseUrl;
import dev.mobvibe.queue.JobNotifier;
import dev.mobvibe.queue.JobSignal;
import dev.mobvibe.queue.NotifierState;
import dev.mobvibe.queue.RetryPolicy;
import dev.mobvibe.queue.Subscription;
import dev.mobvibe.queue.realtime.internal.PgListener;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Properties;
import java.util.function.Consumer;

/**
 * A {@link JobNotifier} on PostgreSQL {@code LISTEN/NOTIFY}: the fastest wake-up. It holds one
 * dedicated connection per notifier (not one borrowed from the job pool), runs {@code LISTEN
 * new_job} on it, and turns each notification of the schema's insert trigger into a {@link
 * JobSignal.Source#NOTIFICATION} signal with the job's id, session and priority. It waits with
 * pgjdbc's blocking {@code getNotifications(timeout)}, so an idle notifier sends nothing but a
 * health-check {@code SELECT 1} every {@link #DEFAULT_HEALTH_CHECK_INTERVAL 30 s}.
 *
 * <pre>{@code
 * try (PgNotifier notifier = PgNotifier.builder()
 *         .jdbcUrl(System.getenv("DATABASE_URL"))   // jdbc:postgresql://... or postgresql://user:pass@host/db
 *         .build()) {
 *   JobProcessor processor = JobProcessor.builder(queue, handler).notifier(notifier).build();
 *   processor.start();
 *   notifier.subscribeToStatusChanges(c -> ui.push(c.jobId(), c.newStatus()));
 *   ...
 * }
 * }</pre>
 *
 * <p>When the connection drops (server restart, {@code pg_terminate_backend}, network cut found by
 * the health check) it reconnects with capped exponential backoff and jitter, listens again, and
 * sends one {@link JobSignal.Source#RECONNECT} signal so jobs inserted meanwhile are claimed at
 * once. It sends that signal after the first {@code LISTEN} too. State: {@link NotifierState#IDLE}
 * until the first subscription, then {@link NotifierState#CONNECTING}, {@link
 * NotifierState#LISTENING}, {@link NotifierState#RECONNECTING} while the connection is down, and
 * {@link NotifierState#CLOSED}; each change is logged once, not each retry.
 *
 * <p>Limits: it needs a direct connection or a session-mode pooler. Behind a transaction-mode
 * pooler (PgBouncer {@code pool_mode=transaction}, Supabase's port 6543) {@code LISTEN} is accepted
 * but notifications never arrive: use the direct port (5432) or {@link SupabaseRealtimeNotifier}.
 * Notifications sent while it is reconnecting are lost; the catch-up signal and polling cover them.
 *
 * <p>Thread-safe. It owns one daemon thread, {@value #THREAD_NAME}, which calls every listener:
 * listeners must return quickly.
 */
public final class PgNotifier implements JobNotifier {

  /** The listener thread's name. */
  public static final String THREAD_NAME = PgListener.THREAD_NAME;

  /** Default {@code ApplicationName} of connections opened from a URL: {@code mobvibe-listener}. */
  public static final String DEFAULT_APPLICATION_NAME = "mobvibe-listener";

  /** Default health-check interval: 30 seconds. */
  public static final Duration DEFAULT_HEALTH_CHECK_INTERVAL = Duration.ofSeconds(30);

  /** Default reconnect backoff: exponential from 500 ms, factor 2, capped at 30 s, full jitter. */
  public static final RetryPolicy DEFAULT_RECONNECT_POLICY =
      RetryPolicy.exponential(Duration.ofMillis(500), 2.0, Duration.ofSeconds(30));

  /** Opens the notifier's dedicated connection. */
  @FunctionalInterface
  public interface ConnectionFactory {
    /**
     * Opens a new connection to the queue's database. The notifier owns it and closes it.
     *
     * @return a new PostgreSQL (pgjdbc) connection, direct or through a session-mode pooler
     * @throws SQLException when the database cannot be reached
     */
    Connection open() throws SQLException;
  }

  private final PgListener listener;
  private final String target;

  private PgNotifier(PgListener listener, String target) {
    this.listener = listener;
    this.target = target;
  }

  /**
   * Starts the options of a notifier.
   *
   * @return a builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Registers a listener for job signals; the first listener of either kind starts the thread. A
   * listener that throws is logged and does not stop deliveries.
   *
   * @param listener called on {@value #THREAD_NAME}; must not block
   * @return a handle that unsubscribes the listener
   * @throws NullPointerException if the listener is null
   * @throws IllegalStateException if the notifier is closed
   */
  @Override
  public Subscription subscribe(Consumer<JobSignal> listener) {
    return this.listener.subscribe(listener);
  }

  /**
   * Registers a listener for job status changes (the {@code job_status_changed} notifications), for
   * example to push progress to a UI. The notifier listens on that channel only while at least one
   * such listener is registered; the {@code LISTEN} takes effect within half a second, and changes
   * committed before it, or while the connection is down, are not delivered.
   *
   * @param listener called on {@value #THREAD_NAME}; must not block
   * @return a handle that unsubscribes the listener
   * @throws NullPointerException if the listener is null
   * @throws IllegalStateException if the notifier is closed
   */
  public Subscription subscribeToStatusChanges(Consumer<JobStatusChange> listener) {
    return this.listener.subscribeToStatusChanges(listener);
  }

  /**
   * Returns the state: {@code IDLE} before the first subscription, {@code CONNECTING} until the
   * first {@code LISTEN}, {@code LISTENING}, {@code RECONNECTING} while the connection is down,
   * {@code CLOSED} after {@link #close()}.
   *
   * @return the state
   */
  @Override
  public NotifierState state() {
    return listener.state();
  }

  /**
   * Stops the thread and closes the connection: a blocking wait ends at once, and the call waits up
   * to ten seconds for the thread (longer only if a connect attempt hangs). Drops the listeners.
   * Idempotent.
   */
  @Override
  public void close() {
    listener.close();
  }

  int backendPid() {
    return listener.backendPid();
  }

  boolean statusChangesActive() {
    return listener.statusChangesActive();
  }

  Thread thread() {
    return listener.thread();
  }

  @Override
  public String toString() {
    return "PgNotifier[" + target + ", " + state() + "]";
  }

  /**
   * The options of a {@link PgNotifier}: a JDBC URL (with optional user and password) or a
   * connection factory. {@link #build()} checks them. Not thread-safe.
   */
  public static final class Builder {
    private String jdbcUrl;
    private String username;
    private String password;
    private ConnectionFactory connectionFactory;
    private String applicationName = DEFAULT_APPLICATION_NAME;
    private RetryPolicy reconnectPolicy = DEFAULT_RECONNECT_POLICY;
    private Duration healthCheckInterval = DEFAULT_HEALTH_CHECK_INTERVAL;

    private Builder() {}

    /**
     * Sets the database URL: {@code jdbc:postgresql://host:port/db?...} or the {@code
     * postgresql://user:password@host:port/db} form Supabase shows, read by {@link
     * DatabaseUrl#parse(String)}. Use the direct port, not a transaction pooler.
     *
     * @param jdbcUrl the URL
     * @return this builder
     */
    public Builder jdbcUrl(String jdbcUrl) {
      this.jdbcUrl = jdbcUrl;
      return this;
    }

    /**
     * Sets the user, overriding the URL's.
     *
     * @param username the user
     * @return this builder
     */
    public Builder username(String username) {
      this.username = username;
      return this;
    }

    /**
     * Sets the password, overriding the URL's. Never logged.
     *
     * @param password the password
     * @return this builder
     */
    public Builder password(String password) {
      this.password = password;
      return this;
    }

    /**
     * Opens connections with your factory instead of a URL, for example {@code
     * dataSource::getConnection} of a small dedicated pool. Each connection is held for as long as
     * it stays healthy, so do not hand out connections of the job pool.
     *
     * @param connectionFactory the factory
     * @return this builder
     */
    public Builder connectionFactory(ConnectionFactory connectionFactory) {
      this.connectionFactory = connectionFactory;
      return this;
    }

    /**
     * Sets the {@code ApplicationName} of connections opened from the URL, which shows in {@code
     * pg_stat_activity}. Default {@link #DEFAULT_APPLICATION_NAME}.
     *
     * @param applicationName the name
     * @return this builder
     */
    public Builder applicationName(String applicationName) {
      this.applicationName = applicationName;
      return this;
    }

    /**
     * Sets the delay before reconnect try n. Default {@link #DEFAULT_RECONNECT_POLICY}.
     *
     * @param reconnectPolicy the policy
     * @return this builder
     */
    public Builder reconnectPolicy(RetryPolicy reconnectPolicy) {
      this.reconnectPolicy = reconnectPolicy;
      return this;
    }

    /**
     * Sets how often the idle connection is checked with {@code SELECT 1} (10 s timeout), which
     * finds a silently cut network. Default {@link #DEFAULT_HEALTH_CHECK_INTERVAL}.
     *
     * @param healthCheckInterval a positive duration
     * @return this builder
     */
    public Builder healthCheckInterval(Duration healthCheckInterval) {
      this.healthCheckInterval = healthCheckInterval;
      return this;
    }

    /**
     * Checks the options and creates the notifier; it connects at the first subscription.
     *
     * @return the notifier
     * @throws IllegalArgumentException naming the bad option; the password is never shown
     */
    public PgNotifier build() {
      if (reconnectPolicy == null) {
        throw new IllegalArgumentException("reconnectPolicy must not be null");
      }
      if (healthCheckInterval == null
          || healthCheckInterval.isZero()
          || healthCheckInterval.isNegative()) {
        throw new IllegalArgumentException(
            "healthCheckInterval must be positive, was " + healthCheckInterval);
      }
      if ((jdbcUrl == null) == (connectionFactory == null)) {
        throw new IllegalArgumentException(
            "set exactly one of jdbcUrl and connectionFactory, was "
                + (jdbcUrl == null ? "neither" : "both"));
      }
      if (connectionFactory != null) {
        if (username != null || password != null) {
          throw new IllegalArgumentException(
              "username/password apply to jdbcUrl only; the connectionFactory supplies its own");
        }
        return new PgNotifier(
            new PgListener(
                connectionFactory, reconnectPolicy, healthCheckInterval, "connectionFactory"),
            "connectionFactory");
      }
      if (applicationName == null || applicationName.isBlank()) {
        throw new IllegalArgumentException(
            "applicationName must not be blank, was '" + applicationName + "'");
      }
      DatabaseUrl database = DatabaseUrl.parse(jdbcUrl).withCredentials(username, password);
      Properties props = database.connectionProperties();
      props.setProperty("ApplicationName", applicationName);
      // The connection mostly waits: keepalive lets the kernel notice a peer that vanished too.
      props.setProperty("tcpKeepAlive", "true");
      String url = database.jdbcUrl();
      String target = DatabaseUrl.redact(url);
      ConnectionFactory factory = () -> DriverManager.getConnection(url, props);
      return new PgNotifier(
          new PgListener(factory, reconnectPolicy, healthCheckInterval, target), target);
    }
  }
}
