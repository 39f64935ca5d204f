package dev.mobvibe.queue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mobvibe.queue.internal.Interceptors;
import dev.mobvibe.queue.internal.ScheduleStore;
import dev.mobvibe.queue.internal.engine.Engine;
import dev.mobvibe.queue.internal.engine.EngineSettings;
import dev.mobvibe.queue.internal.engine.HandlerThreads;
import dev.mobvibe.queue.internal.engine.Housekeeping;
import dev.mobvibe.queue.internal.engine.KindRoute;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ThreadFactory;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Builds a {@link JobProcessor}: start with {@link JobProcessor#builder(JobQueue)} and register a
 * handler per kind, or with {@link JobProcessor#builder(JobQueue, JobHandler)} for coding sessions
 * alone. Every setting has a default; every check happens in {@link #build()}, which names the
 * first setting that is wrong. Not thread-safe.
 *
 * <pre>{@code
 * JobProcessor processor = JobProcessor.builder(queue)
 *     .handler(NewJob.CODING_SESSION_KIND, (job, ctx) -> runSession(job, ctx))
 *     .handler("send_email", SendEmail.class, (args, ctx) -> mailer.send(args.to(), args.subject()))
 *     .concurrency(20)
 *     .build();
 * }</pre>
 */
public final class JobProcessorBuilder {
  private final JobQueue queue;
  // Registrations in order; checked in build() (a repeated kind, an invalid name).
  private final List<Registration> registrations = new ArrayList<>();
  private int concurrency = JobProcessor.DEFAULT_CONCURRENCY;
  private Duration pollInterval = JobNotifier.DEFAULT_POLL_INTERVAL;
  private Duration leaseDuration = JobProcessor.DEFAULT_LEASE_DURATION;
  private Duration jobTimeout = JobProcessor.DEFAULT_JOB_TIMEOUT;
  private Duration heartbeatTimeout;
  private Duration shutdownTimeout = JobProcessor.DEFAULT_SHUTDOWN_TIMEOUT;
  private Duration reapInterval;
  private Duration reapGrace;
  private Duration unleasedGrace;
  private RetryPolicy retryPolicy;
  private int maxSnoozes = JobProcessor.DEFAULT_MAX_SNOOZES;
  private Duration fairness = JobProcessor.DEFAULT_FAIRNESS_BOUND;
  private JobNotifier notifier;
  private String workerId;
  private final List<JobListener> listeners = new ArrayList<>();
  private final List<JobInterceptor> interceptors = new ArrayList<>();
  private ThreadFactory threadFactory;
  private boolean virtualThreads;
  private int eventBufferCapacity = JobProcessor.DEFAULT_EVENT_BUFFER_CAPACITY;
  private SessionTracking sessionTracking = JobProcessor.DEFAULT_SESSION_TRACKING;
  private int prefetch;
  private boolean autoPrefetch = true;
  private final List<ScheduleRegistration> schedules = new ArrayList<>();
  private boolean retention = true;
  private Duration retentionFinished = JobProcessor.DEFAULT_RETENTION_FINISHED;
  private Duration retentionDeadLetters = JobProcessor.DEFAULT_RETENTION_DEAD_LETTERS;
  private Clock clock = Clock.systemUTC();

  private record Registration(String kind, JobHandler handler, KindOptions options) {}

  private record ScheduleRegistration(String name, Schedule schedule, Supplier<NewJob> job) {}

  private static final Pattern SCHEDULE_NAME = Pattern.compile("[A-Za-z0-9_.:-]{1,100}");

  JobProcessorBuilder(JobQueue queue) {
    this.queue = queue;
  }

  /**
   * Runs the jobs of a kind with an untyped handler, which reads the job row itself ({@link
   * Job#prompt()} for coding sessions, {@link Job#args(Class)} or {@link Job#argsJson()} for other
   * kinds).
   *
   * @param kind the kind, as in {@link JobArgs#kind()} or {@link NewJob#CODING_SESSION_KIND}
   * @param handler runs each job of the kind
   * @return this builder
   */
  public JobProcessorBuilder handler(String kind, JobHandler handler) {
    return handler(kind, handler, KindOptions.DEFAULTS);
  }

  /**
   * Runs the jobs of a kind with an untyped handler and overrides for the kind.
   *
   * @param kind the kind
   * @param handler runs each job of the kind
   * @param options what the kind does differently from the processor's settings
   * @return this builder
   */
  public JobProcessorBuilder handler(String kind, JobHandler handler, KindOptions options) {
    registrations.add(new Registration(kind, handler, options));
    return this;
  }

  /**
   * Runs the jobs of a kind with a typed handler: each job's arguments are decoded into {@code
   * argsType} with the queue's {@code ObjectMapper} before the handler is called. Arguments that do
   * not decode send the job to the dead letter, with the decoding error, without calling the
   * handler.
   *
   * @param <A> the arguments' type
   * @param kind the kind, as its arguments' {@link JobArgs#kind()} returns it
   * @param argsType the class to decode the arguments into
   * @param handler runs each job of the kind
   * @return this builder
   */
  public <A> JobProcessorBuilder handler(String kind, Class<A> argsType, ArgsHandler<A> handler) {
    return handler(kind, argsType, handler, KindOptions.DEFAULTS);
  }

  /**
   * Runs the jobs of a kind with a typed handler and overrides for the kind.
   *
   * @param <A> the arguments' type
   * @param kind the kind
   * @param argsType the class to decode the arguments into
   * @param handler runs each job of the kind
   * @param options what the kind does differently from the processor's settings
   * @return this builder
   */
  public <A> JobProcessorBuilder handler(
      String kind, Class<A> argsType, ArgsHandler<A> handler, KindOptions options) {
    Objects.requireNonNull(argsType, "argsType must not be null");
    Objects.requireNonNull(handler, "handler of kind " + kind + " must not be null");
    ObjectMapper mapper = queue == null ? null : queue.objectMapper();
    JobHandler decoding =
        (job, context) -> {
          A args;
          try {
            args = job.args(mapper, argsType);
          } catch (IllegalArgumentException e) {
            throw new PermanentJobFailureException(e.getMessage(), e);
          }
          handler.handle(args, context);
        };
    registrations.add(new Registration(kind, decoding, options));
    return this;
  }

  /**
   * Sets how many jobs run at once (the seed's MAX_CONCURRENT_JOBS). Default {@value
   * JobProcessor#DEFAULT_CONCURRENCY}.
   *
   * @param concurrency 1 to 1,000
   * @return this builder
   */
  public JobProcessorBuilder concurrency(int concurrency) {
    this.concurrency = concurrency;
    return this;
  }

  /**
   * Sets how often the producer claims when nothing wakes it (the seed's POLL_INTERVAL_MS). Default
   * 10 seconds. The poll is what guarantees progress; a notifier only adds speed.
   *
   * @param pollInterval a positive interval
   * @return this builder
   */
  public JobProcessorBuilder pollInterval(Duration pollInterval) {
    this.pollInterval = pollInterval;
    return this;
  }

  /**
   * Sets the lease on claimed jobs, renewed every third of it while the handler runs. A worker that
   * dies loses its jobs to the reaper once this and the {@link #reapGrace reap grace} have passed.
   * Default 60 seconds.
   *
   * @param leaseDuration at least 100 ms
   * @return this builder
   */
  public JobProcessorBuilder leaseDuration(Duration leaseDuration) {
    this.leaseDuration = leaseDuration;
    return this;
  }

  /**
   * Sets how long one attempt may run before it is cancelled, interrupted and recorded as a failed
   * attempt. Default 30 minutes.
   *
   * @param jobTimeout a positive duration
   * @return this builder
   * @throws NullPointerException if {@code jobTimeout} is null; use {@link #noJobTimeout()}
   */
  public JobProcessorBuilder jobTimeout(Duration jobTimeout) {
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
  public JobProcessorBuilder noJobTimeout() {
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
  public JobProcessorBuilder heartbeatTimeout(@Nullable Duration heartbeatTimeout) {
    this.heartbeatTimeout = heartbeatTimeout;
    return this;
  }

  /**
   * Sets how long {@link JobProcessor#stop()} waits for running jobs before cancelling them (the
   * seed's SHUTDOWN_TIMEOUT_MS). Default 30 seconds.
   *
   * @param shutdownTimeout zero or positive
   * @return this builder
   */
  public JobProcessorBuilder shutdownTimeout(Duration shutdownTimeout) {
    this.shutdownTimeout = shutdownTimeout;
    return this;
  }

  /**
   * Sets how often the reaper looks for expired leases (of any worker). Reaping rides on the claim
   * statement at the first poll or claim after this interval has passed. Default half the lease, at
   * least 1 s.
   *
   * @param reapInterval at least 10 ms
   * @return this builder
   */
  public JobProcessorBuilder reapInterval(Duration reapInterval) {
    this.reapInterval = reapInterval;
    return this;
  }

  /**
   * Sets how long a lease must have been expired before this worker's reaper takes its job back.
   * Default: the lease duration. The grace is what keeps a database outage from costing attempts:
   * while the database is unreachable nobody can renew, and leases lapse; once it answers again,
   * their owners renew at once (they retry every tenth of the lease, at most a second) and the
   * grace keeps every reaper away meanwhile. An outage shorter than about the lease plus the grace
   * costs nothing. A worker that could not renew a lease for the lease plus the grace settles its
   * job itself, since another worker may reap it from then on: a running handler is cancelled with
   * {@link CancellationReason#LEASE_LOST}, a job that never started is handed back. Use the same
   * lease and grace on every worker of a queue. The price is recovery time: the jobs of a crashed
   * worker run again after the lease plus the grace.
   *
   * @param reapGrace zero or positive
   * @return this builder
   */
  public JobProcessorBuilder reapGrace(Duration reapGrace) {
    this.reapGrace = Objects.requireNonNull(reapGrace, "reapGrace must not be null");
    return this;
  }

  /**
   * Sets how long a {@code processing} job without a lease may run before this worker's reaper
   * takes it back. Such rows were claimed by a worker of the seed's era (before this SDK's
   * migrations gave {@code claim_next_job()} a lease), which may still be running them during a
   * rolling upgrade; reaping them at once would run them twice. Measured from the job's {@code
   * started_at} (or {@code updated_at}). Default {@link JobProcessor#DEFAULT_UNLEASED_GRACE}.
   *
   * @param unleasedGrace zero or positive
   * @return this builder
   */
  public JobProcessorBuilder unleasedGrace(Duration unleasedGrace) {
    this.unleasedGrace = Objects.requireNonNull(unleasedGrace, "unleasedGrace must not be null");
    return this;
  }

  /**
   * Sets the backoff between attempts. Default: the queue's retry policy.
   *
   * @param retryPolicy the policy
   * @return this builder
   */
  public JobProcessorBuilder retryPolicy(RetryPolicy retryPolicy) {
    this.retryPolicy = retryPolicy;
    return this;
  }

  /**
   * Sets how many times a job may snooze ({@link SnoozeJobException}) before a snooze counts as a
   * failed attempt. A snooze when the job has snoozed this many times already is recorded as a
   * failed, retryable attempt (with its backoff, and the dead letter when it was the last), with an
   * error saying the job snoozed more than this many times. Default {@value
   * JobProcessor#DEFAULT_MAX_SNOOZES}; {@code 0} makes every snooze a failed attempt.
   *
   * @param maxSnoozes zero or more
   * @return this builder
   */
  public JobProcessorBuilder maxSnoozes(int maxSnoozes) {
    this.maxSnoozes = maxSnoozes;
    return this;
  }

  /**
   * Sets the fairness bound: a job that has been due for longer than this goes ahead of every job
   * that has waited less, whatever their priorities, oldest first. So a steady stream of Pro jobs
   * that alone keeps every slot busy delays a Free job by at most this bound plus the time until a
   * slot of a worker that runs its kind frees up. Without contention nothing waits that long and
   * the claim order is the seed's: priority, then enqueue order. Under an overload where every job
   * waits longer than the bound, the aged jobs run oldest first, whatever their tier: the price of
   * the bound. Default {@link JobProcessor#DEFAULT_FAIRNESS_BOUND} (5 minutes).
   *
   * @param bound a positive duration
   * @return this builder
   * @see #strictPriority()
   */
  public JobProcessorBuilder fairness(Duration bound) {
    this.fairness = Objects.requireNonNull(bound, "fairness must not be null");
    return this;
  }

  /**
   * Claims in strict priority order, the seed's: a steady stream of higher-priority jobs may delay
   * lower ones for as long as it lasts. Default: the {@link #fairness(Duration)} bound applies.
   *
   * @return this builder
   */
  public JobProcessorBuilder strictPriority() {
    this.fairness = null;
    return this;
  }

  /**
   * Sets a notifier that wakes the producer as soon as jobs arrive. Default none: polling only. The
   * caller keeps ownership and closes it after the processor.
   *
   * @param notifier the notifier, or {@code null} for none
   * @return this builder
   */
  public JobProcessorBuilder notifier(@Nullable JobNotifier notifier) {
    this.notifier = notifier;
    return this;
  }

  /**
   * Sets the worker id, stored as the lease owner of claimed jobs. Default {@code host-pid-random}.
   * Must be unique among running workers.
   *
   * @param workerId 1 to 100 characters: letters, digits, '.', '_', ':' or '-'
   * @return this builder
   */
  public JobProcessorBuilder workerId(String workerId) {
    this.workerId = workerId;
    return this;
  }

  /**
   * Adds a listener for job events (metrics, logs). May be called more than once.
   *
   * @param listener the listener
   * @return this builder
   */
  public JobProcessorBuilder listener(JobListener listener) {
    this.listeners.add(Objects.requireNonNull(listener, "listener must not be null"));
    return this;
  }

  /**
   * Adds an interceptor around each attempt of every kind's handler: for tracing, logging context
   * or metrics. May be called more than once; the first interceptor added is the outermost, the
   * handler runs innermost. Default none, and then nothing stands between the processor and the
   * handler. See {@link JobInterceptor} for how an interceptor decides the attempt.
   *
   * @param interceptor the interceptor; must be thread-safe
   * @return this builder
   * @throws NullPointerException if the interceptor is null
   */
  public JobProcessorBuilder interceptor(JobInterceptor interceptor) {
    this.interceptors.add(Objects.requireNonNull(interceptor, "interceptor must not be null"));
    return this;
  }

  /**
   * Sets the factory of handler threads. Default: daemon platform threads named {@code
   * mobvibe-handler-<worker>-<n>}.
   *
   * @param threadFactory the factory
   * @return this builder
   */
  public JobProcessorBuilder threadFactory(ThreadFactory threadFactory) {
    this.threadFactory = threadFactory;
    return this;
  }

  /**
   * Runs handlers on virtual threads (Java 21 and newer). Default off.
   *
   * @param virtualThreads whether to use virtual threads
   * @return this builder
   */
  public JobProcessorBuilder virtualThreads(boolean virtualThreads) {
    this.virtualThreads = virtualThreads;
    return this;
  }

  /**
   * Sets how many session events may wait to be written. Default {@value
   * JobProcessor#DEFAULT_EVENT_BUFFER_CAPACITY}.
   *
   * @param capacity 1 to 1,000,000
   * @return this builder
   */
  public JobProcessorBuilder eventBufferCapacity(int capacity) {
    this.eventBufferCapacity = capacity;
    return this;
  }

  /**
   * Sets what the processor writes to each job's coding session. Default {@link
   * SessionTracking#STATUS}: a claimed job's session becomes {@code active} and, when the job
   * succeeds, {@code completed}, inside the claim's and the completion's own statements, without a
   * session event. {@link SessionTracking#STATUS_AND_EVENTS} also appends a {@code state_changed}
   * event for each of these two transitions (about half again the database work per job of {@code
   * STATUS} with a no-op handler); {@link SessionTracking#OFF} leaves sessions alone, for
   * applications that do not use {@code coding_sessions}. In every mode a job that goes to the dead
   * letter fails its session with its error and a {@code state_changed} event, as in the seed.
   *
   * @param sessionTracking what to write
   * @return this builder
   * @throws NullPointerException if {@code sessionTracking} is null
   */
  public JobProcessorBuilder sessionTracking(SessionTracking sessionTracking) {
    this.sessionTracking =
        Objects.requireNonNull(sessionTracking, "sessionTracking must not be null");
    return this;
  }

  /**
   * Lets the producer claim exactly up to this many jobs beyond its free handler slots, held in
   * memory until a slot frees, instead of the default auto prefetch. Larger claims mean fewer round
   * trips for short jobs; but a buffered job waits here while another worker might have run it.
   * Buffered jobs hold leases that the lease keeper renews. {@code 0} turns prefetching off: the
   * worker claims only for free slots.
   *
   * <p>By default (auto) the processor buffers at most what its handlers finish in {@value
   * JobProcessor#AUTO_PREFETCH_WAIT_MILLIS} ms at their measured rate, up to {@value
   * JobProcessor#MAX_PREFETCH} jobs: a worker draining short jobs claims hundreds per statement,
   * while a worker running long jobs (a few per second or fewer) buffers none, so no job waits in
   * memory for a slot.
   *
   * @param prefetch 0 to 1,000
   * @return this builder
   */
  public JobProcessorBuilder prefetch(int prefetch) {
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
    Map<String, KindRoute> routes = routes();
    if (virtualThreads && threadFactory != null) {
      throw new IllegalArgumentException("set threadFactory or virtualThreads, not both");
    }
    if (virtualThreads && !JobProcessor.virtualThreadsAvailable()) {
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
            autoPrefetch ? JobProcessor.MAX_PREFETCH : prefetch,
            autoPrefetch,
            pollInterval,
            leaseDuration,
            jobTimeout,
            heartbeatTimeout,
            shutdownTimeout,
            reapInterval,
            reapGrace,
            unleasedGrace,
            retryPolicy != null ? retryPolicy : queue.retryPolicy(),
            maxSnoozes,
            sessionTracking,
            eventBufferCapacity,
            threads,
            List.copyOf(routes.keySet()),
            fairness);
    Engine engine = new Engine(settings, queue.store(), queue.objectMapper(), routes, listeners);
    return new JobProcessor(queue, settings, engine, notifier, housekeeping(id));
  }

  /**
   * The registrations as routes by kind, checked: valid kinds, none twice, at least one. Each
   * route's handler runs inside the interceptors, so the chain is built once per kind here.
   */
  private Map<String, KindRoute> routes() {
    if (registrations.isEmpty()) {
      throw new IllegalArgumentException(
          "register a handler for at least one kind (JobProcessorBuilder.handler)");
    }
    Map<String, KindRoute> routes = new LinkedHashMap<>();
    for (Registration r : registrations) {
      NewJob.checkKind(r.kind());
      Objects.requireNonNull(r.handler(), "handler of kind " + r.kind() + " must not be null");
      Objects.requireNonNull(r.options(), "options of kind " + r.kind() + " must not be null");
      JobHandler handler = Interceptors.wrap(r.handler(), interceptors);
      if (routes.put(r.kind(), new KindRoute(handler, r.options())) != null) {
        throw new IllegalArgumentException("kind " + r.kind() + " has two handlers");
      }
    }
    return routes;
  }

  /**
   * Registers a recurring job: at each tick of {@code schedule} one job made by {@code job} is
   * enqueued, however many workers run with the same schedule. Every worker that registers a
   * schedule takes part in ticking it; there is no leader. A tick is taken in one transaction that
   * records it in the schedules table and enqueues the job on the same connection, so a job exists
   * exactly for each tick recorded. The job carries two metadata entries ({@link Job#metadata()}):
   * {@code schedule}, the schedule's name, and {@code schedule_tick}, its tick as an ISO-8601
   * instant ({@code 2026-03-01T02:00:00Z}).
   *
   * <p>Catch-up after downtime (no worker ran with the schedule at a tick): only the most recent
   * missed tick is enqueued, when a worker next runs, not every missed one. A schedule registered
   * for the first time starts at its registration: earlier ticks are not enqueued. A tick at or
   * before the newest recorded one is never enqueued again. Ticks follow the workers' clocks.
   *
   * <p>At start the processor inserts the schedule's row in {@code coding_job_schedules}, or
   * updates its kind, expression, zone and next tick when the name exists (the last worker to start
   * wins: keep one definition per name across a deployment). The job factory is called once in
   * {@link #build()} to learn the kind and check it returns a job, then once per tick taken, on the
   * processor's scheduler thread ({@code mobvibe-scheduler-<worker>}). The processor enqueues the
   * job whatever its kind: a worker may schedule jobs that other workers run. Default: no
   * schedules, and then no scheduler thread.
   *
   * @param name the schedule's unique name: 1 to 100 letters, digits, '_', '.', ':' or '-'
   * @param schedule when it ticks: {@link Schedule#cron(String, java.time.ZoneId)} or {@link
   *     Schedule#every(Duration)}
   * @param job makes the job of each tick; called on the scheduler thread
   * @return this builder
   */
  public JobProcessorBuilder schedule(String name, Schedule schedule, Supplier<NewJob> job) {
    schedules.add(new ScheduleRegistration(name, schedule, job));
    return this;
  }

  /**
   * Sets how long finished jobs are kept: the processor deletes completed and cancelled jobs that
   * finished longer ago than {@code finished}, and dead letters (failed jobs) that failed longer
   * ago than {@code deadLetters}. It runs on a thread of its own ({@code
   * mobvibe-retention-<worker>}) about once a minute (plus jitter), in statements of at most 1,000
   * rows that lock only finished rows and skip those another transaction holds, so claims never
   * wait for it. Coding sessions and session events are never deleted: they belong to the
   * application. Default on, with {@link JobProcessor#DEFAULT_RETENTION_FINISHED} (7 days) and
   * {@link JobProcessor#DEFAULT_RETENTION_DEAD_LETTERS} (30 days); {@link #noRetention()} turns it
   * off.
   *
   * @param finished how long completed and cancelled jobs are kept; positive, or {@code null} to
   *     keep them for ever
   * @param deadLetters how long failed jobs are kept; positive, or {@code null} to keep them for
   *     ever
   * @return this builder
   */
  public JobProcessorBuilder retention(
      @Nullable Duration finished, @Nullable Duration deadLetters) {
    this.retention = true;
    this.retentionFinished = finished;
    this.retentionDeadLetters = deadLetters;
    return this;
  }

  /**
   * Turns retention off: this processor deletes no job. For applications that prune themselves
   * (with {@link JobQueue#pruneFinishedJobs} and {@link JobQueue#pruneDeadLetters}), or that keep
   * every job.
   *
   * @return this builder
   */
  public JobProcessorBuilder noRetention() {
    this.retention = false;
    return this;
  }

  /** Sets the wall clock of the scheduler; tests only. */
  JobProcessorBuilder clock(Clock clock) {
    this.clock = Objects.requireNonNull(clock, "clock must not be null");
    return this;
  }

  /** The scheduler and pruner of the settings, checked; either may be absent. */
  private Housekeeping housekeeping(String workerId) {
    List<Housekeeping.Recurring> entries = new ArrayList<>();
    Set<String> names = new HashSet<>();
    for (ScheduleRegistration r : schedules) {
      if (r.name() == null || !SCHEDULE_NAME.matcher(r.name()).matches()) {
        throw new IllegalArgumentException(
            "schedule name must be 1 to 100 characters of letters, digits, '_', '.', ':' or"
                + " '-', was "
                + (r.name() == null ? "null" : "'" + r.name() + "'"));
      }
      if (!names.add(r.name())) {
        throw new IllegalArgumentException("schedule " + r.name() + " is registered twice");
      }
      Objects.requireNonNull(
          r.schedule(), "schedule of schedule " + r.name() + " must not be null");
      Objects.requireNonNull(r.job(), "job factory of schedule " + r.name() + " must not be null");
      if (r.schedule().problem() != null) {
        throw new IllegalArgumentException("schedule " + r.name() + ": " + r.schedule().problem());
      }
      if (r.schedule().next(clock.instant()).isEmpty()) {
        throw new IllegalArgumentException(
            "schedule "
                + r.name()
                + ": cron expression '"
                + r.schedule().expression()
                + "' never fires");
      }
      NewJob sample = r.job().get();
      if (sample == null) {
        throw new IllegalArgumentException(
            "job factory of schedule " + r.name() + " returned null");
      }
      entries.add(new Housekeeping.Recurring(r.name(), r.schedule(), r.job(), sample.kind()));
    }
    if (retention) {
      checkRetention("retention finished", retentionFinished);
      checkRetention("retention deadLetters", retentionDeadLetters);
    }
    return new Housekeeping(
        workerId,
        entries,
        new ScheduleStore(queue.store().jdbc(), queue.schema()),
        (c, job) -> queue.enqueue(c, job).id(),
        clock,
        queue.store(),
        retention ? retentionFinished : null,
        retention ? retentionDeadLetters : null);
  }

  private static void checkRetention(String name, Duration age) {
    if (age != null && (age.isZero() || age.isNegative())) {
      throw new IllegalArgumentException(
          name + " must be positive, or null to keep for ever, was " + age);
    }
  }
}
