package dev.mobvibe.queue.examples.bench;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.mobvibe.queue.DatabaseUrl;
import dev.mobvibe.queue.Job;
import dev.mobvibe.queue.JobArgs;
import dev.mobvibe.queue.JobListener;
import dev.mobvibe.queue.JobNotifier;
import dev.mobvibe.queue.JobProcessor;
import dev.mobvibe.queue.JobProcessorBuilder;
import dev.mobvibe.queue.JobQueue;
import dev.mobvibe.queue.NewJob;
import dev.mobvibe.queue.NotifierState;
import dev.mobvibe.queue.SessionTracking;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.IntFunction;
import javax.sql.DataSource;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * The performance protocol of the project, callable from code and from the {@code bench} command:
 *
 * <ul>
 *   <li>B1 drain: N jobs inserted first, then one {@link JobProcessor} with a no-op handler drains
 *       them; jobs/s at each concurrency, median of the runs. With {@link Options#kindDrain()}, the
 *       same again with jobs of a kind other than coding sessions ({@value #BENCH_KIND}: typed
 *       arguments, no session, no session bookkeeping).
 *   <li>B2 pickup: an idle worker with a LISTEN/NOTIFY notifier; jobs inserted one at a time at a
 *       fixed rate by another connection; insert-to-handler-start latency percentiles (one clock,
 *       this JVM's). Beside it, the floor no LISTEN/NOTIFY worker can beat on this machine: a bare
 *       {@code pg_notify} sent at the same rate, timed to its arrival at a bare listening
 *       connection in this JVM.
 *   <li>B3 memory: peak RSS ({@code /proc/self/status}) and peak heap of this JVM during B1.
 *   <li>B4 enqueue: single-row and batch inserts/s through the public API, against a bare JDBC
 *       insert of the same row.
 *   <li>L limit: the bare SQL any design must run per job (claim 100 with SKIP LOCKED, complete
 *       100) on a minimal table, looped over JDBC, and the ratio B1 / L.
 *   <li>Idle cost: statements a worker with an empty queue runs per poll interval, counted at the
 *       JDBC layer.
 * </ul>
 *
 * <p>It creates a scratch database next to the admin database it is given, and drops it at the end.
 * It sends traffic only to that server. Not thread-safe; one run at a time.
 */
public final class Benchmark {

  /** Creates the LISTEN/NOTIFY notifier for B2 from a JDBC URL, user and password. */
  @FunctionalInterface
  public interface NotifierFactory {
    /**
     * Creates a notifier on the scratch database.
     *
     * @param jdbcUrl the scratch database's URL
     * @param user the user, or null
     * @param password the password, or null
     * @return a new notifier; the benchmark closes it
     */
    JobNotifier create(String jdbcUrl, String user, String password);
  }

  /** The kind of the jobs of the kind drain: {@code bench_noop}. */
  public static final String BENCH_KIND = "bench_noop";

  /** The arguments of a job of the kind drain. */
  record Noop(int index) implements JobArgs {
    @Override
    public String kind() {
      return BENCH_KIND;
    }
  }

  private final Options options;
  private final DatabaseUrl admin;
  private final PrintStream out;
  private DatabaseUrl scratchUrl;
  private String scratchName;

  /**
   * Settings of a run: the protocol's sizes are {@link #defaults(String)} and the {@code DEFAULT_}
   * constants. The password never appears in {@link #toString()}.
   *
   * @param adminUrl a {@code jdbc:postgresql:} URL of a database whose user may create databases
   * @param user the user, or null
   * @param password the password, or null
   * @param jobs N for B1 (default 20,000)
   * @param concurrencies the concurrencies of B1 (default 10 and 50)
   * @param runs runs per B1 concurrency, of which the median counts (default 3)
   * @param pickupJobs jobs of B2 (default 500)
   * @param pickupRate jobs per second of B2 (default 100)
   * @param enqueueJobs rows per B4 measurement (default 20,000 batched, a tenth single)
   * @param sessionTracking what the B1 worker writes to sessions (the processor's default, {@code
   *     STATUS})
   * @param prefetch the B1 worker's fixed prefetch, or -1 for the processor's default (auto)
   * @param kindDrain also drain jobs of kind {@value Benchmark#BENCH_KIND} at each concurrency
   *     (default false)
   * @param sharedKeys 0 (the default): each B1 prompt has its own session, so its own concurrency
   *     key; N: the B1 prompts share N concurrency keys, round robin
   * @param notifierFactory the B2 notifier; null skips B2
   */
  public record Options(
      String adminUrl,
      String user,
      String password,
      int jobs,
      List<Integer> concurrencies,
      int runs,
      int pickupJobs,
      int pickupRate,
      int enqueueJobs,
      SessionTracking sessionTracking,
      int prefetch,
      boolean kindDrain,
      int sharedKeys,
      NotifierFactory notifierFactory) {

    /** B1 jobs per run. */
    public static final int DEFAULT_JOBS = 20_000;

    /** B1 concurrencies. */
    public static final List<Integer> DEFAULT_CONCURRENCIES = List.of(10, 50);

    /** B1 runs per concurrency. */
    public static final int DEFAULT_RUNS = 3;

    /** B2 jobs. */
    public static final int DEFAULT_PICKUP_JOBS = 500;

    /** B2 inserts per second. */
    public static final int DEFAULT_PICKUP_RATE = 100;

    /** B4 batch rows. */
    public static final int DEFAULT_ENQUEUE_JOBS = 20_000;

    /** Checks the settings. */
    public Options {
      Objects.requireNonNull(adminUrl, "adminUrl");
      concurrencies = List.copyOf(concurrencies);
      if (jobs < 100 || runs < 1 || pickupJobs < 1 || pickupRate < 1 || enqueueJobs < 1000) {
        throw new IllegalArgumentException(
            "bench sizes too small: jobs >= 100, runs >= 1, pickup >= 1, enqueue >= 1000");
      }
      if (concurrencies.isEmpty() || concurrencies.stream().anyMatch(c -> c < 1 || c > 1000)) {
        throw new IllegalArgumentException(
            "concurrencies must be 1 to 1000 each, at least one, was " + concurrencies);
      }
      if (sharedKeys < 0) {
        throw new IllegalArgumentException("shared keys must be 0 or more, was " + sharedKeys);
      }
      if (prefetch < -1 || prefetch > JobProcessor.MAX_PREFETCH) {
        throw new IllegalArgumentException(
            "prefetch must be -1 (auto) or between 0 and 1000, was " + prefetch);
      }
    }

    /**
     * The protocol's sizes, as the default user without a password and without B2, which needs a
     * notifier: pass a {@link NotifierFactory} to the constructor to measure it.
     *
     * @param adminUrl the admin database URL
     * @return the options
     */
    public static Options defaults(String adminUrl) {
      return new Options(
          adminUrl,
          null,
          null,
          DEFAULT_JOBS,
          DEFAULT_CONCURRENCIES,
          DEFAULT_RUNS,
          DEFAULT_PICKUP_JOBS,
          DEFAULT_PICKUP_RATE,
          DEFAULT_ENQUEUE_JOBS,
          JobProcessor.DEFAULT_SESSION_TRACKING,
          -1,
          false,
          0,
          null);
    }

    @Override
    public String toString() {
      return "Options[adminUrl="
          + DatabaseUrl.redact(adminUrl)
          + ", user="
          + user
          + ", password="
          + (password == null ? "none" : "***")
          + ", jobs="
          + jobs
          + ", concurrencies="
          + concurrencies
          + ", runs="
          + runs
          + ", pickupJobs="
          + pickupJobs
          + ", pickupRate="
          + pickupRate
          + ", enqueueJobs="
          + enqueueJobs
          + ", sessionTracking="
          + sessionTracking
          + ", prefetch="
          + prefetch
          + ", kindDrain="
          + kindDrain
          + "]";
    }
  }

  /**
   * Creates a benchmark.
   *
   * @param options the settings
   * @param out where progress lines go
   * @throws IllegalArgumentException if the options' admin URL is not a PostgreSQL URL
   */
  public Benchmark(Options options, PrintStream out) {
    this.options = Objects.requireNonNull(options, "options");
    this.admin =
        DatabaseUrl.parse(options.adminUrl()).withCredentials(options.user(), options.password());
    this.out = Objects.requireNonNull(out, "out");
  }

  /**
   * Runs every measurement and returns the results.
   *
   * @return the results
   * @throws Exception when the database fails
   */
  public BenchResult run() throws Exception {
    createScratch();
    try {
      BenchResult.Builder result = new BenchResult.Builder();
      result.machine(machineFacts());
      result.limit(measureLimit());
      out.printf(Locale.ROOT, "L  bare SQL: %.0f jobs/s%n", result.limit);
      drain(result, NewJob.CODING_SESSION_KIND);
      if (options.kindDrain()) {
        drain(result, BENCH_KIND);
      }
      if (options.notifierFactory() != null) {
        result.pickup(measurePickup());
      }
      measureEnqueue(result);
      result.idle(measureIdle());
      return result.build(options);
    } finally {
      dropScratch();
    }
  }

  private void drain(BenchResult.Builder result, String kind) throws Exception {
    for (int concurrency : options.concurrencies()) {
      List<Double> rates = new ArrayList<>();
      List<Long> rss = new ArrayList<>();
      List<Long> heap = new ArrayList<>();
      // One pool for every run, as a long-running worker has; a first, unmeasured run warms the
      // JIT, the pool and the server's prepared statements.
      try (Scratch scratch = scratch(concurrency + 5)) {
        JobQueue queue = scratch.queue();
        drainOnce(queue, kind, concurrency, Math.max(1000, options.jobs() / 4), null);
        for (int run = 0; run < options.runs(); run++) {
          MemorySampler sampler = new MemorySampler();
          double rate = drainOnce(queue, kind, concurrency, options.jobs(), sampler);
          rates.add(rate);
          rss.add(sampler.peakRss());
          heap.add(sampler.peakHeap());
          out.printf(
              Locale.ROOT,
              "B1 drain %s c=%d run %d: %.0f jobs/s, peak RSS %d MB, peak heap %d MB%n",
              kind,
              concurrency,
              run + 1,
              rate,
              sampler.peakRss() >> 20,
              sampler.peakHeap() >> 20);
        }
      }
      result.drain(kind, concurrency, rates, rss, heap);
    }
  }

  /**
   * Inserts {@code jobs} jobs of the kind, drains them with a new processor, and returns jobs/s.
   */
  private double drainOnce(
      JobQueue queue, String kind, int concurrency, int jobs, MemorySampler sampler)
      throws Exception {
    truncate(queue.dataSource());
    boolean sessions = kind.equals(NewJob.CODING_SESSION_KIND);
    if (sessions) {
      // One session per job, as the seed's start-coding-session creates them: one key per job.
      int keys = options.sharedKeys();
      enqueueInBatches(
          queue,
          jobs,
          keys == 0
              ? i -> NewJob.of("bench " + i)
              : i -> NewJob.builder("bench " + i).concurrencyKey("key-" + i % keys).build());
    } else {
      enqueueInBatches(queue, jobs, i -> NewJob.of(new Noop(i)));
    }
    if (sampler != null) {
      sampler.start();
    }
    CountDownLatch done = new CountDownLatch(jobs);
    long start = System.nanoTime();
    long end;
    JobProcessorBuilder builder =
        sessions
            ? JobProcessor.builder(queue, (job, ctx) -> {})
                .sessionTracking(options.sessionTracking())
            : JobProcessor.builder(queue)
                .handler(BENCH_KIND, Noop.class, (args, ctx) -> {})
                .sessionTracking(SessionTracking.OFF);
    builder.concurrency(concurrency);
    if (options.prefetch() >= 0) {
      builder.prefetch(options.prefetch());
    }
    try (JobProcessor processor =
        builder
            .listener(
                new JobListener() {
                  @Override
                  public void onJobSucceeded(Job job, Duration runTime) {
                    done.countDown();
                  }
                })
            .build()) {
      processor.start();
      if (!done.await(10, TimeUnit.MINUTES)) {
        throw new IllegalStateException("drain did not finish in 10 minutes");
      }
      end = System.nanoTime(); // the graceful stop that follows is not part of the drain
    }
    double seconds = (end - start) / 1e9;
    if (sampler != null) {
      sampler.stop();
    }
    return jobs / seconds;
  }

  private double measureLimit() throws SQLException {
    try (Connection c = connect();
        Statement st = c.createStatement()) {
      st.execute(
          "CREATE TABLE bench_bare (id bigserial PRIMARY KEY, status text NOT NULL,"
              + " priority int NOT NULL DEFAULT 0, created_at timestamptz NOT NULL DEFAULT now())");
      st.execute("CREATE INDEX ON bench_bare (priority DESC, created_at) WHERE status = 'pending'");
      try (PreparedStatement claim =
              c.prepareStatement(
                  "WITH n AS (SELECT id FROM bench_bare WHERE status = 'pending'"
                      + " ORDER BY priority DESC, created_at LIMIT 100 FOR UPDATE SKIP LOCKED)"
                      + " UPDATE bench_bare b SET status = 'processing' FROM n WHERE b.id = n.id"
                      + " RETURNING b.id");
          PreparedStatement complete =
              c.prepareStatement("UPDATE bench_bare SET status = 'completed' WHERE id = ANY(?)")) {
        // A first, unmeasured pass warms the JIT, the statements and the server, as B1's does.
        bareDrain(c, st, claim, complete, Math.max(1000, options.jobs() / 4));
        long start = System.nanoTime();
        int done = bareDrain(c, st, claim, complete, options.jobs());
        double rate = done / ((System.nanoTime() - start) / 1e9);
        st.execute("DROP TABLE bench_bare");
        return rate;
      }
    }
  }

  /** Fills bench_bare with {@code jobs} pending rows, then claims and completes them by 100. */
  private static int bareDrain(
      Connection c, Statement st, PreparedStatement claim, PreparedStatement complete, int jobs)
      throws SQLException {
    st.execute("TRUNCATE bench_bare");
    st.execute(
        "INSERT INTO bench_bare (status) SELECT 'pending' FROM generate_series(1, " + jobs + ")");
    st.execute("VACUUM ANALYZE bench_bare");
    int done = 0;
    while (true) {
      List<Long> ids = new ArrayList<>(100);
      try (ResultSet rs = claim.executeQuery()) {
        while (rs.next()) {
          ids.add(rs.getLong(1));
        }
      }
      if (ids.isEmpty()) {
        return done;
      }
      complete.setArray(1, c.createArrayOf("bigint", ids.toArray()));
      complete.executeUpdate();
      done += ids.size();
    }
  }

  private BenchResult.Pickup measurePickup() throws Exception {
    int n = options.pickupJobs();
    Map<String, Long> insertedAt = new ConcurrentHashMap<>();
    long[] latencies = new long[n];
    AtomicLong seen = new AtomicLong();
    CountDownLatch done = new CountDownLatch(n);
    try (Scratch scratch = scratch(8)) {
      JobQueue queue = scratch.queue();
      JobNotifier notifier =
          options
              .notifierFactory()
              .create(
                  scratchUrl.jdbcUrl(),
                  scratchUrl.user().orElse(null),
                  scratchUrl.password().orElse(null));
      try (notifier;
          JobProcessor processor =
              JobProcessor.builder(
                      queue,
                      (job, ctx) -> {
                        long now = System.nanoTime();
                        Long t0 = insertedAt.get(job.prompt());
                        if (t0 != null) {
                          latencies[(int) seen.getAndIncrement()] = now - t0;
                          done.countDown();
                        }
                      })
                  .concurrency(10)
                  .notifier(notifier)
                  .build();
          Connection insert = connect();
          PreparedStatement ps =
              insert.prepareStatement(
                  // A key of each job's own: the jobs share one session, whose prompts would
                  // otherwise run one after another, and B2 measures pickup, not sessions.
                  "INSERT INTO coding_jobs (session_id, prompt, concurrency_key) VALUES (?, ?, ?)")) {
        processor.start();
        UUID session = queue.enqueue(NewJob.of("bench pickup session")).sessionId();
        awaitNotifierListening(notifier);
        long intervalNanos = TimeUnit.SECONDS.toNanos(1) / options.pickupRate();
        long next = System.nanoTime();
        for (int i = 0; i < n; i++) {
          long wait = next - System.nanoTime();
          if (wait > 0) {
            TimeUnit.NANOSECONDS.sleep(wait); // paces the load generator, not the worker
          }
          String prompt = "pickup-" + i;
          ps.setObject(1, session);
          ps.setString(2, prompt);
          ps.setString(3, prompt);
          insertedAt.put(prompt, System.nanoTime());
          ps.executeUpdate();
          next += intervalNanos;
        }
        if (!done.await(2, TimeUnit.MINUTES)) {
          throw new IllegalStateException("pickup: only " + seen.get() + " of " + n + " started");
        }
      }
    }
    Arrays.sort(latencies);
    long[] floor = measureNotifyFloor(n);
    BenchResult.Pickup pickup =
        new BenchResult.Pickup(
            n,
            options.pickupRate(),
            millis(percentile(latencies, 50)),
            millis(percentile(latencies, 95)),
            millis(percentile(latencies, 99)),
            millis(latencies[n - 1]),
            millis(percentile(floor, 50)),
            millis(percentile(floor, 99)));
    out.printf(
        Locale.ROOT,
        "B2 pickup: p50 %.2f ms, p95 %.2f ms, p99 %.2f ms, max %.2f ms"
            + " (bare NOTIFY delivery p50 %.2f ms, p99 %.2f ms)%n",
        pickup.p50Millis(),
        pickup.p95Millis(),
        pickup.p99Millis(),
        pickup.maxMillis(),
        pickup.notifyFloorP50Millis(),
        pickup.notifyFloorP99Millis());
    return pickup;
  }

  /**
   * Sends {@code n} bare notifications at B2's rate from one connection and times each from before
   * it is sent to its arrival at a listening connection read by another thread of this JVM. Returns
   * the sorted latencies in nanoseconds.
   */
  private long[] measureNotifyFloor(int n) throws Exception {
    AtomicLongArray sentAt = new AtomicLongArray(n); // written here, read by the listener
    long[] latencies = new long[n];
    AtomicLong received = new AtomicLong();
    CountDownLatch listening = new CountDownLatch(1);
    CountDownLatch done = new CountDownLatch(1);
    try (Connection listen = connect();
        Connection send = connect();
        PreparedStatement notify = send.prepareStatement("SELECT pg_notify('bench_floor', ?)")) {
      Thread reader =
          new Thread(
              () -> {
                try {
                  try (Statement st = listen.createStatement()) {
                    st.execute("LISTEN bench_floor");
                  }
                  listening.countDown();
                  PGConnection pg = listen.unwrap(PGConnection.class);
                  while (received.get() < n && !Thread.currentThread().isInterrupted()) {
                    PGNotification[] batch = pg.getNotifications(500);
                    long now = System.nanoTime();
                    if (batch != null) {
                      for (PGNotification note : batch) {
                        int i = Integer.parseInt(note.getParameter());
                        latencies[i] = now - sentAt.get(i);
                        received.incrementAndGet();
                      }
                    }
                  }
                } catch (SQLException e) {
                  out.println("bare NOTIFY listener failed: " + e.getMessage());
                } finally {
                  listening.countDown();
                  done.countDown();
                }
              },
              "mobvibe-bench-notify-floor");
      reader.setDaemon(true);
      reader.start();
      listening.await();
      long intervalNanos = TimeUnit.SECONDS.toNanos(1) / options.pickupRate();
      long next = System.nanoTime();
      for (int i = 0; i < n; i++) {
        long wait = next - System.nanoTime();
        if (wait > 0) {
          TimeUnit.NANOSECONDS.sleep(wait); // paces the load generator
        }
        notify.setString(1, Integer.toString(i));
        sentAt.set(i, System.nanoTime());
        try (ResultSet rs = notify.executeQuery()) {
          rs.next();
        }
        next += intervalNanos;
      }
      if (!done.await(1, TimeUnit.MINUTES) || received.get() < n) {
        reader.interrupt();
        throw new IllegalStateException(
            "bare NOTIFY: only " + received.get() + " of " + n + " arrived");
      }
    }
    Arrays.sort(latencies);
    return latencies;
  }

  private static void awaitNotifierListening(JobNotifier notifier) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (notifier.state() != NotifierState.LISTENING) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("notifier never started listening: " + notifier.state());
      }
      TimeUnit.MILLISECONDS.sleep(10); // bench set-up only
    }
  }

  private void measureEnqueue(BenchResult.Builder result) throws Exception {
    int batchRows = options.enqueueJobs();
    int singleRows = Math.max(1000, batchRows / 10);
    try (Scratch scratch = scratch(4)) {
      JobQueue queue = scratch.queue();
      DataSource ds = scratch.pool();
      UUID session = queue.enqueue(NewJob.of("bench enqueue session")).sessionId();
      // Warm both paths so neither pays the JIT or statement preparation alone.
      for (int i = 0; i < 500; i++) {
        queue.enqueue(NewJob.builder("warm").sessionId(session).build());
      }
      bareInserts(ds, session, 500);

      // Single and bare inserts alternate in rounds, so drift of a shared machine hits both alike.
      long singleNanos = 0;
      long bareNanos = 0;
      int rounds = 10;
      int perRound = Math.max(100, singleRows / rounds);
      for (int round = 0; round < rounds; round++) {
        long t0 = System.nanoTime();
        for (int i = 0; i < perRound; i++) {
          queue.enqueue(NewJob.builder("single " + i).sessionId(session).build());
        }
        long t1 = System.nanoTime();
        bareInserts(ds, session, perRound);
        long t2 = System.nanoTime();
        singleNanos += t1 - t0;
        bareNanos += t2 - t1;
      }
      double single = rounds * perRound / (singleNanos / 1e9);
      double bare = rounds * perRound / (bareNanos / 1e9);

      long start;
      start = System.nanoTime();
      enqueueInBatches(
          queue, batchRows, i -> NewJob.builder("batch " + i).sessionId(session).build());
      double batch = batchRows / ((System.nanoTime() - start) / 1e9);
      out.printf(
          Locale.ROOT,
          "B4 enqueue: single %.0f/s (bare JDBC insert %.0f/s), batch of 1000 %.0f/s%n",
          single,
          bare,
          batch);
      result.enqueue(single, bare, batch);
    }
  }

  private static void bareInserts(DataSource ds, UUID session, int rows) throws SQLException {
    for (int i = 0; i < rows; i++) {
      try (Connection c = ds.getConnection();
          PreparedStatement ps =
              c.prepareStatement(
                  "INSERT INTO coding_jobs (session_id, prompt, priority) VALUES (?, ?, ?)")) {
        ps.setObject(1, session);
        ps.setString(2, "bare " + i);
        ps.setInt(3, 0);
        ps.executeUpdate();
      }
    }
  }

  private BenchResult.Idle measureIdle() throws Exception {
    Duration poll = Duration.ofMillis(500);
    int intervals = 10;
    try (Scratch scratch = scratch(4)) {
      CountingDataSource counting = new CountingDataSource(scratch.pool());
      JobQueue queue = JobQueue.builder().dataSource(counting).build();
      try (JobProcessor processor =
          JobProcessor.builder(queue, (job, ctx) -> {}).pollInterval(poll).build()) {
        processor.start();
        TimeUnit.MILLISECONDS.sleep(poll.toMillis() / 2); // let start-up statements pass
        long before = counting.executions();
        TimeUnit.MILLISECONDS.sleep(poll.toMillis() * intervals); // the idle window measured
        long statements = counting.executions() - before;
        double perInterval = statements / (double) intervals;
        out.printf(
            Locale.ROOT,
            "Idle: %d statements in %d poll intervals of %d ms (%.2f per interval)%n",
            statements,
            intervals,
            poll.toMillis(),
            perInterval);
        return new BenchResult.Idle(poll.toMillis(), intervals, statements, perInterval);
      }
    }
  }

  private static double percentile(long[] sorted, int p) {
    int index = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
  }

  private static double millis(double nanos) {
    return nanos / 1e6;
  }

  /** Enqueues {@code n} jobs made by {@code job} from their index, 1,000 per statement. */
  private static void enqueueInBatches(JobQueue queue, int n, IntFunction<NewJob> job) {
    for (int done = 0; done < n; done += 1000) {
      int size = Math.min(1000, n - done);
      List<NewJob> jobs = new ArrayList<>(size);
      for (int i = done; i < done + size; i++) {
        jobs.add(job.apply(i));
      }
      queue.enqueueAll(jobs);
    }
  }

  /** A pool on the scratch database and a queue on it; closing closes both. */
  private record Scratch(HikariDataSource pool, JobQueue queue) implements AutoCloseable {
    @Override
    public void close() {
      queue.close();
      pool.close();
    }
  }

  /** A pool of {@code poolSize} on the scratch database with a migrated, empty queue on it. */
  private Scratch scratch(int poolSize) throws SQLException {
    HikariDataSource pool = pool(poolSize);
    JobQueue queue = JobQueue.builder().dataSource(pool).build();
    queue.migrate();
    truncate(pool);
    return new Scratch(pool, queue);
  }

  private static void truncate(DataSource ds) throws SQLException {
    try (Connection c = ds.getConnection();
        Statement st = c.createStatement()) {
      st.execute("TRUNCATE coding_jobs, session_events, coding_sessions");
      st.execute("VACUUM ANALYZE coding_jobs");
    }
  }

  private Map<String, Object> machineFacts() throws SQLException {
    String version;
    try (Connection c = connect();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SHOW server_version")) {
      rs.next();
      version = rs.getString(1);
    }
    Map<String, Object> facts = new LinkedHashMap<>(); // in this order in the JSON
    facts.put("cpus", Runtime.getRuntime().availableProcessors());
    facts.put("java", System.getProperty("java.version"));
    facts.put(
        "jvmArgs", String.join(" ", ManagementFactory.getRuntimeMXBean().getInputArguments()));
    facts.put("maxHeapMb", Runtime.getRuntime().maxMemory() >> 20);
    facts.put("postgres", version);
    facts.put("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
    return facts;
  }

  private HikariDataSource pool(int size) {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(scratchUrl.jdbcUrl());
    scratchUrl.user().ifPresent(config::setUsername);
    scratchUrl.password().ifPresent(config::setPassword);
    config.setMaximumPoolSize(size);
    config.setPoolName("mobvibe-bench");
    return new HikariDataSource(config);
  }

  private Connection connect() throws SQLException {
    return DriverManager.getConnection(scratchUrl.jdbcUrl(), scratchUrl.connectionProperties());
  }

  private Connection connectAdmin() throws SQLException {
    return DriverManager.getConnection(admin.jdbcUrl(), admin.connectionProperties());
  }

  private void createScratch() throws SQLException {
    scratchName = "mobvibe_bench_" + UUID.randomUUID().toString().substring(0, 8);
    try (Connection c = connectAdmin();
        Statement st = c.createStatement()) {
      st.execute("CREATE DATABASE " + scratchName);
    }
    scratchUrl = admin.withDatabase(scratchName);
    out.println("scratch database " + scratchName);
  }

  private void dropScratch() {
    try (Connection c = connectAdmin();
        Statement st = c.createStatement()) {
      st.execute("DROP DATABASE IF EXISTS " + scratchName + " WITH (FORCE)");
    } catch (SQLException e) {
      out.println("could not drop scratch database " + scratchName + ": " + e.getMessage());
    }
  }

  /** Samples this JVM's resident set and heap every 20 ms. */
  private static final class MemorySampler {
    private final Thread thread;
    private volatile boolean running = true;
    private volatile long peakRss;
    private volatile long peakHeap;

    MemorySampler() {
      thread = new Thread(this::run, "mobvibe-bench-memory");
      thread.setDaemon(true);
    }

    void start() {
      thread.start();
    }

    void stop() throws InterruptedException {
      running = false;
      thread.join();
    }

    long peakRss() {
      return peakRss;
    }

    long peakHeap() {
      return peakHeap;
    }

    private void run() {
      var memory = ManagementFactory.getMemoryMXBean();
      while (running) {
        peakHeap = Math.max(peakHeap, memory.getHeapMemoryUsage().getUsed());
        peakRss = Math.max(peakRss, rss());
        try {
          TimeUnit.MILLISECONDS.sleep(20); // sampling period
        } catch (InterruptedException e) {
          return;
        }
      }
    }

    private static long rss() {
      try {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
          if (line.startsWith("VmRSS:")) {
            return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
          }
        }
      } catch (IOException | RuntimeException e) {
        return -1;
      }
      return -1;
    }
  }
}
