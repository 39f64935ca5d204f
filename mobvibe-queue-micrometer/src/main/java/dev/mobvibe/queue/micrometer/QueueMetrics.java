package dev.mobvibe.queue.micrometer;

import dev.mobvibe.queue.Job;
import dev.mobvibe.queue.JobListener;
import dev.mobvibe.queue.JobNotifier;
import dev.mobvibe.queue.JobProcessor;
import dev.mobvibe.queue.JobSignal;
import dev.mobvibe.queue.JobStatus;
import dev.mobvibe.queue.NotifierState;
import dev.mobvibe.queue.PlanTier;
import dev.mobvibe.queue.QueueReport;
import dev.mobvibe.queue.QueueStats;
import dev.mobvibe.queue.Subscription;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.ToDoubleFunction;

/**
 * Micrometer metrics for a MobVibe queue worker: a {@link JobListener} that counts and times what a
 * {@link JobProcessor} does, plus gauges of the queue's depth fed from {@link QueueStats}, the
 * processor's running jobs and a notifier's state. Works with any {@link MeterRegistry}
 * (Prometheus, OTLP, Datadog...); the example worker serves it as Prometheus text on {@code GET
 * /metrics}.
 *
 * <pre>{@code
 * QueueMetrics metrics = new QueueMetrics(registry);
 * JobProcessor processor = JobProcessor.builder(queue, handler).listener(metrics).build();
 * metrics.bindProcessor(processor);                      // mobvibe.worker.running.jobs
 * QueueMonitor monitor = QueueMonitor.builder(queue).onReport(metrics::update).build();
 * monitor.startMonitoring(Duration.ofSeconds(30));      // queue depth gauges every 30 s
 * }</pre>
 *
 * <p>Meters (Prometheus names in brackets):
 *
 * <ul>
 *   <li>counters, tagged {@code tier} = pro, starter, free: {@code mobvibe.jobs.started}
 *       [mobvibe_jobs_started_total], {@code mobvibe.jobs.succeeded}, {@code mobvibe.jobs.failed}
 *       (every failed attempt), {@code mobvibe.jobs.retried}, {@code mobvibe.jobs.dead.lettered},
 *       {@code mobvibe.jobs.lost}; untagged: {@code mobvibe.jobs.claimed}, {@code
 *       mobvibe.jobs.reaped};
 *   <li>timers with histogram buckets: {@code mobvibe.job.duration} [mobvibe_job_duration_seconds]
 *       tagged {@code tier} and {@code outcome} = succeeded, retried, dead_lettered, and {@code
 *       mobvibe.job.claim.to.start} [mobvibe_job_claim_to_start_seconds] tagged {@code tier};
 *   <li>gauges from the last {@link #update(QueueStats)}: {@code mobvibe.queue.jobs} tagged {@code
 *       status} = pending, processing, completed, failed, cancelled; {@code mobvibe.queue.pending}
 *       tagged {@code tier}; {@code mobvibe.queue.delayed}; {@code mobvibe.queue.expired.leases};
 *       {@code mobvibe.queue.oldest.pending.age} [mobvibe_queue_oldest_pending_age_seconds]. They
 *       read NaN until the first update;
 *   <li>per job kind, from the same updates: {@code mobvibe.queue.kind.jobs}
 *       [mobvibe_queue_kind_jobs] tagged {@code kind} and {@code status} = pending, processing. A
 *       kind's two gauges are registered the first time a reading holds the kind ({@link
 *       QueueStats#byKind()}: the kinds that have jobs in the table), so the tags stay as few as
 *       the kinds the application enqueues; a kind that later has no jobs left reads 0;
 *   <li>after {@link #bindProcessor}: {@code mobvibe.worker.running.jobs} and {@code
 *       mobvibe.worker.concurrency}; after {@link #bindNotifier}: {@code mobvibe.notifier.state}
 *       tagged {@code state} (1 for the current state, else 0), {@code mobvibe.notifier.signals}
 *       tagged {@code source} = notification, poll, reconnect, and {@code
 *       mobvibe.notifier.reconnects} (connections lost and re-established).
 * </ul>
 *
 * <p>Every meter also carries the common tags given to the constructor. Thread-safe: listener
 * methods are called from the processor's threads. Register one instance per processor with the
 * same registry only if you give each a distinguishing common tag (for example {@code worker}).
 * {@link #close()} ends the notifier subscriptions; the meters stay registered.
 */
public final class QueueMetrics implements JobListener, AutoCloseable {

  /** Bucket boundaries of {@code mobvibe.job.duration}: 100 ms to 1 hour. */
  public static final List<Duration> DURATION_BUCKETS =
      List.of(
          Duration.ofMillis(100),
          Duration.ofMillis(500),
          Duration.ofSeconds(1),
          Duration.ofSeconds(5),
          Duration.ofSeconds(10),
          Duration.ofSeconds(30),
          Duration.ofMinutes(1),
          Duration.ofMinutes(5),
          Duration.ofMinutes(10),
          Duration.ofMinutes(30),
          Duration.ofHours(1));

  /** Bucket boundaries of {@code mobvibe.job.claim.to.start}: 1 ms to 10 s. */
  public static final List<Duration> CLAIM_TO_START_BUCKETS =
      List.of(
          Duration.ofMillis(1),
          Duration.ofMillis(5),
          Duration.ofMillis(10),
          Duration.ofMillis(50),
          Duration.ofMillis(100),
          Duration.ofMillis(500),
          Duration.ofSeconds(1),
          Duration.ofSeconds(5),
          Duration.ofSeconds(10));

  private final MeterRegistry registry;
  private final Tags tags;
  private final Map<PlanTier, TierMeters> byTier = new EnumMap<>(PlanTier.class);
  private final Counter claimed;
  private final Counter reaped;
  private final AtomicReference<QueueStats> stats = new AtomicReference<>();
  private final Set<String> kinds = ConcurrentHashMap.newKeySet();
  private final List<Subscription> subscriptions = new ArrayList<>();

  /**
   * Registers the job counters, timers and queue gauges with no common tags.
   *
   * @param registry the registry
   * @throws NullPointerException if the registry is null
   */
  public QueueMetrics(MeterRegistry registry) {
    this(registry, Tags.empty());
  }

  /**
   * Registers the job counters, timers and queue gauges.
   *
   * @param registry the registry
   * @param commonTags tags added to every meter, for example {@code Tags.of("worker", id)}
   * @throws NullPointerException if an argument is null
   */
  public QueueMetrics(MeterRegistry registry, Iterable<Tag> commonTags) {
    this.registry = Objects.requireNonNull(registry, "registry must not be null");
    this.tags = Tags.of(Objects.requireNonNull(commonTags, "commonTags must not be null"));
    for (PlanTier tier : PlanTier.values()) {
      byTier.put(
          tier,
          new TierMeters(
              counter(tier, "mobvibe.jobs.started", "attempts started by a handler"),
              counter(tier, "mobvibe.jobs.succeeded", "jobs completed"),
              counter(
                  tier, "mobvibe.jobs.failed", "attempts that failed (retried or dead-lettered)"),
              counter(tier, "mobvibe.jobs.retried", "failed attempts that will run again"),
              counter(tier, "mobvibe.jobs.dead.lettered", "jobs that went to the dead letter"),
              counter(tier, "mobvibe.jobs.lost", "attempts whose outcome was dropped: lease lost"),
              durationTimer(tier, "succeeded"),
              durationTimer(tier, "retried"),
              durationTimer(tier, "dead_lettered"),
              Timer.builder("mobvibe.job.claim.to.start")
                  .description("time from the claim of a job to the start of its handler")
                  .tags(tags)
                  .tag("tier", tag(tier))
                  .serviceLevelObjectives(CLAIM_TO_START_BUCKETS.toArray(Duration[]::new))
                  .register(registry)));
    }
    claimed =
        Counter.builder("mobvibe.jobs.claimed")
            .description("jobs claimed")
            .tags(tags)
            .register(registry);
    reaped =
        Counter.builder("mobvibe.jobs.reaped")
            .description("jobs returned to pending after their lease expired")
            .tags(tags)
            .register(registry);
    for (JobStatus status : JobStatus.values()) {
      queueGauge(
          "mobvibe.queue.jobs",
          "jobs in the queue per status",
          Tags.of("status", status.dbValue()),
          s -> count(s, status));
    }
    for (PlanTier tier : PlanTier.values()) {
      queueGauge(
          "mobvibe.queue.pending",
          "pending jobs per plan tier",
          Tags.of("tier", tag(tier)),
          s -> s.pendingByTier().getOrDefault(tier, 0L));
    }
    queueGauge(
        "mobvibe.queue.delayed",
        "pending jobs whose run time is in the future",
        Tags.empty(),
        QueueStats::delayedCount);
    queueGauge(
        "mobvibe.queue.expired.leases",
        "processing jobs whose lease has lapsed",
        Tags.empty(),
        QueueStats::expiredLeaseCount);
    TimeGauge.builder(
            "mobvibe.queue.oldest.pending.age",
            stats,
            TimeUnit.MILLISECONDS,
            ref -> {
              QueueStats s = ref.get();
              return s == null ? Double.NaN : s.oldestPendingAge().toMillis();
            })
        .description("age of the oldest pending job")
        .tags(tags)
        .register(registry);
  }

  /**
   * Feeds the queue gauges with a statistics reading, and registers the per-kind gauges of kinds
   * not seen before. Call it from a {@link dev.mobvibe.queue.QueueMonitor} report sink or after
   * {@code queue.getQueueStats()}.
   *
   * @param reading the statistics
   */
  public void update(QueueStats reading) {
    stats.set(Objects.requireNonNull(reading, "reading must not be null"));
    for (String kind : reading.byKind().keySet()) {
      if (kinds.add(kind)) {
        kindGauge(kind, JobStatus.PENDING, QueueStats.KindStats::pending);
        kindGauge(kind, JobStatus.PROCESSING, QueueStats.KindStats::processing);
      }
    }
  }

  /**
   * Feeds the queue gauges with a monitor report, so {@code
   * QueueMonitor.builder(queue).onReport(metrics::update)} keeps them current.
   *
   * @param report the report
   */
  public void update(QueueReport report) {
    update(Objects.requireNonNull(report, "report must not be null").stats());
  }

  /**
   * Registers gauges of a processor: {@code mobvibe.worker.running.jobs} and {@code
   * mobvibe.worker.concurrency}. The registry keeps a strong reference to the processor.
   *
   * @param processor the processor
   * @return this
   */
  public QueueMetrics bindProcessor(JobProcessor processor) {
    Objects.requireNonNull(processor, "processor must not be null");
    Gauge.builder("mobvibe.worker.running.jobs", processor, JobProcessor::runningJobs)
        .description("jobs this worker holds: running or waiting for a slot")
        .tags(tags)
        .strongReference(true)
        .register(registry);
    Gauge.builder("mobvibe.worker.concurrency", processor, JobProcessor::concurrency)
        .description("jobs this worker runs at once at most")
        .tags(tags)
        .strongReference(true)
        .register(registry);
    return this;
  }

  /**
   * Registers gauges and counters of a notifier and subscribes to it (which starts it, if no one
   * had): {@code mobvibe.notifier.state}, {@code mobvibe.notifier.signals} and {@code
   * mobvibe.notifier.reconnects}, which counts the {@link JobSignal.Source#RECONNECT} signals after
   * the first (the shipped notifiers send one after their initial connect as well).
   *
   * @param notifier the notifier
   * @return this
   */
  public QueueMetrics bindNotifier(JobNotifier notifier) {
    Objects.requireNonNull(notifier, "notifier must not be null");
    for (NotifierState state : NotifierState.values()) {
      Gauge.builder("mobvibe.notifier.state", notifier, n -> n.state() == state ? 1 : 0)
          .description("1 for the notifier's current state")
          .tags(tags)
          .tag("state", state.name().toLowerCase(Locale.ROOT))
          .strongReference(true)
          .register(registry);
    }
    Map<JobSignal.Source, Counter> signals = new EnumMap<>(JobSignal.Source.class);
    for (JobSignal.Source source : JobSignal.Source.values()) {
      signals.put(
          source,
          Counter.builder("mobvibe.notifier.signals")
              .description("wake-up signals received from the notifier")
              .tags(tags)
              .tag("source", source.name().toLowerCase(Locale.ROOT))
              .register(registry));
    }
    Counter reconnects =
        Counter.builder("mobvibe.notifier.reconnects")
            .description("times the notifier reconnected")
            .tags(tags)
            .register(registry);
    AtomicBoolean connectedOnce = new AtomicBoolean();
    Subscription subscription =
        notifier.subscribe(
            signal -> {
              signals.get(signal.source()).increment();
              // The shipped notifiers send the catch-up signal after the first connect too.
              if (signal.source() == JobSignal.Source.RECONNECT
                  && !connectedOnce.compareAndSet(false, true)) {
                reconnects.increment();
              }
            });
    synchronized (subscriptions) {
      subscriptions.add(subscription);
    }
    return this;
  }

  @Override
  public void onJobStarted(Job job, Duration sinceClaim) {
    TierMeters m = byTier.get(job.tier());
    m.started().increment();
    m.claimToStart().record(sinceClaim);
  }

  @Override
  public void onJobSucceeded(Job job, Duration runTime) {
    TierMeters m = byTier.get(job.tier());
    m.succeeded().increment();
    m.succeededTime().record(runTime);
  }

  @Override
  public void onJobRetried(Job job, Throwable error, Duration runTime) {
    TierMeters m = byTier.get(job.tier());
    m.failed().increment();
    m.retried().increment();
    m.retriedTime().record(runTime);
  }

  @Override
  public void onJobDeadLettered(Job job, Throwable error, Duration runTime) {
    TierMeters m = byTier.get(job.tier());
    m.failed().increment();
    m.deadLettered().increment();
    m.deadLetteredTime().record(runTime);
  }

  @Override
  public void onJobLost(Job job, String reason) {
    byTier.get(job.tier()).lost().increment();
  }

  @Override
  public void onClaim(int count) {
    claimed.increment(count);
  }

  @Override
  public void onJobsReaped(int count) {
    reaped.increment(count);
  }

  /** Ends the notifier subscriptions made by {@link #bindNotifier}. Idempotent. */
  @Override
  public void close() {
    synchronized (subscriptions) {
      for (Subscription s : subscriptions) {
        s.unsubscribe();
      }
      subscriptions.clear();
    }
  }

  @Override
  public String toString() {
    return "QueueMetrics" + tags;
  }

  /** The meters of one plan tier, found with one lookup per event. */
  private record TierMeters(
      Counter started,
      Counter succeeded,
      Counter failed,
      Counter retried,
      Counter deadLettered,
      Counter lost,
      Timer succeededTime,
      Timer retriedTime,
      Timer deadLetteredTime,
      Timer claimToStart) {}

  private Counter counter(PlanTier tier, String name, String description) {
    return Counter.builder(name)
        .description(description)
        .tags(tags)
        .tag("tier", tag(tier))
        .register(registry);
  }

  private Timer durationTimer(PlanTier tier, String outcome) {
    return Timer.builder("mobvibe.job.duration")
        .description("how long handlers ran, per outcome")
        .tags(tags)
        .tag("tier", tag(tier))
        .tag("outcome", outcome)
        .serviceLevelObjectives(DURATION_BUCKETS.toArray(Duration[]::new))
        .register(registry);
  }

  private void queueGauge(
      String name, String description, Tags extra, ToDoubleFunction<QueueStats> value) {
    Gauge.builder(
            name,
            stats,
            ref -> {
              QueueStats s = ref.get();
              return s == null ? Double.NaN : value.applyAsDouble(s);
            })
        .description(description)
        .tags(tags)
        .tags(extra)
        .strongReference(true)
        .register(registry);
  }

  private void kindGauge(
      String kind, JobStatus status, ToDoubleFunction<QueueStats.KindStats> value) {
    queueGauge(
        "mobvibe.queue.kind.jobs",
        "jobs in the queue per kind and status",
        Tags.of("kind", kind, "status", status.dbValue()),
        s -> value.applyAsDouble(s.byKind().getOrDefault(kind, QueueStats.KindStats.NONE)));
  }

  private static double count(QueueStats s, JobStatus status) {
    return switch (status) {
      case PENDING -> s.pendingCount();
      case PROCESSING -> s.processingCount();
      case COMPLETED -> s.completedCount();
      case FAILED -> s.failedCount();
      case CANCELLED -> s.cancelledCount();
    };
  }

  private static String tag(PlanTier tier) {
    return tier.name().toLowerCase(Locale.ROOT);
  }
}
