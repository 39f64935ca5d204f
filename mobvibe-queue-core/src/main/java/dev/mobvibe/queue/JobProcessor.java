package dev.mobvibe.queue;

import dev.mobvibe.queue.internal.engine.Engine;
import dev.mobvibe.queue.internal.engine.EngineSettings;
import dev.mobvibe.queue.internal.engine.HandlerThreads;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ThreadFactory;
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
 * thread ends attempts that run too long; expired leases (a crashed worker) are reaped, counting
 * the attempt as failed, as a step of the producer's next claim statement (so an idle worker runs
 * one statement per poll interval); an event writer writes session events in batches. Every write
 * is fenced on this worker's lease.
 *
 * <p>Session lifecycle: when a job is claimed its session becomes {@code active}, on success {@code
 * completed}, on dead letter {@code failed}; each change adds a {@code state_changed} session
 * event.
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

  /** Shutdown timeout unless set: 30 seconds (the seed's SHUTDOWN_TIMEOUT_MS). */
  public static final Duration DEFAULT_SHUTDOWN_TIMEOUT = Duration.ofSeconds(30);

  /** Capacity of the session event buffer unless set: 10,000 events. */
  public static final int DEFAULT_EVENT_BUFFER_CAPACITY = 10_000;

  /** The most jobs a processor buffers beyond its handler slots. */
  public static final int MAX_PREFETCH = 1000;

  /** Auto prefetch buffers at most what the handlers finish in this many milliseconds. */
  public static final long AUTO_PREFETCH_WAIT_MILLIS = 20;

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
  private final Object lifecycle = new Object();
  private volatile State state = State.NEW;

  private JobProcessor(
      JobQueue queue, EngineSettings settings, Engine engine, JobNotifier notifier) {
    this.queue = queue;
    this.settings = settings;
    this.engine = engine;
    this.notifier = notifier;
  }

  /**
   * Starts a builder.
   *
   * @param queue the queue to work on; the processor does not close it
   * @param handler the handler that runs each job
   * @return a builder with every default
   */
  public static Builder builder(JobQueue queue, JobHandler handler) {
    return new Builder(queue, handler);
  }

  /**
   * Starts claiming and running jobs. The notifier is subscribed first: if that throws, nothing has
   * started and the processor stays {@link State#NEW}.
   *
   * @throws IllegalStateException if the processor was already started or stopped
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
      engine.start(notifier);
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
   * @return {@code true} when {@link Builder#virtualThreads(boolean)} can be enabled
   */
  public static boolean virtualThreadsAvailable() {
    return Runtime.version().feature() >= 21;
  }

  /** Builds a {@link JobProcessor}; every check happens in {@link #build()}. Not thread-safe. */
  public static final class Builder {
    private final JobQueue queue;
    private final JobHandler handler;
    private int concurrency = DEFAULT_CONCURRENCY;
    private Duration pollInterval = JobNotifier.DEFAULT_POLL_INTERVAL;
    private Duration leaseDuration = DEFAULT_LEASE_DURATION;
    private Duration jobTimeout = DEFAULT_JOB_TIMEOUT;
    private Duration heartbeatTimeout;
    private Duration shutdownTimeout = DEFAULT_SHUTDOWN_TIMEOUT;
    private Duration reapInterval;
    private RetryPolicy retryPolicy;
    private JobNotifier notifier;
    private String workerId;
    private final List<JobListener> listeners = new ArrayList<>();
    private ThreadFactory threadFactory;
    private boolean virtualThreads;
    private int eventBufferCapacity = DEFAULT_EVENT_BUFFER_CAPACITY;
    private boolean trackSessions = true;
    private int prefetch;
    private boolean autoPrefetch = true;

    private Builder(JobQueue queue, JobHandler handler) {
      this.queue = queue;
      this.handler = handler;
    }

    /**
     * Sets how many jobs run at once (the seed's MAX_CONCURRENT_JOBS). Default {@value
     * #DEFAULT_CONCURRENCY}.
     *
     * @param concurrency 1 to 1,000
     * @return this builder
     */
    public Builder concurrency(int concurrency) {
      this.concurrency = concurrency;
      return this;
    }

    /**
     * Sets how often the producer claims when nothing wakes it (the seed's POLL_INTERVAL_MS).
     * Default 10 seconds. The poll is what guarantees progress; a notifier only adds speed.
     *
     * @param pollInterval a positive interval
     * @return this builder
     */
    public Builder pollInterval(Duration pollInterval) {
      this.pollInterval = pollInterval;
      return this;
    }

    /**
     * Sets the lease on claimed jobs, renewed every third of it while the handler runs. A worker
     * that dies loses its jobs to the reaper once this passes. Default 60 seconds.
     *
     * @param leaseDuration at least 100 ms
     * @return this builder
     */
    public Builder leaseDuration(Duration leaseDuration) {
      this.leaseDuration = leaseDuration;
      return this;
    }

    /**
     * Sets how long one attempt may run before it is cancelled, interrupted and recorded as a
     * failed attempt. Default 30 minutes.
     *
     * @param jobTimeout a positive duration
     * @return this builder
     * @throws NullPointerException if {@code jobTimeout} is null; use {@link #noJobTimeout()}
     */
    public Builder jobTimeout(Duration jobTimeout) {
      this.jobTimeout =
          Objects.requireNonNull(
              jobTimeout, "jobTimeout must not be null; call noJobTimeout() to remove the limit");
      return this;
    }

    /**
     * Removes the job timeout: attempts may run for ever (their leases are renewed).
     *
     * @return this builder
     */
    public Builder noJobTimeout() {
      this.jobTimeout = null;
      return this;
    }

    /**
     * Stops renewing the lease of a job whose handler has not called {@link JobContext#heartbeat()}
     * (or emitted an event) for this long, so a stalled handler's job is reaped and run elsewhere.
     * Default: off, leases are renewed while the handler runs.
     *
     * @param heartbeatTimeout a positive duration, or {@code null} for off
     * @return this builder
     */
    public Builder heartbeatTimeout(Duration heartbeatTimeout) {
      this.heartbeatTimeout = heartbeatTimeout;
      return this;
    }

    /**
     * Sets how long {@link #stop()} waits for running jobs before cancelling them (the seed's
     * SHUTDOWN_TIMEOUT_MS). Default 30 seconds.
     *
     * @param shutdownTimeout zero or positive
     * @return this builder
     */
    public Builder shutdownTimeout(Duration shutdownTimeout) {
      this.shutdownTimeout = shutdownTimeout;
      return this;
    }

    /**
     * Sets how often the reaper looks for expired leases (of any worker). Reaping rides on the
     * claim statement at the first poll or claim after this interval has passed. Default half the
     * lease, at least 1 s.
     *
     * @param reapInterval at least 10 ms
     * @return this builder
     */
    public Builder reapInterval(Duration reapInterval) {
      this.reapInterval = reapInterval;
      return this;
    }

    /**
     * Sets the backoff between attempts. Default: the queue's retry policy.
     *
     * @param retryPolicy the policy
     * @return this builder
     */
    public Builder retryPolicy(RetryPolicy retryPolicy) {
      this.retryPolicy = retryPolicy;
      return this;
    }

    /**
     * Sets a notifier that wakes the producer as soon as jobs arrive. Default none: polling only.
     * The caller keeps ownership and closes it after the processor.
     *
     * @param notifier the notifier, or {@code null} for none
     * @return this builder
     */
    public Builder notifier(JobNotifier notifier) {
      this.notifier = notifier;
      return this;
    }

    /**
     * Sets the worker id, stored as the lease owner of claimed jobs. Default {@code
     * host-pid-random}. Must be unique among running workers.
     *
     * @param workerId 1 to 100 characters: letters, digits, '.', '_', ':' or '-'
     * @return this builder
     */
    public Builder workerId(String workerId) {
      this.workerId = workerId;
      return this;
    }

    /**
     * Adds a listener for job events (metrics, logs). May be called more than once.
     *
     * @param listener the listener
     * @return this builder
     */
    public Builder listener(JobListener listener) {
      this.listeners.add(Objects.requireNonNull(listener, "listener must not be null"));
      return this;
    }

    /**
     * Sets the factory of handler threads. Default: daemon platform threads named {@code
     * mobvibe-handler-<worker>-<n>}.
     *
     * @param threadFactory the factory
     * @return this builder
     */
    public Builder threadFactory(ThreadFactory threadFactory) {
      this.threadFactory = threadFactory;
      return this;
    }

    /**
     * Runs handlers on virtual threads (Java 21 and newer). Default off.
     *
     * @param virtualThreads whether to use virtual threads
     * @return this builder
     */
    public Builder virtualThreads(boolean virtualThreads) {
      this.virtualThreads = virtualThreads;
      return this;
    }

    /**
     * Sets how many session events may wait to be written. Default {@value
     * #DEFAULT_EVENT_BUFFER_CAPACITY}.
     *
     * @param capacity 1 to 1,000,000
     * @return this builder
     */
    public Builder eventBufferCapacity(int capacity) {
      this.eventBufferCapacity = capacity;
      return this;
    }

    /**
     * Sets whether the processor moves each job's session through its lifecycle: {@code active}
     * when claimed and {@code completed} on success, each with a {@code state_changed} session
     * event. Default on. Turning it off saves two row updates and two inserts per job for
     * applications that do not use {@code coding_sessions}; a dead-lettered job still fails its
     * session, as in the seed.
     *
     * @param trackSessions whether to track sessions
     * @return this builder
     */
    public Builder trackSessions(boolean trackSessions) {
      this.trackSessions = trackSessions;
      return this;
    }

    /**
     * Lets the producer claim exactly up to this many jobs beyond its free handler slots, held in
     * memory until a slot frees, instead of the default auto prefetch. Larger claims mean fewer
     * round trips for short jobs; but a buffered job waits here while another worker might have run
     * it. Buffered jobs hold leases that the lease keeper renews. {@code 0} turns prefetching off:
     * the worker claims only for free slots.
     *
     * <p>By default (auto) the processor buffers at most what its handlers finish in {@value
     * #AUTO_PREFETCH_WAIT_MILLIS} ms at their measured rate, up to {@value #MAX_PREFETCH} jobs: a
     * worker draining short jobs claims hundreds per statement, while a worker running long jobs (a
     * few per second or fewer) buffers none, so no job waits in memory for a slot.
     *
     * @param prefetch 0 to 1,000
     * @return this builder
     */
    public Builder prefetch(int prefetch) {
      this.prefetch = prefetch;
      this.autoPrefetch = false;
      return this;
    }

    /**
     * Checks the settings and builds the processor (not started).
     *
     * @return the processor
     * @throws IllegalArgumentException naming the first setting that is wrong
     * @throws NullPointerException if the queue or handler is null
     */
    public JobProcessor build() {
      Objects.requireNonNull(queue, "queue must not be null");
      Objects.requireNonNull(handler, "handler must not be null");
      if (virtualThreads && threadFactory != null) {
        throw new IllegalArgumentException("set threadFactory or virtualThreads, not both");
      }
      if (virtualThreads && !virtualThreadsAvailable()) {
        throw new IllegalArgumentException(
            "virtualThreads needs Java 21 or newer; this is Java " + Runtime.version().feature());
      }
      String id = workerId != null ? workerId : JobQueue.defaultWorkerId();
      ThreadFactory threads =
          threadFactory != null
              ? threadFactory
              : virtualThreads ? HandlerThreads.virtual(id) : HandlerThreads.platform(id);
      EngineSettings settings =
          new EngineSettings(
              id,
              concurrency,
              autoPrefetch ? MAX_PREFETCH : prefetch,
              autoPrefetch,
              pollInterval,
              leaseDuration,
              jobTimeout,
              heartbeatTimeout,
              shutdownTimeout,
              reapInterval,
              retryPolicy != null ? retryPolicy : queue.retryPolicy(),
              trackSessions,
              eventBufferCapacity,
              threads);
      Engine engine = new Engine(settings, queue.store(), queue.objectMapper(), handler, listeners);
      return new JobProcessor(queue, settings, engine, notifier);
    }
  }
}
