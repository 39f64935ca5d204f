package dev.mobvibe.queue;

import dev.mobvibe.queue.internal.JobStore;
import java.lang.reflect.Method;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

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
 * <p>Inside, separate pieces each do one thing: a producer claims as many jobs as there are free
 * handler slots, in one statement, when a notifier signals, a poll tick passes or a slot frees; the
 * handler slots run jobs; a completer records outcomes (successes batched into one statement); a
 * lease keeper renews the leases of running jobs in one statement and enforces job timeouts; a
 * reaper returns jobs whose lease expired (a crashed worker), counting the attempt as failed, as a
 * step of the producer's next claim statement (so an idle worker runs one statement per poll
 * interval); an event buffer writes session events in batches. Every write is fenced on this
 * worker's lease.
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
  private final JobStore store;
  private final JobHandler handler;
  private final int concurrency;
  private final Duration pollInterval;
  private final Duration leaseDuration;
  private final Duration jobTimeout;
  private final Duration heartbeatTimeout;
  private final Duration shutdownTimeout;
  private final Duration reapInterval;
  private final RetryPolicy retryPolicy;
  private final JobNotifier notifier;
  private final String workerId;
  private final List<JobListener> listeners;
  private final ThreadFactory handlerThreadFactory;
  private final boolean trackSessions;

  /** Jobs claimed beyond free slots: fixed, or the most that auto prefetch may hold. */
  private final int prefetch;

  private final boolean autoPrefetch;
  private final AtomicLong finishedJobs = new AtomicLong();
  private final Semaphore slots;
  private final Map<UUID, RunningJob> running = new ConcurrentHashMap<>();
  private final Producer producer;
  private final Completer completer;
  private final EventBuffer events;
  private final Object lifecycle = new Object();
  private volatile State state = State.NEW;
  private ThreadPoolExecutor handlers;
  private ScheduledThreadPoolExecutor leaseKeeper;
  private Thread producerThread;
  private Subscription subscription;

  private JobProcessor(Builder b) {
    this.queue = b.queue;
    this.store = b.queue.store();
    this.handler = b.handler;
    this.concurrency = b.concurrency;
    this.pollInterval = b.pollInterval;
    this.leaseDuration = b.leaseDuration;
    this.jobTimeout = b.jobTimeout;
    this.heartbeatTimeout = b.heartbeatTimeout;
    this.shutdownTimeout = b.shutdownTimeout;
    this.reapInterval =
        b.reapInterval != null ? b.reapInterval : defaultReapInterval(b.leaseDuration);
    this.retryPolicy = b.retryPolicy != null ? b.retryPolicy : b.queue.retryPolicy();
    this.notifier = b.notifier;
    this.workerId = b.workerId != null ? b.workerId : JobQueue.defaultWorkerId();
    this.listeners = List.copyOf(b.listeners);
    this.handlerThreadFactory =
        b.threadFactory != null
            ? b.threadFactory
            : b.virtualThreads ? virtualThreadFactory(workerId) : platformThreadFactory(workerId);
    this.trackSessions = b.trackSessions;
    this.autoPrefetch = b.autoPrefetch;
    this.prefetch = autoPrefetch ? MAX_PREFETCH : b.prefetch;
    this.slots = new Semaphore(concurrency + prefetch);
    this.producer = new Producer(this, store, slots, pollInterval, reapInterval);
    this.completer = new Completer(this, store);
    this.events = new EventBuffer(store, b.eventBufferCapacity, workerId);
  }

  private static Duration defaultReapInterval(Duration lease) {
    Duration half = lease.dividedBy(2);
    return half.compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1) : half;
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
   * Starts claiming and running jobs.
   *
   * @throws IllegalStateException if the processor was already started or stopped
   */
  public void start() {
    synchronized (lifecycle) {
      if (state != State.NEW) {
        throw new IllegalStateException(
            "JobProcessor "
                + workerId
                + " is "
                + state.name().toLowerCase(java.util.Locale.ROOT)
                + "; a processor starts once: build a new one");
      }
      handlers =
          new ThreadPoolExecutor(
              concurrency,
              concurrency,
              0,
              TimeUnit.MILLISECONDS,
              new LinkedBlockingQueue<>(),
              handlerThreadFactory);
      leaseKeeper = scheduler("mobvibe-lease-keeper-" + workerId);
      completer.start();
      events.start();
      long renewMillis = Math.max(10, leaseDuration.toMillis() / 3);
      leaseKeeper.scheduleWithFixedDelay(
          this::renewLeases, renewMillis, renewMillis, TimeUnit.MILLISECONDS);
      producerThread = new Thread(producer, "mobvibe-producer-" + workerId);
      producerThread.setDaemon(true);
      producerThread.start();
      if (notifier != null) {
        subscription = notifier.subscribe(signal -> producer.signal());
      }
      state = State.RUNNING;
      log.info(
          "worker {} started: concurrency {}, poll every {} ms, lease {} ms, notifier {}",
          workerId,
          concurrency,
          pollInterval.toMillis(),
          leaseDuration.toMillis(),
          notifier == null ? "none (polling)" : notifier.getClass().getSimpleName());
    }
  }

  private static ScheduledThreadPoolExecutor scheduler(String name) {
    ScheduledThreadPoolExecutor s =
        new ScheduledThreadPoolExecutor(
            1,
            r -> {
              Thread t = new Thread(r, name);
              t.setDaemon(true);
              return t;
            });
    s.setRemoveOnCancelPolicy(true);
    return s;
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
    long deadline = System.nanoTime() + shutdownTimeout.toNanos();
    if (subscription != null) {
      subscription.unsubscribe();
    }
    producer.stop();
    join(producerThread, remainingMillis(deadline));
    handlers.shutdown();
    boolean finished = await(handlers, remainingMillis(deadline));
    if (!finished) {
      log.warn(
          "worker {}: {} jobs still running after the {} ms shutdown timeout; cancelling them",
          workerId,
          running.size(),
          shutdownTimeout.toMillis());
      for (RunningJob rj : running.values()) {
        rj.cancel(CancellationReason.SHUTDOWN);
      }
      for (Runnable neverStarted : handlers.shutdownNow()) {
        if (neverStarted instanceof JobTask task && task.job.settle()) {
          completer.submit(new Completer.Release(task.job));
          finish(task.job);
        }
      }
      if (!await(handlers, 5_000)) {
        log.warn(
            "worker {}: {} handlers ignored interruption; their jobs return after the lease",
            workerId,
            running.size());
      }
    }
    completer.stopAndFlush(Math.max(5_000, remainingMillis(deadline)));
    events.stopAndFlush(5_000);
    leaseKeeper.shutdownNow();
    state = State.STOPPED;
    log.info("worker {} stopped", workerId);
  }

  /** Same as {@link #stop()}. */
  @Override
  public void close() {
    stop();
  }

  private static long remainingMillis(long deadlineNanos) {
    return Math.max(0, TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime()));
  }

  private static void join(Thread t, long millis) {
    try {
      t.join(Math.max(1, millis));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static boolean await(ExecutorService executor, long millis) {
    try {
      return executor.awaitTermination(millis, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** A handler slot's task, so jobs that never started can be found at shutdown. */
  private final class JobTask implements Runnable {
    final RunningJob job;

    JobTask(RunningJob job) {
      this.job = job;
    }

    @Override
    public void run() {
      runJob(job);
    }
  }

  void dispatch(Job job, long claimedNanos) {
    RunningJob rj = new RunningJob(job, this, claimedNanos);
    running.put(job.id(), rj);
    try {
      handlers.execute(new JobTask(rj));
    } catch (RuntimeException e) {
      // The executor refused (shutting down): give the job back untouched.
      if (rj.settle()) {
        completer.submit(new Completer.Release(rj));
      }
      finish(rj);
    }
  }

  private void runJob(RunningJob rj) {
    Job job = rj.job;
    rj.thread = Thread.currentThread();
    if (state != State.RUNNING || rj.isCancelled()) {
      if (rj.settle()) {
        completer.submit(new Completer.Release(rj));
      }
      rj.thread = null;
      finish(rj);
      return;
    }
    MDC.put("jobId", job.id().toString());
    MDC.put("sessionId", job.sessionId().toString());
    rj.startedNanos = System.nanoTime();
    rj.heartbeat();
    if (jobTimeout != null) {
      rj.timeoutFuture =
          leaseKeeper.schedule(() -> timeOut(rj), jobTimeout.toNanos(), TimeUnit.NANOSECONDS);
    }
    Duration sinceClaim = Duration.ofNanos(rj.startedNanos - rj.claimedNanos);
    fire(l -> l.onJobStarted(job, sinceClaim));
    Completer.Outcome outcome;
    try {
      handler.handle(job, rj);
      outcome = new Completer.Success(rj, rj.runTime());
    } catch (PermanentJobFailureException e) {
      outcome = new Completer.Failure(rj, e, false, rj.runTime());
    } catch (Exception | LinkageError | AssertionError | StackOverflowError e) {
      outcome =
          rj.cancellationReason().orElse(null) == CancellationReason.SHUTDOWN
              ? new Completer.Release(rj)
              : new Completer.Failure(rj, e, true, rj.runTime());
    } finally {
      rj.thread = null;
      Thread.interrupted(); // an interrupt meant for this job must not reach the next one
      MDC.remove("jobId");
      MDC.remove("sessionId");
    }
    finishedJobs.incrementAndGet();
    if (rj.timeoutFuture != null) {
      rj.timeoutFuture.cancel(false);
    }
    if (rj.settle()) {
      completer.submit(outcome);
    }
    finish(rj);
  }

  private void finish(RunningJob rj) {
    running.remove(rj.job.id(), rj);
    slots.release();
    producer.slotFreed();
  }

  private void timeOut(RunningJob rj) {
    if (rj.settle()) {
      log.warn("job {} timed out after {} ms; cancelling it", rj.job.id(), jobTimeout.toMillis());
      rj.cancel(CancellationReason.TIMEOUT);
      completer.submit(
          new Completer.Failure(rj, new JobTimeoutException(jobTimeout), true, rj.runTime()));
    }
  }

  private void renewLeases() {
    try {
      List<RunningJob> alive = new ArrayList<>();
      List<RunningJob> silent = new ArrayList<>();
      long staleBefore =
          heartbeatTimeout == null
              ? Long.MIN_VALUE
              : System.nanoTime() - heartbeatTimeout.toNanos();
      for (RunningJob rj : running.values()) {
        if (rj.isSettled()) {
          continue; // its outcome is on its way
        }
        // A prefetched job has not started, so it cannot heartbeat: its lease is always kept.
        boolean heard =
            heartbeatTimeout == null
                || rj.startedNanos == 0
                || rj.lastHeartbeatNanos - staleBefore > 0;
        (heard ? alive : silent).add(rj);
      }
      settleLost(alive, (ids, counts) -> store.extendLeases(workerId, ids, counts, leaseDuration));
      // A silent handler loses its lease on purpose: it is not extended, and once it has run out
      // or another worker took the job back, the handler is told to stop.
      settleLost(silent, (ids, counts) -> store.leasesHeld(workerId, ids, counts));
    } catch (RuntimeException e) {
      log.warn("lease renewal failed; retrying at the next tick: {}", e.getMessage());
    }
  }

  /**
   * Runs a fenced lease statement over {@code jobs} and settles the ones it says are no longer
   * held: cancelled (by a cancel or a lost lease) and reported lost.
   */
  private void settleLost(
      List<RunningJob> jobs, BiFunction<List<UUID>, List<Integer>, Set<UUID>> stillHeld) {
    if (jobs.isEmpty()) {
      return;
    }
    List<UUID> ids = new ArrayList<>(jobs.size());
    List<Integer> retryCounts = new ArrayList<>(jobs.size());
    for (RunningJob rj : jobs) {
      ids.add(rj.job.id());
      retryCounts.add(rj.job.retryCount());
    }
    Set<UUID> held = stillHeld.apply(ids, retryCounts);
    if (held.size() == jobs.size()) {
      return;
    }
    for (RunningJob rj : jobs) {
      if (!held.contains(rj.job.id()) && rj.settle()) {
        boolean cancelled =
            store.find(rj.job.id()).map(j -> j.status() == JobStatus.CANCELLED).orElse(false);
        rj.cancel(cancelled ? CancellationReason.JOB_CANCELLED : CancellationReason.LEASE_LOST);
        lost(rj, cancelled ? "job was cancelled" : "lease expired and the job was taken back");
      }
    }
  }

  void lost(RunningJob rj, String reason) {
    log.warn("job {} attempt {} lost: {}", rj.job.id(), rj.job.attempt(), reason);
    fire(l -> l.onJobLost(rj.job, reason));
  }

  void wakeProducerIfDue(Duration delay) {
    if (state != State.RUNNING || delay.compareTo(pollInterval) >= 0) {
      return; // the poll tick comes first anyway
    }
    if (delay.isZero()) {
      producer.signal();
    } else {
      try {
        leaseKeeper.schedule(producer::signal, delay.toNanos(), TimeUnit.NANOSECONDS);
      } catch (RuntimeException e) {
        // shutting down
      }
    }
  }

  void fire(Consumer<JobListener> event) {
    for (JobListener l : listeners) {
      try {
        event.accept(l);
      } catch (RuntimeException e) {
        log.warn("job listener {} failed", l, e);
      }
    }
  }

  EventBuffer events() {
    return events;
  }

  /**
   * Returns this worker's id, used as the lease owner of the jobs it claims.
   *
   * @return the worker id
   */
  public String workerId() {
    return workerId;
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
    return running.size();
  }

  /**
   * Returns the configured concurrency.
   *
   * @return the most jobs run at once
   */
  public int concurrency() {
    return concurrency;
  }

  /**
   * Returns when the last claim statement succeeded, whether or not it found jobs: a liveness sign
   * of the database connection.
   *
   * @return the time, or empty before the first claim
   */
  public Optional<Instant> lastSuccessfulClaim() {
    return Optional.ofNullable(producer.lastSuccessfulClaim());
  }

  /**
   * Returns how many session events were dropped because the buffer was full.
   *
   * @return the count since start
   */
  public long droppedEvents() {
    return events.dropped();
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

  Duration leaseDuration() {
    return leaseDuration;
  }

  boolean autoPrefetch() {
    return autoPrefetch;
  }

  int prefetch() {
    return prefetch;
  }

  /** Jobs whose handler has returned or thrown: the rate at which slots free up. */
  long finishedJobs() {
    return finishedJobs.get();
  }

  Duration jobTimeout() {
    return jobTimeout;
  }

  RetryPolicy retryPolicy() {
    return retryPolicy;
  }

  boolean trackSessions() {
    return trackSessions;
  }

  private static ThreadFactory platformThreadFactory(String workerId) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, "mobvibe-handler-" + workerId + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  private static ThreadFactory virtualThreadFactory(String workerId) {
    try {
      // Thread.ofVirtual().name(prefix, 1).factory(), found reflectively: the baseline is Java 17.
      Object builder = Thread.class.getMethod("ofVirtual").invoke(null);
      Class<?> ofVirtual = Class.forName("java.lang.Thread$Builder$OfVirtual");
      Method name = ofVirtual.getMethod("name", String.class, long.class);
      builder = name.invoke(builder, "mobvibe-handler-" + workerId + "-", 1L);
      return (ThreadFactory) ofVirtual.getMethod("factory").invoke(builder);
    } catch (ReflectiveOperationException e) {
      throw new IllegalArgumentException(
          "virtualThreads needs Java 21 or newer; this is Java " + Runtime.version().feature(), e);
    }
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
      if (concurrency < 1 || concurrency > 1000) {
        throw new IllegalArgumentException(
            "concurrency must be between 1 and 1000, was " + concurrency);
      }
      positive("pollInterval", pollInterval, Duration.ofMillis(1));
      positive("leaseDuration", leaseDuration, Duration.ofMillis(100));
      if (jobTimeout != null) {
        positive("jobTimeout", jobTimeout, Duration.ofMillis(1));
      }
      if (heartbeatTimeout != null) {
        positive("heartbeatTimeout", heartbeatTimeout, Duration.ofMillis(1));
      }
      if (shutdownTimeout == null || shutdownTimeout.isNegative()) {
        throw new IllegalArgumentException(
            "shutdownTimeout must be zero or positive, was " + shutdownTimeout);
      }
      if (reapInterval != null) {
        positive("reapInterval", reapInterval, Duration.ofMillis(10));
      }
      if (workerId != null && !workerId.matches("[A-Za-z0-9._:-]{1,100}")) {
        throw new IllegalArgumentException(
            "workerId must be 1 to 100 characters of letters, digits, '.', '_', ':' or '-', was '"
                + workerId
                + "'");
      }
      if (prefetch < 0 || prefetch > MAX_PREFETCH) {
        throw new IllegalArgumentException(
            "prefetch must be between 0 and " + MAX_PREFETCH + ", was " + prefetch);
      }
      if (eventBufferCapacity < 1 || eventBufferCapacity > 1_000_000) {
        throw new IllegalArgumentException(
            "eventBufferCapacity must be between 1 and 1000000, was " + eventBufferCapacity);
      }
      if (virtualThreads && threadFactory != null) {
        throw new IllegalArgumentException("set threadFactory or virtualThreads, not both");
      }
      if (virtualThreads && !virtualThreadsAvailable()) {
        throw new IllegalArgumentException(
            "virtualThreads needs Java 21 or newer; this is Java " + Runtime.version().feature());
      }
      return new JobProcessor(this);
    }

    private static void positive(String name, Duration value, Duration min) {
      if (value == null || value.compareTo(min) < 0) {
        throw new IllegalArgumentException(
            name + " must be at least " + min.toMillis() + " ms, was " + value);
      }
    }
  }
}
