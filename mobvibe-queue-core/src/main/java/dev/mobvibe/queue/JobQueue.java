package dev.mobvibe.queue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.mobvibe.queue.internal.Identifiers;
import dev.mobvibe.queue.internal.Interceptors;
import dev.mobvibe.queue.internal.Jdbc;
import dev.mobvibe.queue.internal.JobStore;
import dev.mobvibe.queue.internal.JsonMappers;
import dev.mobvibe.queue.internal.QueueSchema;
import dev.mobvibe.queue.internal.ScheduleStore;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;

/**
 * The job queue: enqueue, claim, complete, fail, cancel and replay jobs stored in PostgreSQL, and
 * read statistics. This is the seed worker's {@code JobQueue} in Java form, plus batching,
 * transactional enqueue, delayed jobs, idempotency keys and backoff.
 *
 * <pre>{@code
 * try (JobQueue queue = JobQueue.builder().jdbcUrl("postgresql://postgres@127.0.0.1/app").build()) {
 *   queue.migrate();
 *   Job job = queue.enqueue(NewJob.builder("Build a todo app").tier(PlanTier.PRO).build());
 *   queue.claimNextJob().ifPresent(claimed -> queue.completeJob(claimed.id()));
 * }
 * }</pre>
 *
 * <p>Thread-safe. {@code JobQueue} starts no thread of its own (the polling notifier behind {@link
 * #subscribeToNewJobs} starts one at the first subscription). Every state change is one statement,
 * conditional on the state it expects, so a late or duplicate call changes nothing and says so.
 * Database failures surface as {@link QueueException}; bad arguments as {@link
 * IllegalArgumentException} or {@link NullPointerException} before anything is written.
 */
public final class JobQueue implements AutoCloseable {

  /** Schema used unless set: {@code public}. */
  public static final String DEFAULT_SCHEMA = "public";

  /** Lease taken by {@link #claimNextJob()} and {@link #claimJobs(int)} unless set: 30 minutes. */
  public static final Duration DEFAULT_CLAIM_LEASE = Duration.ofMinutes(30);

  /** Pool size of a pool the queue creates from a URL, unless set: 10. */
  public static final int DEFAULT_MAX_POOL_SIZE = 10;

  /**
   * How long one statement of the queue (and of its processors) may run before the driver cancels
   * it, unless set: 30 seconds.
   */
  public static final Duration DEFAULT_STATEMENT_TIMEOUT = Duration.ofSeconds(30);

  /** How long opening a connection of a pool the queue creates may take, unless set: 10 seconds. */
  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);

  /**
   * How long a connection of a pool the queue creates may wait for the server's next bytes, unless
   * set: 60 seconds. This is what ends a statement on a half-open connection (after a failover, or
   * a peer that vanished), which no cancel request can reach.
   */
  public static final Duration DEFAULT_SOCKET_TIMEOUT = Duration.ofSeconds(60);

  /** The most jobs one {@link #enqueueAll} or {@link #claimJobs} call takes: 10,000. */
  public static final int MAX_BATCH_SIZE = 10_000;

  private final JobStore store;
  private final String schema;
  private final RetryPolicy retryPolicy;
  private final ObjectMapper objectMapper;
  private final JobNotifier notifier;
  private final boolean ownsNotifier;
  private final HikariDataSource ownedPool;
  private final Duration claimLease;
  private final String claimOwner;
  private final List<EnqueueInterceptor> enqueueInterceptors;
  private final AtomicBoolean closed = new AtomicBoolean();

  private JobQueue(Builder b, DataSource dataSource, HikariDataSource ownedPool) {
    this.schema = b.schema;
    this.objectMapper = b.objectMapper != null ? b.objectMapper : defaultObjectMapper();
    this.store = new JobStore(new Jdbc(dataSource, b.statementTimeout), b.schema, objectMapper);
    this.retryPolicy = b.retryPolicy;
    this.ownsNotifier = b.notifier == null;
    this.notifier = ownsNotifier ? JobNotifier.polling(b.pollInterval) : b.notifier;
    this.ownedPool = ownedPool;
    this.claimLease = b.claimLease;
    this.claimOwner = "queue-" + defaultWorkerId();
    this.enqueueInterceptors = List.copyOf(b.enqueueInterceptors);
  }

  /**
   * Starts a builder.
   *
   * @return a builder with every default
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Applies the schema migrations that this database lacks, in one transaction under an advisory
   * lock: safe to call from every process at start-up, and a no-op when up to date. Creates the
   * seed's tables and functions where missing and upgrades a seed-era database additively. On a
   * database whose tables already hold data, the columns and indexes a migration adds are first
   * added online (indexes built {@code CONCURRENTLY}, outside any transaction), so live writers are
   * not blocked while they build; this one-time step needs a direct or session-pooled connection. A
   * user's own CHECK constraints on {@code coding_jobs} are kept.
   *
   * @return what was applied
   * @throws QueueException if the database refuses
   */
  public MigrationReport migrate() {
    checkOpen();
    return new QueueSchema(schema).migrate(store.jdbc());
  }

  /**
   * Returns the schema version of the database, 0 when it was never migrated by the SDK.
   *
   * @return the applied version
   */
  public int schemaVersion() {
    checkOpen();
    return new QueueSchema(schema).currentVersion(store.jdbc());
  }

  /**
   * Enqueues one job in its own transaction. With an idempotency key that already exists, or a
   * unique job ({@link NewJob.Builder#unique}) whose key another job holds, returns the existing
   * job and writes nothing.
   *
   * @param job the job
   * @return the stored job
   * @throws NullPointerException if the job is null
   * @throws QueueException if the database refuses, for example an unknown session id, or a job
   *     without a session on a database whose {@code coding_sessions} requires columns the queue
   *     cannot fill (a seed database's {@code user_id}): the message names the column; create the
   *     session and pass its id with {@link NewJob.Builder#sessionId}
   */
  public Job enqueue(NewJob job) {
    Objects.requireNonNull(job, "job must not be null");
    return enqueueAll(List.of(job)).get(0);
  }

  /**
   * Enqueues one job on the caller's connection, inside the caller's transaction: the job exists
   * exactly when the caller commits. The connection is never committed, rolled back or closed.
   *
   * @param connection an open connection to the queue's database
   * @param job the job
   * @return the stored job (visible to others once the caller commits)
   * @throws NullPointerException if an argument is null
   * @throws QueueException if the database refuses
   */
  public Job enqueue(Connection connection, NewJob job) {
    Objects.requireNonNull(job, "job must not be null");
    return enqueueAll(connection, List.of(job)).get(0);
  }

  /**
   * Enqueues many jobs in one statement and one transaction: all or none.
   *
   * @param jobs 1 to {@link #MAX_BATCH_SIZE} jobs
   * @return the stored jobs, in the order given
   * @throws IllegalArgumentException if the list is empty, too long or holds null
   * @throws QueueException if the database refuses; then nothing was written
   */
  public List<Job> enqueueAll(List<NewJob> jobs) {
    checkBatch(jobs);
    checkOpen();
    if (enqueueInterceptors.isEmpty()) {
      // One statement inserts every job and session, so auto-commit is atomic and saves a COMMIT.
      return store.jdbc().withConnection("enqueue jobs", c -> insert(c, jobs));
    }
    // An interceptor may fail after the insert: one transaction keeps the enqueue all or none.
    return store.jdbc().inTransaction("enqueue jobs", c -> intercepted(c, jobs));
  }

  /**
   * Enqueues many jobs in one statement on the caller's connection, inside the caller's
   * transaction. The connection is never committed, rolled back or closed.
   *
   * @param connection an open connection to the queue's database
   * @param jobs 1 to {@link #MAX_BATCH_SIZE} jobs
   * @return the stored jobs, in the order given
   * @throws IllegalArgumentException if the list is empty, too long or holds null
   * @throws QueueException if the database refuses
   */
  public List<Job> enqueueAll(Connection connection, List<NewJob> jobs) {
    Objects.requireNonNull(connection, "connection must not be null");
    checkBatch(jobs);
    checkOpen();
    if (!enqueueInterceptors.isEmpty()) {
      return intercepted(connection, jobs);
    }
    return insert(connection, jobs);
  }

  /** Inserts on this connection; a seed database's required session columns get a clear error. */
  private List<Job> insert(Connection connection, List<NewJob> jobs) {
    try {
      return store.insert(connection, jobs);
    } catch (SQLException e) {
      throw Jdbc.translateEnqueue("enqueue jobs", e);
    }
  }

  /** Runs the enqueue interceptors around the insert on this connection. */
  private List<Job> intercepted(Connection connection, List<NewJob> jobs) {
    return Interceptors.enqueue(enqueueInterceptors, jobs, batch -> insert(connection, batch));
  }

  private static void checkBatch(List<NewJob> jobs) {
    Objects.requireNonNull(jobs, "jobs must not be null");
    if (jobs.isEmpty()) {
      throw new IllegalArgumentException("jobs must not be empty");
    }
    if (jobs.size() > MAX_BATCH_SIZE) {
      throw new IllegalArgumentException(
          "at most " + MAX_BATCH_SIZE + " jobs per call, got " + jobs.size());
    }
    for (int i = 0; i < jobs.size(); i++) {
      if (jobs.get(i) == null) {
        throw new IllegalArgumentException("jobs[" + i + "] must not be null");
      }
    }
  }

  /**
   * Claims the next due coding-session job: highest priority first, oldest first within a priority,
   * skipping jobs other workers hold. Its session becomes {@code active} (with a {@code
   * state_changed} session event). The job becomes {@code processing} with a lease of the builder's
   * {@code claimLease}; finish it with {@link #completeJob} or {@link #failJob} before the lease
   * lapses, or a processor's reaper will count the attempt as lost and run it again.
   *
   * @return the claimed job, or empty when none is due
   */
  public Optional<Job> claimNextJob() {
    return claimJobs(1).stream().findFirst();
  }

  /**
   * Claims up to {@code max} due coding-session jobs in one statement, in claim order.
   *
   * @param max 1 to {@link #MAX_BATCH_SIZE}
   * @return the claimed jobs, possibly none
   * @throws IllegalArgumentException if {@code max} is out of range
   */
  public List<Job> claimJobs(int max) {
    return claimJobs(List.of(NewJob.CODING_SESSION_KIND), max);
  }

  /**
   * Claims up to {@code max} due jobs of the given kinds in one statement, in claim order: highest
   * priority first, oldest first. The sessions of claimed coding sessions become {@code active}.
   *
   * @param kinds the kinds to claim, at least one
   * @param max 1 to {@link #MAX_BATCH_SIZE}
   * @return the claimed jobs, possibly none
   * @throws IllegalArgumentException if {@code max} is out of range or a kind is not valid
   */
  public List<Job> claimJobs(Collection<String> kinds, int max) {
    Objects.requireNonNull(kinds, "kinds must not be null");
    if (kinds.isEmpty()) {
      throw new IllegalArgumentException("kinds must not be empty");
    }
    kinds.forEach(NewJob::checkKind);
    if (max < 1 || max > MAX_BATCH_SIZE) {
      throw new IllegalArgumentException(
          "max must be between 1 and " + MAX_BATCH_SIZE + ", was " + max);
    }
    checkOpen();
    return store.claim(
        claimOwner, List.copyOf(kinds), max, claimLease, SessionTracking.STATUS_AND_EVENTS);
  }

  /**
   * Marks a processing job completed, and its session completed with a {@code state_changed}
   * session event.
   *
   * @param jobId the job
   * @return {@code true} if this call completed it; {@code false} if the job was not processing
   *     (already completed, failed, cancelled, or pending again), in which case nothing changed
   * @throws JobNotFoundException if no job has this id
   */
  public boolean completeJob(UUID jobId) {
    Objects.requireNonNull(jobId, "jobId must not be null");
    checkOpen();
    JobStore.Change change = store.complete(jobId);
    if (change.previous() == null) {
      throw new JobNotFoundException(jobId);
    }
    return change.changed();
  }

  /**
   * Records a failed attempt of a processing job. While attempts remain the job returns to pending
   * after the retry policy's backoff; after its last attempt it becomes {@code failed} (the dead
   * letter) and its session is marked failed with the same message.
   *
   * @param jobId the job
   * @param errorMessage what went wrong (stored, truncated to 10,000 characters)
   * @return {@code true} if the job will be retried, {@code false} if it went to the dead letter
   * @throws JobNotFoundException if no job has this id
   * @throws IllegalStateException if the job is not processing; nothing changed
   */
  public boolean failJob(UUID jobId, String errorMessage) {
    return fail(jobId, errorMessage, true);
  }

  /**
   * Sends a processing job straight to the dead letter, whatever attempts it has left, and marks
   * its session failed. For failures that a retry cannot fix.
   *
   * @param jobId the job
   * @param errorMessage what went wrong
   * @throws JobNotFoundException if no job has this id
   * @throws IllegalStateException if the job is not processing; nothing changed
   */
  public void failJobPermanently(UUID jobId, String errorMessage) {
    fail(jobId, errorMessage, false);
  }

  private boolean fail(UUID jobId, String errorMessage, boolean retryable) {
    Objects.requireNonNull(jobId, "jobId must not be null");
    Objects.requireNonNull(errorMessage, "errorMessage must not be null");
    checkOpen();
    Duration[] delays = new Duration[NewJob.MAX_ATTEMPTS_LIMIT];
    for (int i = 0; i < delays.length; i++) {
      delays[i] = retryPolicy.backoff(i + 1);
    }
    JobStore.FailOutcome outcome = store.fail(jobId, errorMessage, retryable, delays, null, null);
    if (outcome.previous() == null) {
      throw new JobNotFoundException(jobId);
    }
    if (outcome.next() == null) {
      throw new IllegalStateException(
          "job "
              + jobId
              + " is "
              + outcome.previous().dbValue()
              + ", not processing; nothing was changed");
    }
    return outcome.next() == JobStatus.PENDING;
  }

  /**
   * Cancels a pending or processing job. A processor running it sees the cancellation at its next
   * lease extension and signals the handler; its late outcome is then ignored.
   *
   * @param jobId the job
   * @return {@code true} if this call cancelled it; {@code false} if it had already finished
   * @throws JobNotFoundException if no job has this id
   */
  public boolean cancelJob(UUID jobId) {
    Objects.requireNonNull(jobId, "jobId must not be null");
    checkOpen();
    JobStore.Change change = store.cancel(jobId);
    if (change.previous() == null) {
      throw new JobNotFoundException(jobId);
    }
    return change.changed();
  }

  /**
   * Returns a dead-lettered ({@code failed}) job to pending with fresh attempts, due now, and its
   * session from failed to pending. The error history is kept.
   *
   * @param jobId the job
   * @return {@code true} if this call replayed it; {@code false} if it was not failed
   * @throws JobNotFoundException if no job has this id
   * @throws UniqueViolationException if the job is unique ({@link UniqueOptions}) and another job
   *     holds its key by now; the job stays failed
   */
  public boolean replayJob(UUID jobId) {
    Objects.requireNonNull(jobId, "jobId must not be null");
    checkOpen();
    JobStore.Change change = store.replay(jobId);
    if (change.previous() == null) {
      throw new JobNotFoundException(jobId);
    }
    return change.changed();
  }

  /**
   * Pauses a kind across the cluster: from the commit on, no worker claims its jobs (jobs already
   * running finish), and the seed's {@code claim_next_job()} skips it too when it is {@value
   * NewJob#CODING_SESSION_KIND}. Enqueueing goes on: the jobs wait, pending, until {@link
   * #resumeKind}. The pause is a row in {@code coding_job_kinds}, so it outlives every worker.
   *
   * @param kind the kind, which need not have jobs or handlers yet
   * @return {@code true} if it was running, {@code false} if it was paused already
   * @throws IllegalArgumentException if the kind is not a valid kind name
   * @throws QueueException if the database cannot be reached
   */
  public boolean pauseKind(String kind) {
    NewJob.checkKind(kind);
    checkOpen();
    return store.pauseKind(kind, claimOwner);
  }

  /**
   * Resumes a paused kind. Workers claim its jobs again at their next claim: at once with a
   * notifier that signals new jobs, else within their poll interval.
   *
   * @param kind the kind
   * @return {@code true} if it was paused, {@code false} if it was running already
   * @throws IllegalArgumentException if the kind is not a valid kind name
   * @throws QueueException if the database cannot be reached
   */
  public boolean resumeKind(String kind) {
    NewJob.checkKind(kind);
    checkOpen();
    return store.resumeKind(kind);
  }

  /**
   * The kinds paused across the cluster, in name order, with the time each was paused.
   *
   * @return an unmodifiable map of kind to the time it was paused; empty when none is
   * @throws QueueException if the database cannot be reached
   */
  public Map<String, Instant> pausedKinds() {
    checkOpen();
    return store.pausedKinds();
  }

  /**
   * Reads one job with its error history.
   *
   * @param jobId the job
   * @return the job, or empty if no job has this id
   */
  public Optional<Job> findJob(UUID jobId) {
    Objects.requireNonNull(jobId, "jobId must not be null");
    checkOpen();
    return store.find(jobId);
  }

  /**
   * Lists the most recently created jobs, newest first.
   *
   * @param status only jobs in this status, or {@code null} for every status
   * @param limit 1 to 1,000
   * @return the jobs
   * @throws IllegalArgumentException if the limit is out of range
   */
  public List<Job> listJobs(@Nullable JobStatus status, int limit) {
    if (limit < 1 || limit > 1000) {
      throw new IllegalArgumentException("limit must be between 1 and 1000, was " + limit);
    }
    checkOpen();
    return store.listRecent(status, limit);
  }

  /**
   * Reads the queue statistics: the seed's counts and oldest pending age, plus cancelled, delayed
   * and expired-lease counts, pending jobs per plan tier and the counts per job kind ({@link
   * QueueStats#byKind()}). On a table of at most {@link QueueStats#EXACT_UP_TO_ROWS} rows (by the
   * planner's statistics) every figure is counted in one statement. On a larger table the whole
   * table is not read: pending and processing figures are counted through their partial indexes, a
   * finished status with at most {@link QueueStats#EXACT_FINISHED_UP_TO} jobs is counted through
   * the finished index, and a larger one is estimated from a block sample scaled by the planner's
   * row count; {@link QueueStats#estimatedStatuses()} names the estimated ones.
   *
   * @return the statistics
   */
  public QueueStats getQueueStats() {
    checkOpen();
    return store
        .statsAtSize(QueueStats.EXACT_UP_TO_ROWS, QueueStats.EXACT_FINISHED_UP_TO)
        .orElseGet(store::stats);
  }

  /**
   * Deletes completed and cancelled jobs that finished more than {@code olderThan} ago, in batches
   * of at most 10,000 rows per statement. Failed jobs are kept for replay. Keeps the hot table
   * small; statistics then count only the jobs kept.
   *
   * @param olderThan the age past which finished jobs are deleted; not negative
   * @return how many jobs were deleted
   */
  public long pruneFinishedJobs(Duration olderThan) {
    return prune(olderThan, 10_000, store::pruneFinished);
  }

  /**
   * Deletes dead letters (failed jobs) that failed more than {@code olderThan} ago, in batches of
   * at most 1,000 rows per statement that skip rows another transaction holds (a replay in
   * progress). Their sessions and session events are kept. A processor does this by itself (see
   * {@link JobProcessorBuilder#retention}); this is the one-off form.
   *
   * @param olderThan the age past which dead letters are deleted; not negative
   * @return how many jobs were deleted
   * @throws IllegalArgumentException if {@code olderThan} is negative
   */
  public long pruneDeadLetters(Duration olderThan) {
    return prune(olderThan, 1_000, store::pruneFailed);
  }

  /** One bounded delete of rows older than an age: how many it deleted. */
  @FunctionalInterface
  private interface BatchPrune {
    int delete(Duration olderThan, int limit);
  }

  /** Runs a bounded delete until a batch comes back short, and returns the rows deleted. */
  private long prune(Duration olderThan, int batch, BatchPrune delete) {
    Objects.requireNonNull(olderThan, "olderThan must not be null");
    if (olderThan.isNegative()) {
      throw new IllegalArgumentException("olderThan must not be negative, was " + olderThan);
    }
    checkOpen();
    long total = 0;
    int deleted;
    do {
      deleted = delete.delete(olderThan, batch);
      total += deleted;
    } while (deleted == batch);
    return total;
  }

  /**
   * Lists the recurring jobs the workers registered ({@link JobProcessorBuilder#schedule}), by
   * name, with the newest tick enqueued, its job and the next tick. A schedule no worker registers
   * any more stays listed until its row is deleted.
   *
   * @return the schedules, possibly none
   * @throws QueueException if the database refuses (before migration 4, the table is missing)
   */
  public List<RegisteredSchedule> schedules() {
    checkOpen();
    return new ScheduleStore(store.jdbc(), schema).list();
  }

  /**
   * Subscribes to "new jobs may be waiting" signals from the queue's {@link JobNotifier}, the
   * seed's {@code subscribeToNewJobs}. What arrives depends on the notifier:
   *
   * <ul>
   *   <li>With a push notifier set through {@link Builder#notifier} ({@code PgNotifier} or {@code
   *       SupabaseRealtimeNotifier} from the realtime module): one {@link
   *       JobSignal.Source#NOTIFICATION} signal per inserted job, with its id, session and
   *       priority, plus one {@link JobSignal.Source#RECONNECT} signal each time the notifier
   *       (re)connects, since jobs may have been inserted while it was away.
   *   <li>Without one (the default): {@link JobSignal.Source#POLL} ticks at the builder's {@link
   *       Builder#pollInterval}, which carry no job id and say only "look now". Core has no way to
   *       hear inserts by itself.
   * </ul>
   *
   * <p>The queue starts no thread of its own: the default polling notifier starts its timer thread
   * at the first subscription and stops it when the queue is closed.
   *
   * @param listener called on the notifier's thread; must return quickly
   * @return a handle that unsubscribes
   * @throws NullPointerException if the listener is null
   * @throws IllegalStateException if the queue is closed
   */
  public Subscription subscribeToNewJobs(Consumer<JobSignal> listener) {
    Objects.requireNonNull(listener, "listener must not be null");
    checkOpen();
    return notifier.subscribe(listener);
  }

  /**
   * Returns the schema this queue works in.
   *
   * @return the schema name
   */
  public String schema() {
    return schema;
  }

  /**
   * Returns the data source the queue uses: the caller's, or the pool it created.
   *
   * @return the data source
   */
  public DataSource dataSource() {
    return store.jdbc().dataSource();
  }

  /**
   * Returns the retry policy.
   *
   * @return the policy
   */
  public RetryPolicy retryPolicy() {
    return retryPolicy;
  }

  JobStore store() {
    return store;
  }

  /**
   * Returns the Jackson mapper of this queue: the one given to {@link Builder#objectMapper}, or the
   * default. It writes job arguments, session event data and job output, and decodes the arguments
   * of typed handlers; tools that do the same outside a processor (the test kit's drain, for one)
   * use it so that their JSON matches the queue's. The mapper is shared, not copied: read and write
   * with it, never reconfigure it.
   *
   * @return the mapper
   */
  public ObjectMapper objectMapper() {
    return objectMapper;
  }

  /**
   * The default mapper of {@link Builder#objectMapper}: Jackson's defaults plus the {@code
   * java.time} module, with dates, times and durations written as ISO-8601 strings.
   */
  static ObjectMapper defaultObjectMapper() {
    return JsonMappers.standard();
  }

  /**
   * Closes what the queue created: its polling notifier and, when built from a URL, its connection
   * pool. A caller's data source and notifier are left open. Idempotent.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    if (ownsNotifier) {
      notifier.close();
    }
    if (ownedPool != null) {
      ownedPool.close();
    }
  }

  private void checkOpen() {
    if (closed.get()) {
      throw new IllegalStateException("JobQueue is closed");
    }
  }

  static String defaultWorkerId() {
    String host;
    try {
      host = InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      host = "unknown-host";
    }
    long pid = ProcessHandle.current().pid();
    String random = UUID.randomUUID().toString().substring(0, 8);
    // Host names may hold characters a worker id may not, or be long: keep a valid id.
    String safeHost = host.replaceAll("[^A-Za-z0-9._:-]", "-");
    safeHost = safeHost.substring(0, Math.min(safeHost.length(), 60));
    return safeHost + "-" + pid + "-" + random;
  }

  /** Builds a {@link JobQueue}; every check happens in {@link #build()}. Not thread-safe. */
  public static final class Builder {
    private DataSource dataSource;
    private String url;
    private String username;
    private String password;
    private String schema = DEFAULT_SCHEMA;
    private RetryPolicy retryPolicy = RetryPolicy.defaultPolicy();
    private ObjectMapper objectMapper;
    private JobNotifier notifier;
    private Duration pollInterval = JobNotifier.DEFAULT_POLL_INTERVAL;
    private int maxPoolSize = DEFAULT_MAX_POOL_SIZE;
    private Duration claimLease = DEFAULT_CLAIM_LEASE;
    private Duration statementTimeout = DEFAULT_STATEMENT_TIMEOUT;
    private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
    private Duration socketTimeout = DEFAULT_SOCKET_TIMEOUT;
    private final List<EnqueueInterceptor> enqueueInterceptors = new ArrayList<>();

    private Builder() {}

    /**
     * Uses the caller's data source (for example the application's pool). The queue does not close
     * it. Set this or {@link #jdbcUrl}, not both.
     *
     * @param dataSource the data source
     * @return this builder
     */
    public Builder dataSource(DataSource dataSource) {
      this.dataSource = dataSource;
      return this;
    }

    /**
     * Connects with a URL; the queue creates a HikariCP pool and closes it in {@link #close()}.
     * Accepts {@code jdbc:postgresql://host:port/db} and {@code postgresql://user:pass@host/db}
     * (the form Supabase shows). Set this or {@link #dataSource}, not both.
     *
     * @param url the connection URL
     * @return this builder
     */
    public Builder jdbcUrl(String url) {
      this.url = url;
      return this;
    }

    /**
     * Sets the database user, overriding one in the URL.
     *
     * @param username the user
     * @return this builder
     */
    public Builder username(String username) {
      this.username = username;
      return this;
    }

    /**
     * Sets the database password, overriding one in the URL. Never logged.
     *
     * @param password the password
     * @return this builder
     */
    public Builder password(String password) {
      this.password = password;
      return this;
    }

    /**
     * Sets the schema of the queue's tables. Default {@value #DEFAULT_SCHEMA}. Must be a plain
     * lower-case identifier.
     *
     * @param schema the schema name
     * @return this builder
     */
    public Builder schema(String schema) {
      this.schema = schema;
      return this;
    }

    /**
     * Sets the backoff between attempts for {@link #failJob}. Default {@link
     * RetryPolicy#defaultPolicy()} (1 s base, factor 2, 10 min cap, full jitter).
     *
     * @param retryPolicy the policy
     * @return this builder
     */
    public Builder retryPolicy(RetryPolicy retryPolicy) {
      this.retryPolicy = retryPolicy;
      return this;
    }

    /**
     * Sets the Jackson mapper that serializes the data of session events ({@link
     * JobContext#emitEvent}) in the processors of this queue. The mapper is used as given, not
     * copied: configure it fully before building, and change it no more afterwards (Jackson mappers
     * are thread-safe only then). The rules of {@code emitEvent} (a JSON object, NUL replaced, at
     * most {@link JobContext#MAX_EVENT_DATA_BYTES}) hold whatever the mapper.
     *
     * <p>Default: a mapper with Jackson's defaults plus the {@code java.time} module ({@code
     * jackson-datatype-jsr310}), writing {@code Instant}, {@code LocalDate}, {@code
     * OffsetDateTime}, {@code Duration} and the other {@code java.time} values as ISO-8601 strings
     * ({@code "2025-03-01T12:00:00Z"}, {@code "2025-03-01"}, {@code "PT1.5S"}), not as numbers.
     *
     * @param objectMapper the mapper, or {@code null} for the default
     * @return this builder
     */
    public Builder objectMapper(@Nullable ObjectMapper objectMapper) {
      this.objectMapper = objectMapper;
      return this;
    }

    /**
     * Sets the notifier behind {@link #subscribeToNewJobs}. The caller keeps ownership and closes
     * it. Default: a polling notifier at {@link #pollInterval}, closed with the queue.
     *
     * @param notifier the notifier
     * @return this builder
     */
    public Builder notifier(JobNotifier notifier) {
      this.notifier = notifier;
      return this;
    }

    /**
     * Sets the tick of the default polling notifier. Default 10 seconds.
     *
     * @param pollInterval a positive interval
     * @return this builder
     */
    public Builder pollInterval(Duration pollInterval) {
      this.pollInterval = pollInterval;
      return this;
    }

    /**
     * Sets the size of the pool created from {@link #jdbcUrl}. Default {@value
     * #DEFAULT_MAX_POOL_SIZE}.
     *
     * @param maxPoolSize 1 to 1,000
     * @return this builder
     */
    public Builder maxPoolSize(int maxPoolSize) {
      this.maxPoolSize = maxPoolSize;
      return this;
    }

    /**
     * Sets the lease that {@link #claimNextJob()} and {@link #claimJobs(int)} take. Default 30
     * minutes. (A {@link JobProcessor} uses its own, shorter lease and renews it.)
     *
     * @param claimLease a positive duration
     * @return this builder
     */
    public Builder claimLease(Duration claimLease) {
      this.claimLease = claimLease;
      return this;
    }

    /**
     * Sets how long one statement of the queue and of its processors may run before the driver
     * cancels it (a cancel request on a second connection; the statement then fails with SQLState
     * {@code 57014}). Applies whatever the data source. Migrations have no limit. Default 30
     * seconds; whole seconds, rounded up.
     *
     * @param statementTimeout zero for no limit, or positive
     * @return this builder
     */
    public Builder statementTimeout(Duration statementTimeout) {
      this.statementTimeout = statementTimeout;
      return this;
    }

    /**
     * Sets how long opening a connection may take, for the pool created from {@link #jdbcUrl}
     * (pgjdbc's {@code connectTimeout}). With your own {@link #dataSource}, set it there. Default
     * 10 seconds; whole seconds, rounded up.
     *
     * @param connectTimeout positive
     * @return this builder
     */
    public Builder connectTimeout(Duration connectTimeout) {
      this.connectTimeout = connectTimeout;
      return this;
    }

    /**
     * Sets how long a connection of the pool created from {@link #jdbcUrl} may wait for the
     * server's next bytes before it gives up on the connection (pgjdbc's {@code socketTimeout}).
     * This is what ends a statement on a half-open connection after a failover, when no cancel
     * request can get through; TCP keepalive is turned on as well. Keep it above the statement
     * timeout. With your own {@link #dataSource}, set both there. Default 60 seconds; whole
     * seconds, rounded up.
     *
     * @param socketTimeout zero for none (not recommended), or positive
     * @return this builder
     */
    public Builder socketTimeout(Duration socketTimeout) {
      this.socketTimeout = socketTimeout;
      return this;
    }

    /**
     * Adds an interceptor around every enqueue of the queue, with or without the caller's
     * connection: for example one that puts a trace context into each job's {@link
     * NewJob#metadata()}. May be called more than once; the first interceptor added is the
     * outermost. Default none, and then an enqueue costs nothing extra. With interceptors, an
     * enqueue without the caller's connection runs in a transaction of its own (one more round
     * trip, for the {@code COMMIT}), so a failing interceptor leaves nothing written. See {@link
     * EnqueueInterceptor} for what an interceptor must do.
     *
     * @param interceptor the interceptor; must be thread-safe
     * @return this builder
     * @throws NullPointerException if the interceptor is null
     */
    public Builder enqueueInterceptor(EnqueueInterceptor interceptor) {
      enqueueInterceptors.add(
          Objects.requireNonNull(interceptor, "enqueueInterceptor must not be null"));
      return this;
    }

    /**
     * Checks the settings and builds the queue. When built from a URL the pool is created here, but
     * no connection is required until the first call.
     *
     * @return the queue
     * @throws IllegalArgumentException naming the first setting that is wrong
     */
    public JobQueue build() {
      Identifiers.checkSchema(schema);
      Objects.requireNonNull(retryPolicy, "retryPolicy must not be null");
      if (pollInterval == null || pollInterval.isZero() || pollInterval.isNegative()) {
        throw new IllegalArgumentException("pollInterval must be positive, was " + pollInterval);
      }
      if (claimLease == null || claimLease.isZero() || claimLease.isNegative()) {
        throw new IllegalArgumentException("claimLease must be positive, was " + claimLease);
      }
      if (statementTimeout == null || statementTimeout.isNegative()) {
        throw new IllegalArgumentException(
            "statementTimeout must be zero or positive, was " + statementTimeout);
      }
      if (connectTimeout == null || connectTimeout.isZero() || connectTimeout.isNegative()) {
        throw new IllegalArgumentException(
            "connectTimeout must be positive, was " + connectTimeout);
      }
      if (socketTimeout == null || socketTimeout.isNegative()) {
        throw new IllegalArgumentException(
            "socketTimeout must be zero or positive, was " + socketTimeout);
      }
      if (maxPoolSize < 1 || maxPoolSize > 1000) {
        throw new IllegalArgumentException(
            "maxPoolSize must be between 1 and 1000, was " + maxPoolSize);
      }
      if ((dataSource == null) == (url == null)) {
        throw new IllegalArgumentException("set exactly one of dataSource or jdbcUrl");
      }
      if (dataSource != null) {
        return new JobQueue(this, dataSource, null);
      }
      DatabaseUrl parsed = DatabaseUrl.parse(url).withCredentials(username, password);
      HikariConfig config = new HikariConfig();
      config.setJdbcUrl(parsed.jdbcUrl());
      parsed.user().ifPresent(config::setUsername);
      parsed.password().ifPresent(config::setPassword);
      config.setMaximumPoolSize(maxPoolSize);
      config.setMinimumIdle(Math.min(2, maxPoolSize));
      config.setPoolName("mobvibe-queue-" + schema);
      config.addDataSourceProperty(
          "connectTimeout", String.valueOf(Jdbc.wholeSeconds(connectTimeout)));
      config.addDataSourceProperty(
          "socketTimeout", String.valueOf(Jdbc.wholeSeconds(socketTimeout)));
      config.addDataSourceProperty("tcpKeepAlive", "true");
      // Fail on first use, not here: a worker may start before its database.
      config.setInitializationFailTimeout(-1);
      HikariDataSource pool = new HikariDataSource(config);
      return new JobQueue(this, pool, pool);
    }
  }
}
