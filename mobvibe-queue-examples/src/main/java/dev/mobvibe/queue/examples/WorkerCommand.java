package dev.mobvibe.queue.examples;

import dev.mobvibe.queue.DatabaseUrl;
import dev.mobvibe.queue.Job;
import dev.mobvibe.queue.JobHandler;
import dev.mobvibe.queue.JobListener;
import dev.mobvibe.queue.JobProcessor;
import dev.mobvibe.queue.JobProcessorBuilder;
import dev.mobvibe.queue.JobQueue;
import dev.mobvibe.queue.KindOptions;
import dev.mobvibe.queue.MigrationReport;
import dev.mobvibe.queue.NewJob;
import dev.mobvibe.queue.QueueMonitor;
import dev.mobvibe.queue.QueueReport;
import dev.mobvibe.queue.QueueStats;
import dev.mobvibe.queue.dashboard.Dashboard;
import dev.mobvibe.queue.micrometer.QueueMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.InetAddress;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.Supplier;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The {@code worker} command (also what runs with no command): a {@link JobProcessor} with the
 * simulated coding session handler and a second kind a service would have ({@link SendEmail}, a
 * simulated send), a notifier, a {@link QueueMonitor} and the health endpoint, until SIGTERM/SIGINT
 * (or {@code --max-jobs}, {@code --exit-when-idle}).
 */
@Command(
    name = "worker",
    mixinStandardHelpOptions = true,
    description = {
      "Runs a worker: claims jobs (highest priority first), runs the simulated coding session"
          + " handler and a simulated send_email handler, retries failures with backoff, serves GET /health and GET /metrics"
          + " (and the dashboard at /dashboard when DASHBOARD_TOKEN is set), and"
          + " stops gracefully on SIGTERM/SIGINT.",
      "Settings come from the environment (see the README); each flag below overrides its"
          + " variable."
    })
final class WorkerCommand implements Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger(WorkerCommand.class);

  /** What {@code /health} says about a database that does not answer; the log has the reason. */
  static final String DATABASE_ERROR = "the database does not answer; the worker's log says why";

  @Mixin Cli.DatabaseOptions database = new Cli.DatabaseOptions();

  @Option(names = "--supabase-url", paramLabel = "URL", description = "overrides SUPABASE_URL")
  String supabaseUrl;

  @Option(
      names = "--supabase-service-role-key",
      paramLabel = "KEY",
      description = "overrides SUPABASE_SERVICE_ROLE_KEY (prefer the variable)")
  String supabaseKey;

  @Option(
      names = "--poll-interval-ms",
      paramLabel = "MS",
      description = "overrides POLL_INTERVAL_MS: claim at least this often (default 10000)")
  String pollIntervalMs;

  @Option(
      names = "--monitor-interval-ms",
      paramLabel = "MS",
      description = "overrides MONITOR_INTERVAL_MS: statistics log interval (default 30000)")
  String monitorIntervalMs;

  @Option(
      names = {"--max-concurrent-jobs", "--concurrency"},
      paramLabel = "N",
      description = "overrides MAX_CONCURRENT_JOBS: jobs run at once (default 10)")
  String maxConcurrentJobs;

  @Option(
      names = "--shutdown-timeout-ms",
      paramLabel = "MS",
      description =
          "overrides SHUTDOWN_TIMEOUT_MS: time for running jobs to finish on SIGTERM (default 30000)")
  String shutdownTimeoutMs;

  @Option(
      names = "--health-check-port",
      paramLabel = "PORT",
      description =
          "overrides HEALTH_CHECK_PORT: port of /health and /metrics (default 8080; 0: any free port)")
  String healthCheckPort;

  @Option(
      names = "--health-bind-address",
      paramLabel = "ADDRESS",
      description =
          "overrides HEALTH_BIND_ADDRESS: address of /health and /metrics (default 0.0.0.0: every"
              + " interface; 127.0.0.1: this machine only)")
  String healthBindAddress;

  @Option(
      names = "--job-lease-ms",
      paramLabel = "MS",
      description = "overrides JOB_LEASE_MS: lease on claimed jobs (default 60000)")
  String jobLeaseMs;

  @Option(
      names = "--reap-grace-ms",
      paramLabel = "MS",
      description =
          "overrides REAP_GRACE_MS: how long a lease must have been expired before it is reaped"
              + " (default: the lease)")
  String reapGraceMs;

  @Option(
      names = "--job-timeout-ms",
      paramLabel = "MS",
      description = "overrides JOB_TIMEOUT_MS: longest attempt (default 1800000; 0: no limit)")
  String jobTimeoutMs;

  @Option(
      names = "--fairness-bound-ms",
      paramLabel = "MS",
      description =
          "overrides FAIRNESS_BOUND_MS: a lower tier due this long goes first (default 300000;"
              + " 0: strict priority)")
  String fairnessBoundMs;

  @Option(
      names = "--max-running-sessions",
      paramLabel = "N",
      description =
          "overrides MAX_RUNNING_SESSIONS: most coding sessions running at once on all workers"
              + " together (default 0: no limit)")
  String maxRunningSessions;

  @Option(
      names = "--worker-id",
      paramLabel = "ID",
      description = "overrides WORKER_ID: the lease owner name (default host-pid-random)")
  String workerId;

  @Option(
      names = "--retention-finished-hours",
      paramLabel = "HOURS",
      description =
          "overrides RETENTION_FINISHED_HOURS: completed and cancelled jobs older than this are"
              + " deleted (default 168; 0: keep them)")
  String retentionFinishedHours;

  @Option(
      names = "--retention-dead-letter-hours",
      paramLabel = "HOURS",
      description =
          "overrides RETENTION_DEAD_LETTER_HOURS: failed jobs older than this are deleted"
              + " (default 720; 0: keep them)")
  String retentionDeadLetterHours;

  @Option(
      names = "--notifier",
      paramLabel = "KIND",
      description =
          "pg (LISTEN/NOTIFY), supabase (Realtime) or poll; default pg when the database"
              + " accepts LISTEN, else supabase when SUPABASE_URL is set, else poll")
  String notifier;

  @Option(
      names = "--work-ms",
      paramLabel = "MS",
      description =
          "how long each simulated session works (default ${DEFAULT-VALUE}); a send_email job"
              + " takes a quarter of it")
  long workMs = SimulatedCodingSession.DEFAULT_WORK.toMillis();

  @Option(
      names = "--fail-rate",
      paramLabel = "SHARE",
      description = "share of attempts that fail, 0 to 1 (default ${DEFAULT-VALUE})")
  double failRate;

  @Option(
      names = "--max-jobs",
      paramLabel = "N",
      description = "stop after N jobs finished (completed or dead-lettered)")
  Long maxJobs;

  @Option(
      names = "--exit-when-idle",
      description = "stop once no job is pending (due or delayed) or processing")
  boolean exitWhenIdle;

  @Option(names = "--no-migrate", description = "do not apply schema migrations at start")
  boolean noMigrate;

  private final Cli cli;
  private final CountDownLatch stopRequested = new CountDownLatch(1);
  private final CountDownLatch stopped = new CountDownLatch(1);
  private final CountDownLatch ready = new CountDownLatch(1);
  private volatile HealthServer health;
  private volatile JobProcessor processor;
  private volatile Thread hook;

  WorkerCommand(Cli cli) {
    this.cli = cli;
  }

  private Map<String, String> flags() {
    Map<String, String> flags = database.flags();
    Cli.put(flags, Settings.SUPABASE_URL, supabaseUrl);
    Cli.put(flags, Settings.SUPABASE_SERVICE_ROLE_KEY, supabaseKey);
    Cli.put(flags, Settings.POLL_INTERVAL_MS, pollIntervalMs);
    Cli.put(flags, Settings.MONITOR_INTERVAL_MS, monitorIntervalMs);
    Cli.put(flags, Settings.MAX_CONCURRENT_JOBS, maxConcurrentJobs);
    Cli.put(flags, Settings.SHUTDOWN_TIMEOUT_MS, shutdownTimeoutMs);
    Cli.put(flags, Settings.HEALTH_CHECK_PORT, healthCheckPort);
    Cli.put(flags, Settings.HEALTH_BIND_ADDRESS, healthBindAddress);
    Cli.put(flags, Settings.JOB_LEASE_MS, jobLeaseMs);
    Cli.put(flags, Settings.REAP_GRACE_MS, reapGraceMs);
    Cli.put(flags, Settings.JOB_TIMEOUT_MS, jobTimeoutMs);
    Cli.put(flags, Settings.FAIRNESS_BOUND_MS, fairnessBoundMs);
    Cli.put(flags, Settings.MAX_RUNNING_SESSIONS, maxRunningSessions);
    Cli.put(flags, Settings.WORKER_ID, workerId);
    Cli.put(flags, Settings.RETENTION_FINISHED_HOURS, retentionFinishedHours);
    Cli.put(flags, Settings.RETENTION_DEAD_LETTER_HOURS, retentionDeadLetterHours);
    return flags;
  }

  @Override
  public Integer call() throws Exception {
    if (workMs < 0) {
      throw new CliException(2, "--work-ms must not be negative, was " + workMs);
    }
    if (!(failRate >= 0 && failRate <= 1)) {
      throw new CliException(2, "--fail-rate must be between 0 and 1, was " + failRate);
    }
    if (maxJobs != null && maxJobs < 1) {
      throw new CliException(2, "--max-jobs must be at least 1, was " + maxJobs);
    }
    Settings settings = cli.settings(flags());
    installHook(settings.shutdownTimeout());
    try {
      return run(
          settings,
          new SimulatedCodingSession(Duration.ofMillis(workMs), failRate),
          new SimulatedEmailSender(Duration.ofMillis(workMs / 4), failRate));
    } finally {
      stopped.countDown();
      removeHook();
    }
  }

  private int run(Settings settings, JobHandler handler, SimulatedEmailSender emails)
      throws InterruptedException {
    log.info("settings: {}", settings);
    // A host name that does not resolve stops the worker before it touches the database.
    InetAddress healthAddress = HealthServer.resolve(settings.healthBindAddress());
    try (Database db = Database.open(settings, cli.env(), true);
        JobQueue queue = db.queueBuilder().schema(settings.schema()).build()) {
      log.info("database: {}", db.description());
      if (!noMigrate) {
        MigrationReport m = queue.migrate();
        log.info(
            "schema {}: version {}{}",
            m.schema(),
            m.toVersion(),
            m.applied().isEmpty() ? " (up to date)" : ", applied " + m.applied());
      }
      Notifiers.Choice choice = Notifiers.choose(notifier, db, settings);
      log.info("notifier: {} ({})", choice.kind(), choice.why());
      PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
      new JvmMemoryMetrics().bindTo(registry);
      new JvmThreadMetrics().bindTo(registry);
      new ProcessorMetrics().bindTo(registry);
      new UptimeMetrics().bindTo(registry);
      AtomicLong finished = new AtomicLong();
      try (QueueMetrics metrics = new QueueMetrics(registry)) {
        KindOptions sessions =
            settings.maxRunningSessions() == 0
                ? KindOptions.DEFAULTS
                : KindOptions.builder().maxRunning(settings.maxRunningSessions()).build();
        JobProcessorBuilder builder =
            JobProcessor.builder(queue)
                .handler(NewJob.CODING_SESSION_KIND, handler, sessions)
                .handler(SendEmail.KIND, SendEmail.class, emails)
                .concurrency(settings.maxConcurrentJobs())
                .pollInterval(settings.pollInterval())
                .leaseDuration(settings.jobLease())
                .reapGrace(settings.reapGrace())
                .shutdownTimeout(settings.shutdownTimeout())
                .notifier(choice.notifier())
                .listener(metrics)
                .listener(new FinishCounter(finished));
        settings.jobTimeout().ifPresentOrElse(builder::jobTimeout, builder::noJobTimeout);
        settings.fairnessBound().ifPresentOrElse(builder::fairness, builder::strictPriority);
        settings.workerId().ifPresent(builder::workerId);
        builder.retention(
            settings.retentionFinished().orElse(null),
            settings.retentionDeadLetters().orElse(null));
        JobProcessor p = builder.build();
        processor = p;
        metrics.bindProcessor(p);
        if (choice.notifier() != null) {
          metrics.bindNotifier(choice.notifier());
        }
        Probe probe = new Probe(queue, db.password());
        QueueMonitor monitor = QueueMonitor.builder(queue).onReport(metrics::update).build();
        Dashboard dashboard =
            settings.dashboardToken().map(t -> dashboard(queue, t, choice)).orElse(null);
        HealthServer server;
        try {
          server =
              HealthServer.start(
                  healthAddress,
                  settings.healthCheckPort(),
                  HealthServer.REQUEST_TIME_LIMIT,
                  () -> health(p, choice, monitor, probe),
                  () -> {
                    probe.stats().ifPresent(metrics::update);
                    return registry.scrape();
                  },
                  dashboard);
        } catch (RuntimeException e) {
          monitor.close();
          if (choice.notifier() != null) {
            choice.notifier().close();
          }
          probe.close();
          throw e;
        }
        health = server;
        try {
          p.start();
          monitor.startMonitoring(settings.monitorInterval());
          log.info(
              "worker {} ready: health on http://{}/health, metrics on /metrics",
              p.workerId(),
              hostAndPort(server.address(), server.port()));
          if (dashboard != null) {
            log.info(
                "dashboard on http://{}{}/",
                hostAndPort(server.address(), server.port()),
                HealthServer.DASHBOARD_PATH);
          }
          ready.countDown();
          awaitStop(p, queue, finished, settings.pollInterval());
          log.info("worker {} stopping", p.workerId());
        } finally {
          p.stop();
          monitor.close();
          server.close();
          if (choice.notifier() != null) {
            choice.notifier().close();
          }
          probe.close();
        }
      } finally {
        registry.close();
      }
      return 0;
    }
  }

  /** The dashboard of the worker's queue, showing the state of its notifier if it has one. */
  private static Dashboard dashboard(JobQueue queue, String token, Notifiers.Choice choice) {
    Dashboard.Builder b = Dashboard.builder(queue).token(token);
    if (choice.notifier() != null) {
      b.notifierState(() -> choice.notifier().state());
    }
    return b.build();
  }

  /** The endpoint's address for the ready line: an IPv6 address in brackets. */
  private static String hostAndPort(InetAddress address, int port) {
    String host = address.getHostAddress();
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
  }

  private void awaitStop(JobProcessor p, JobQueue queue, AtomicLong finished, Duration poll)
      throws InterruptedException {
    long checkMillis = Math.max(20, Math.min(500, poll.toMillis()));
    while (!stopRequested.await(checkMillis, TimeUnit.MILLISECONDS)) {
      if (maxJobs != null && finished.get() >= maxJobs) {
        log.info("{} jobs finished (--max-jobs {})", finished.get(), maxJobs);
        return;
      }
      if (exitWhenIdle && p.runningJobs() == 0) {
        try {
          // Idle means nothing left of the kinds this worker runs; other kinds wait for theirs.
          QueueStats s = queue.getQueueStats();
          long left =
              p.kinds().stream()
                  .map(k -> s.byKind().getOrDefault(k, QueueStats.KindStats.NONE))
                  .mapToLong(k -> k.pending() + k.processing())
                  .sum();
          if (left == 0 && p.runningJobs() == 0) {
            log.info("queue idle (--exit-when-idle)");
            return;
          }
        } catch (RuntimeException e) {
          log.warn("cannot read the queue statistics: {}", e.getMessage());
        }
      }
    }
  }

  private static HealthServer.Health health(
      JobProcessor p, Notifiers.Choice choice, QueueMonitor monitor, Probe probe) {
    Optional<String> dbProblem = probe.problem();
    JobProcessor.State state = p.state();
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("workerId", p.workerId());
    boolean running = state == JobProcessor.State.RUNNING;
    body.put(
        "status",
        dbProblem.isPresent() ? "database_unreachable" : state.name().toLowerCase(Locale.ROOT));
    body.put("database", dbProblem.isPresent() ? "down" : "up");
    // The reason names hosts, users and server messages: it goes to the log (Probe), not to
    // whoever can reach the port.
    dbProblem.ifPresent(problem -> body.put("databaseError", DATABASE_ERROR));
    body.put("runningJobs", p.runningJobs());
    body.put("concurrency", p.concurrency());
    body.put("notifier", choice.kind());
    body.put(
        "notifierState", choice.notifier() == null ? "POLLING" : choice.notifier().state().name());
    body.put("lastSuccessfulPoll", p.lastSuccessfulClaim().map(Instant::toString).orElse(null));
    Optional<QueueReport> report = monitor.lastReport();
    body.put("queueHealth", report.map(r -> r.health().name()).orElse("UNKNOWN"));
    body.put("queueHealthReasons", report.map(QueueReport::reasons).orElse(List.of()));
    report.ifPresent(
        r -> {
          Map<String, Object> q = new LinkedHashMap<>();
          q.put("pending", r.stats().pendingCount());
          q.put("processing", r.stats().processingCount());
          q.put("completed", r.stats().completedCount());
          q.put("failed", r.stats().failedCount());
          if (r.stats().estimated()) {
            q.put("estimated", StatsCommand.estimated(r.stats()));
          }
          q.put("at", r.at().toString());
          body.put("queue", q);
        });
    body.put("kinds", report.map(r -> StatsCommand.kinds(r.stats())).orElse(Map.of()));
    body.put("pausedKinds", report.map(QueueReport::pausedKinds).orElse(List.of()));
    return new HealthServer.Health(running && dbProblem.isEmpty(), body);
  }

  /** Counts jobs that reached a final outcome, for {@code --max-jobs}. */
  private static final class FinishCounter implements JobListener {
    private final AtomicLong finished;

    FinishCounter(AtomicLong finished) {
      this.finished = finished;
    }

    @Override
    public void onJobSucceeded(Job job, Duration runTime) {
      finished.incrementAndGet();
    }

    @Override
    public void onJobDeadLettered(Job job, Throwable error, Duration runTime) {
      finished.incrementAndGet();
    }
  }

  /**
   * Asks a running worker to stop gracefully, as SIGTERM does. For tests and embedding.
   *
   * @return this
   */
  WorkerCommand requestStop() {
    stopRequested.countDown();
    return this;
  }

  /**
   * Waits until the worker is ready (processor started, health endpoint up).
   *
   * @param timeout how long to wait
   * @return true when ready
   * @throws InterruptedException if interrupted
   */
  boolean awaitReady(Duration timeout) throws InterruptedException {
    return ready.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /**
   * The health endpoint's port, once ready.
   *
   * @return the port
   */
  int healthPort() {
    return health.port();
  }

  /**
   * The health endpoint's address, once ready.
   *
   * @return the address
   */
  InetAddress healthAddress() {
    return health.address();
  }

  /**
   * The running processor, once ready.
   *
   * @return the processor
   */
  JobProcessor processor() {
    return processor;
  }

  private void installHook(Duration shutdownTimeout) {
    if (!cli.ownsJvm()) {
      return;
    }
    Thread t =
        new Thread(
            () -> {
              log.info("signal received: stopping gracefully (SHUTDOWN_TIMEOUT_MS)");
              stopRequested.countDown();
              boolean clean;
              try {
                // The processor's own timeout bounds the stop; the margin covers the final flush.
                clean = stopped.await(shutdownTimeout.toMillis() + 20_000, TimeUnit.MILLISECONDS);
              } catch (InterruptedException e) {
                clean = false;
              }
              if (!clean) {
                log.warn("worker did not stop in time; exiting anyway");
              }
              cli.out().flush();
              cli.err().flush();
              Logging.stop();
              // A JVM ended by a signal exits 128+signal; a graceful stop reports success.
              Runtime.getRuntime().halt(clean ? 0 : 1);
            },
            "mobvibe-shutdown");
    Runtime.getRuntime().addShutdownHook(t);
    hook = t;
  }

  private void removeHook() {
    Thread t = hook;
    if (t != null) {
      try {
        Runtime.getRuntime().removeShutdownHook(t);
      } catch (IllegalStateException e) {
        // shutting down: the hook is running and will halt
      }
    }
  }

  /**
   * Checks the database for {@code /health} and refreshes statistics for {@code /metrics}, each
   * with a short timeout, on one daemon thread, so a dead database answers 503 quickly instead of
   * hanging the endpoint. Each is read at most once a second, and a read still running when the
   * next request comes is joined, not repeated: a slow database never piles up queries.
   *
   * <p>It logs when the database stops answering (WARN, with the reason, the password taken out)
   * and when it answers again (INFO): once per change, however often the endpoint is probed. When
   * the first reason is only the probe's timeout (the pool waits for a connection longer), the
   * database's own reason, once known, gets one more WARN line.
   */
  private static final class Probe implements AutoCloseable {
    private static final long TIMEOUT_MILLIS = 2_000;
    private static final String TIMED_OUT = "no answer within " + TIMEOUT_MILLIS + " ms";
    private static final String INTERRUPTED = "interrupted";
    private static final long CACHE_MILLIS = 1_000;

    private final ExecutorService executor =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "mobvibe-health-probe");
              t.setDaemon(true);
              return t;
            });
    private final Refreshed<Optional<String>> problem;
    private final Refreshed<Optional<QueueStats>> stats;
    private final String password;
    private boolean down; // guarded by this: the state last logged, up at start
    private boolean reasonLogged; // guarded by this: this outage's reason (not a timeout) logged

    Probe(JobQueue queue, String password) {
      DataSource dataSource = queue.dataSource();
      this.problem = new Refreshed<>(() -> selectOne(dataSource), Optional::of);
      this.stats =
          new Refreshed<>(() -> Optional.of(queue.getQueueStats()), why -> Optional.empty());
      this.password = password;
    }

    /**
     * Why the database is unreachable, or empty when a {@code SELECT 1} succeeds; logs a change.
     * Synchronized so that two requests cannot log their changes in the wrong order.
     */
    synchronized Optional<String> problem() {
      Optional<String> now = problem.get();
      if (now.isEmpty()) {
        if (down) {
          down = false;
          log.info("the database answers again; /health reports it up");
        }
        return now;
      }
      String reason = now.get();
      if (reason.equals(INTERRUPTED)) {
        return now; // this request was cut short: says nothing about the database
      }
      boolean fromDatabase = !reason.equals(TIMED_OUT);
      if (!down) {
        down = true;
        reasonLogged = fromDatabase;
        log.warn(
            "the database does not answer; /health reports 503 until it does: {}", scrub(reason));
      } else if (!reasonLogged && fromDatabase) {
        // The pool waits for a connection far longer than the probe: its reason comes later.
        reasonLogged = true;
        log.warn("the database still does not answer: {}", scrub(reason));
      }
      return now;
    }

    /** The reason without the password (in case a driver or URL repeats it). */
    private String scrub(String reason) {
      String s = DatabaseUrl.redact(reason);
      return password == null || password.isEmpty() ? s : s.replace(password, "***");
    }

    /** Statistics at most a second old, or empty when they cannot be read quickly. */
    Optional<QueueStats> stats() {
      return stats.get();
    }

    private static Optional<String> selectOne(DataSource dataSource) {
      try (Connection c = dataSource.getConnection();
          Statement st = c.createStatement()) {
        st.setQueryTimeout(2);
        st.execute("SELECT 1");
        return Optional.empty();
      } catch (SQLException e) {
        return Optional.of(reason(e));
      }
    }

    /** The messages of an exception and its causes: a pool's timeout names the driver's reason. */
    private static String reason(Throwable e) {
      StringBuilder text = new StringBuilder(String.valueOf(e.getMessage()));
      Throwable cause = e.getCause();
      for (int depth = 0; cause != null && depth < 5; depth++, cause = cause.getCause()) {
        String message = cause.getMessage();
        if (message != null && text.indexOf(message) < 0) {
          text.append(": ").append(message);
        }
      }
      return text.toString();
    }

    @Override
    public void close() {
      executor.shutdownNow();
    }

    /** One value read on the probe thread; {@code failed} turns a reason into the value. */
    private final class Refreshed<T> {
      private final Supplier<T> read;
      private final Function<String, T> failed;
      private CompletableFuture<T> inFlight;
      private T last;
      private long readAt;

      Refreshed(Supplier<T> read, Function<String, T> failed) {
        this.read = read;
        this.failed = failed;
      }

      synchronized T get() {
        if (inFlight == null
            && last != null
            && System.nanoTime() - readAt < TimeUnit.MILLISECONDS.toNanos(CACHE_MILLIS)) {
          return last;
        }
        if (inFlight == null) {
          inFlight = CompletableFuture.supplyAsync(read, executor);
        }
        try {
          last = inFlight.get(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
          inFlight = null;
        } catch (TimeoutException e) {
          last = failed.apply(TIMED_OUT);
        } catch (ExecutionException e) {
          last = failed.apply(String.valueOf(e.getCause()));
          inFlight = null;
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          last = failed.apply(INTERRUPTED);
        }
        readAt = System.nanoTime();
        return last;
      }
    }
  }
}
