package dev.mobvibe.queue;

import dev.mobvibe.queue.internal.QueueSchema;
import dev.mobvibe.queue.internal.engine.Engine;
import dev.mobvibe.queue.internal.engine.EngineSettings;
import dev.mobvibe.queue.internal.engine.Housekeeping;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs jobs from a {@link JobQueue} with a {@link JobHandler}: the worker. One processor per worker
 * process is the usual shape; any number of processors on any number of machines share a queue
 * safely.
 *
 * <pre>{@code
 * JobProcessor processor = JobProcessor.builder(queue, (job, ctx) -> runSession(job))
 *     .concurrency(10)
 *     .build();
 * processor.start();
 * // ... on shutdown:
 * processor.stop();
 * }</pre>
 *
 * <p>Inside, separate parts each do one thing: a producer claims as many jobs as there are free
 * handler slots, in one statement, when a notifier signals, a poll tick passes or a slot frees; the
 * handler slots run jobs; a completer records outcomes (successes batched into one statement); a
 * lease keeper renews the leases of running jobs in one statement; a timeout watcher on its own
 * thread ends attempts that run too long and settles jobs whose lease went unrenewed for the lease
 * plus the reap grace; leases expired for longer than the grace (a crashed worker) are reaped,
 * counting the attempt as failed, as a step of the producer's next claim statement (so an idle
 * worker runs one statement per poll interval); an event writer writes session events in batches.
 * Every write is fenced on this worker's lease.
 *
 * <p>Session lifecycle: when a job is claimed its session becomes {@code active}, on success {@code
 * completed}, on dead letter {@code failed} with a {@code state_changed} session event; see {@link
 * JobProcessorBuilder#sessionTracking} for events on the first two and for turning them off.
 *
 * <p>Lifecycle: {@link #start()} once; {@link #stop()} (or {@link #close()}) stops claiming, waits
 * for running jobs up to the shutdown timeout, then cancels and interrupts them, returns jobs that
 * never started to pending without spending an attempt, flushes outcomes and events, and stops its
 * threads. A second stop does nothing; a start after stop is refused. The processor does not
 * install a JVM shutdown hook: that is the application's choice. Thread-safe.
 */
public final class JobProcessor implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(JobProcessor.class);

  /** Concurrent handlers unless set: 10. */
  public static final int DEFAULT_CONCURRENCY = 10;

  /** Lease length unless set: 60 seconds. Renewed every third of it while the handler runs. */
  public static final Duration DEFAULT_LEASE_DURATION = Duration.ofSeconds(60);

  /** Job timeout unless set: 30 minutes. */
  public static final Duration DEFAULT_JOB_TIMEOUT = Duration.ofMinutes(30);

  /**
   * How long a {@code processing} job without a lease (claimed by a seed-era worker) may run before
   * it is reaped, unless set: 30 minutes.
   */
  public static final Duration DEFAULT_UNLEASED_GRACE = Duration.ofMinutes(30);

  /** Shutdown timeout unless set: 30 seconds (the seed's SHUTDOWN_TIMEOUT_MS). */
  public static final Duration DEFAULT_SHUTDOWN_TIMEOUT = Duration.ofSeconds(30);

  /** What the processor writes to coding sessions unless set: {@link SessionTracking#STATUS}. */
  public static final SessionTracking DEFAULT_SESSION_TRACKING = SessionTracking.STATUS;

  /** Capacity of the session event buffer unless set: 10,000 events. */
  public static final int DEFAULT_EVENT_BUFFER_CAPACITY = 10_000;

  /**
   * How many times a job may snooze ({@link SnoozeJobException}) unless set: 100. A snooze beyond
   * counts as a failed attempt.
   */
  public static final int DEFAULT_MAX_SNOOZES = 100;

  /**
   * How long a due job waits at most before it goes ahead of higher priorities, unless set: 5
   * minutes ({@link JobProcessorBuilder#fairness}).
   */
  public static final Duration DEFAULT_FAIRNESS_BOUND = Duration.ofMinutes(5);

  /** The most jobs a processor buffers beyond its handler slots. */
  public static final int MAX_PREFETCH = 1000;

  /** Auto prefetch buffers at most what the handlers finish in this many milliseconds. */
  public static final long AUTO_PREFETCH_WAIT_MILLIS = 20;

  /**
   * How long completed and cancelled jobs are kept before the processor deletes them, unless set: 7
   * days. See {@link JobProcessorBuilder#retention}.
   */
  public static final Duration DEFAULT_RETENTION_FINISHED = Duration.ofDays(7);

  /**
   * How long dead letters (failed jobs) are kept before the processor deletes them, unless set: 30
   * days. See {@link JobProcessorBuilder#retention}.
   */
  public static final Duration DEFAULT_RETENTION_DEAD_LETTERS = Duration.ofDays(30);

  /** The lifecycle states of a processor. */
  public enum State {
    /** Built, not started. */
    NEW,
    /** Claiming and running jobs. */
    RUNNING,
    /** Stopping: no new claims; running jobs finish or are cancelled. */
    STOPPING,
    /** Stopped for good. */
    STOPPED
  }

  private final JobQueue queue;
  private final EngineSettings settings;
  private final JobNotifier notifier;
  private final Engine engine;
  private final Housekeeping housekeeping;
  private final Object lifecycle = new Object();
  private volatile State state = State.NEW;

  JobProcessor(
      JobQueue queue,
      EngineSettings settings,
      Engine engine,
      JobNotifier notifier,
      Housekeeping housekeeping) {
    this.queue = queue;
    this.settings = settings;
    this.engine = engine;
    this.notifier = notifier;
    this.housekeeping = housekeeping;
  }

  /**
   * Starts a builder for a processor of coding sessions: the seed's jobs, enqueued with a prompt.
   * The same as {@code builder(queue).handler(NewJob.CODING_SESSION_KIND, handler)}.
   *
   * @param queue the queue to work on; the processor does not close it
   * @param handler the handler that runs each coding-session job
   * @return a builder with every default
   */
  public static JobProcessorBuilder builder(JobQueue queue, JobHandler handler) {
    return new JobProcessorBuilder(queue).handler(NewJob.CODING_SESSION_KIND, handler);
  }

  /**
   * Starts a builder with no handler: register one per kind with {@link
   * JobProcessorBuilder#handler(String, Class, ArgsHandler)} or {@link
   * JobProcessorBuilder#handler(String, JobHandler)}. The processor claims only the kinds it has
   * handlers for, so workers with different kinds share one queue.
   *
   * @param queue the queue to work on; the processor does not close it
   * @return a builder with every default and no handler
   */
  public static JobProcessorBuilder builder(JobQueue queue) {
    return new JobProcessorBuilder(queue);
  }

  /**
   * Starts claiming and running jobs. The notifier is subscribed first: if that throws, nothing has
   * started and the processor stays {@link State#NEW}.
   *
   * <p>Before anything starts it reads the schema version and refuses a schema that lacks
   * migrations this build needs. When the database cannot be reached the check is skipped with a
   * warning and the processor starts anyway, claiming once the database answers; the read then
   * returns after the pool's connection timeout.
   *
   * @throws IllegalStateException if the processor was already started or stopped, or if the
   *     database's schema lacks migrations this build needs (the message names them and says how to
   *     apply them); then no thread has started and the processor stays {@link State#NEW}
   */
  public void start() {
    synchronized (lifecycle) {
      if (state != State.NEW) {
        throw new IllegalStateException(
            "JobProcessor "
                + workerId()
                + " is "
                + state.name().toLowerCase(Locale.ROOT)
                + "; a processor starts once: build a new one");
      }
      checkSchemaVersion();
      engine.start(notifier);
      housekeeping.start();
      state = State.RUNNING;
      log.info(
          "worker {} started: concurrency {}, poll every {} ms, lease {} ms, notifier {}",
          workerId(),
          settings.concurrency(),
          settings.pollInterval().toMillis(),
          settings.leaseDuration().toMillis(),
          notifier == null ? "none (polling)" : notifier.getClass().getSimpleName());
    }
  }

  /**
   * Refuses to start on a schema older than the statements of this build need. A database that
   * cannot be reached is no reason to refuse: a processor may start before its database is up and
   * drains once it is, so then the check is skipped with a warning.
   */
  private void checkSchemaVersion() {
    int version;
    try {
      version = queue.schemaVersion();
    } catch (QueueException e) {
      log.warn(
          "worker {}: cannot read the schema version of {} ({}); starting without checking it",
          workerId(),
          queue.schema(),
          e.getMessage());
      return;
    }
    List<Integer> missing = QueueSchema.versionsAfter(version);
    if (!missing.isEmpty()) {
      throw new IllegalStateException(
          "JobProcessor "
              + workerId()
              + " cannot start: schema "
              + queue.schema()
              + " is at version "
              + version
              + " but this build needs version "
              + QueueSchema.LATEST_VERSION
              + "; missing migration"
              + (missing.size() == 1 ? " " : "s ")
              + missing.stream().map(String::valueOf).collect(Collectors.joining(", "))
              + ". Run JobQueue.migrate() (or the worker's migrate command), or apply"
              + " MigrationScript.all(\""
              + queue.schema()
              + "\") with your migration tool (migrate --print-sql prints them)");
    }
  }

  /**
   * Stops gracefully: no new claims; running jobs get up to the shutdown timeout to finish, then
   * are cancelled ({@link CancellationReason#SHUTDOWN}) and interrupted; a job stopped this way
   * that throws goes back to pending without spending an attempt, as do claimed jobs that never
   * started. Outcomes and session events are flushed before it returns. Idempotent; a stop before
   * start only prevents a later start.
   */
  public void stop() {
    synchronized (lifecycle) {
      if (state == State.NEW) {
        state = State.STOPPED;
        return;
      }
      if (state != State.RUNNING) {
        return;
      }
      state = State.STOPPING;
    }
    housekeeping.stop();
    engine.stop();
    state = State.STOPPED;
    log.info("worker {} stopped", workerId());
  }

  /** Same as {@link #stop()}. */
  @Override
  public void close() {
    stop();
  }

  /**
   * Returns this worker's id, used as the lease owner of the jobs it claims.
   *
   * @return the worker id
   */
  public String workerId() {
    return settings.workerId();
  }

  /**
   * Returns the lifecycle state.
   *
   * @return the state
   */
  public State state() {
    return state;
  }

  /**
   * Returns how many jobs this processor holds now: running, or claimed and waiting for a slot.
   *
   * @return the count
   */
  public int runningJobs() {
    return engine.heldJobs();
  }

  /**
   * Returns the kinds this processor claims: those it has handlers for, in registration order.
   *
   * @return the kinds, never empty
   */
  public List<String> kinds() {
    return settings.kinds();
  }

  /**
   * Returns the configured concurrency.
   *
   * @return the most jobs run at once
   */
  public int concurrency() {
    return settings.concurrency();
  }

  /**
   * Returns when the last claim statement succeeded, whether or not it found jobs: a liveness sign
   * of the database connection.
   *
   * @return the time, or empty before the first claim
   */
  public Optional<Instant> lastSuccessfulClaim() {
    return Optional.ofNullable(engine.lastSuccessfulClaim());
  }

  /**
   * Returns how many session events were dropped because the buffer was full (the database could
   * not take them fast enough, or at all). Events the database refused are counted apart, by {@link
   * #rejectedEvents()}.
   *
   * @return the count since start
   */
  public long droppedEvents() {
    return engine.droppedEvents();
  }

  /**
   * Returns how many session events were dropped because the database refused them for their data
   * (for example, their session was deleted while the job ran). Each is logged once with its job id
   * and event type; the other events of its batch are written.
   *
   * @return the count since start
   */
  public long rejectedEvents() {
    return engine.rejectedEvents();
  }

  /**
   * Returns the notifier this processor subscribes to.
   *
   * @return the notifier, or empty when it only polls
   */
  public Optional<JobNotifier> notifier() {
    return Optional.ofNullable(notifier);
  }

  /**
   * Returns the queue this processor works on.
   *
   * @return the queue
   */
  public JobQueue queue() {
    return queue;
  }

  /**
   * Tells whether this JVM offers virtual threads (Java 21 and newer).
   *
   * @return {@code true} when {@link JobProcessorBuilder#virtualThreads(boolean)} can be enabled
   */
  public static boolean virtualThreadsAvailable() {
    return Runtime.version().feature() >= 21;
  }
}
