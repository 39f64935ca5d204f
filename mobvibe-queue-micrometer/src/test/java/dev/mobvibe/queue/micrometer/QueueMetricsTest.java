package dev.mobvibe.queue.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mobvibe.queue.Job;
import dev.mobvibe.queue.JobArgs;
import dev.mobvibe.queue.JobNotifier;
import dev.mobvibe.queue.JobQueue;
import dev.mobvibe.queue.JobSignal;
import dev.mobvibe.queue.JobStatus;
import dev.mobvibe.queue.NewJob;
import dev.mobvibe.queue.NotifierState;
import dev.mobvibe.queue.PlanTier;
import dev.mobvibe.queue.QueueStats;
import dev.mobvibe.queue.Subscription;
import dev.mobvibe.queue.testing.TestDatabase;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class QueueMetricsTest {
  @RegisterExtension static final TestDatabase db = new TestDatabase();

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

  private static Job job(int priority) {
    Instant now = Instant.now();
    return new Job(
        UUID.randomUUID(),
        NewJob.CODING_SESSION_KIND,
        UUID.randomUUID(),
        "prompt",
        priority,
        JobStatus.PROCESSING,
        0,
        3,
        now,
        now,
        now,
        null,
        null,
        null,
        "w",
        now,
        List.of(),
        "{}",
        Map.of(),
        null,
        0,
        null);
  }

  private double count(String name, String tier) {
    return registry.get(name).tags("tier", tier).counter().count();
  }

  @Test
  void countsAndTimesJobsPerTier() {
    QueueMetrics metrics = new QueueMetrics(registry, Tags.of("app", "test"));
    Job pro = job(10);
    Job free = job(0);
    metrics.onJobStarted(pro, Duration.ofMillis(3));
    metrics.onJobSucceeded(pro, Duration.ofSeconds(2));
    metrics.onJobStarted(free, Duration.ofMillis(7));
    metrics.onJobRetried(free, new RuntimeException("x"), Duration.ofMillis(400));
    metrics.onJobDeadLettered(free, new RuntimeException("x"), Duration.ofMillis(300));
    metrics.onJobLost(free, "lease expired");
    metrics.onClaim(4);
    metrics.onJobsReaped(2);

    assertThat(count("mobvibe.jobs.started", "pro")).isEqualTo(1);
    assertThat(count("mobvibe.jobs.started", "starter")).isZero();
    assertThat(count("mobvibe.jobs.succeeded", "pro")).isEqualTo(1);
    assertThat(count("mobvibe.jobs.failed", "free")).isEqualTo(2);
    assertThat(count("mobvibe.jobs.retried", "free")).isEqualTo(1);
    assertThat(count("mobvibe.jobs.dead.lettered", "free")).isEqualTo(1);
    assertThat(count("mobvibe.jobs.lost", "free")).isEqualTo(1);
    assertThat(registry.get("mobvibe.jobs.claimed").counter().count()).isEqualTo(4);
    assertThat(registry.get("mobvibe.jobs.reaped").counter().count()).isEqualTo(2);
    assertThat(
            registry
                .get("mobvibe.job.duration")
                .tags("tier", "pro", "outcome", "succeeded", "app", "test")
                .timer()
                .totalTime(TimeUnit.MILLISECONDS))
        .isEqualTo(2000);
    assertThat(registry.get("mobvibe.job.claim.to.start").tags("tier", "free").timer().count())
        .isEqualTo(1);
  }

  @Test
  void queueGaugesFollowTheLastReading() {
    QueueMetrics metrics = new QueueMetrics(registry);
    assertThat(registry.get("mobvibe.queue.jobs").tags("status", "pending").gauge().value())
        .isNaN();
    metrics.update(
        new QueueStats(
            5,
            2,
            40,
            1,
            3,
            1,
            0,
            Duration.ofSeconds(15),
            Map.of(PlanTier.PRO, 3L, PlanTier.STARTER, 0L, PlanTier.FREE, 2L)));
    assertThat(registry.get("mobvibe.queue.jobs").tags("status", "pending").gauge().value())
        .isEqualTo(5);
    assertThat(registry.get("mobvibe.queue.jobs").tags("status", "completed").gauge().value())
        .isEqualTo(40);
    assertThat(registry.get("mobvibe.queue.jobs").tags("status", "cancelled").gauge().value())
        .isEqualTo(3);
    assertThat(registry.get("mobvibe.queue.pending").tags("tier", "pro").gauge().value())
        .isEqualTo(3);
    assertThat(registry.get("mobvibe.queue.delayed").gauge().value()).isEqualTo(1);
    assertThat(registry.get("mobvibe.queue.oldest.pending.age").timeGauge().value(TimeUnit.SECONDS))
        .isEqualTo(15);
  }

  private static QueueStats withKinds(Map<String, QueueStats.KindStats> byKind) {
    long pending = byKind.values().stream().mapToLong(QueueStats.KindStats::pending).sum();
    long processing = byKind.values().stream().mapToLong(QueueStats.KindStats::processing).sum();
    return new QueueStats(
        pending,
        processing,
        0,
        0,
        0,
        0,
        0,
        Duration.ZERO,
        Map.of(PlanTier.PRO, 0L, PlanTier.STARTER, 0L, PlanTier.FREE, pending),
        byKind);
  }

  private double kindGauge(String kind, String status) {
    return registry
        .get("mobvibe.queue.kind.jobs")
        .tags("kind", kind, "status", status)
        .gauge()
        .value();
  }

  @Test
  void kindGaugesCoverOnlyTheKindsTheReadingsHold() {
    QueueMetrics metrics = new QueueMetrics(registry, Tags.of("app", "test"));
    assertThat(registry.find("mobvibe.queue.kind.jobs").gauges()).isEmpty();

    metrics.update(
        withKinds(
            Map.of(
                NewJob.CODING_SESSION_KIND,
                new QueueStats.KindStats(4, 2, 10, 1, 0),
                "send_email",
                new QueueStats.KindStats(3, 1, 5, 0, 2))));
    assertThat(kindGauge(NewJob.CODING_SESSION_KIND, "pending")).isEqualTo(4);
    assertThat(kindGauge(NewJob.CODING_SESSION_KIND, "processing")).isEqualTo(2);
    assertThat(kindGauge("send_email", "pending")).isEqualTo(3);
    assertThat(kindGauge("send_email", "processing")).isEqualTo(1);
    assertThat(registry.get("mobvibe.queue.kind.jobs").tags("app", "test").gauges()).hasSize(4);

    // A kind gone from the table reads 0; a new kind gets its gauges; no gauge is registered twice.
    metrics.update(withKinds(Map.of("reindex", new QueueStats.KindStats(7, 0, 0, 0, 0))));
    assertThat(kindGauge("send_email", "pending")).isZero();
    assertThat(kindGauge("reindex", "pending")).isEqualTo(7);
    metrics.update(withKinds(Map.of("reindex", new QueueStats.KindStats(6, 1, 0, 0, 0))));
    assertThat(kindGauge("reindex", "processing")).isEqualTo(1);
    assertThat(registry.find("mobvibe.queue.kind.jobs").gauges()).hasSize(6);
    assertThat(registry.find("mobvibe.queue.kind.jobs").tag("status", "completed").gauges())
        .isEmpty();
  }

  @Test
  void kindGaugesFollowTheRealQueue() {
    JobQueue queue = db.migratedQueue();
    queue.enqueueAll(List.of(NewJob.of("one"), NewJob.of("two")));
    queue.enqueue(NewJob.of(new Reindex("docs")));
    queue.claimJobs(List.of("reindex"), 1);
    QueueMetrics metrics = new QueueMetrics(registry);
    metrics.update(queue.getQueueStats());
    assertThat(kindGauge(NewJob.CODING_SESSION_KIND, "pending")).isEqualTo(2);
    assertThat(kindGauge(NewJob.CODING_SESSION_KIND, "processing")).isZero();
    assertThat(kindGauge("reindex", "pending")).isZero();
    assertThat(kindGauge("reindex", "processing")).isEqualTo(1);
  }

  /** A second kind for the test on the real queue. */
  record Reindex(String index) implements JobArgs {
    @Override
    public String kind() {
      return "reindex";
    }
  }

  @Test
  void notifierStateAndReconnectsAreObserved() {
    FakeNotifier notifier = new FakeNotifier();
    try (QueueMetrics metrics = new QueueMetrics(registry).bindNotifier(notifier)) {
      notifier.state = NotifierState.LISTENING;
      assertThat(registry.get("mobvibe.notifier.state").tags("state", "listening").gauge().value())
          .isEqualTo(1);
      assertThat(registry.get("mobvibe.notifier.state").tags("state", "idle").gauge().value())
          .isZero();
      notifier.listener.accept(JobSignal.of(JobSignal.Source.RECONNECT)); // the first connect
      notifier.listener.accept(JobSignal.of(JobSignal.Source.NOTIFICATION));
      assertThat(registry.get("mobvibe.notifier.reconnects").counter().count()).isZero();
      notifier.listener.accept(JobSignal.of(JobSignal.Source.RECONNECT));
      assertThat(registry.get("mobvibe.notifier.reconnects").counter().count()).isEqualTo(1);
      assertThat(
              registry
                  .get("mobvibe.notifier.signals")
                  .tags("source", "reconnect")
                  .counter()
                  .count())
          .isEqualTo(2);
      assertThat(
              registry
                  .get("mobvibe.notifier.signals")
                  .tags("source", "notification")
                  .counter()
                  .count())
          .isEqualTo(1);
      metrics.close();
      assertThat(notifier.unsubscribed).isTrue();
    }
  }

  private static final class FakeNotifier implements JobNotifier {
    volatile NotifierState state = NotifierState.IDLE;
    Consumer<JobSignal> listener;
    boolean unsubscribed;

    @Override
    public Subscription subscribe(Consumer<JobSignal> l) {
      this.listener = l;
      return () -> unsubscribed = true;
    }

    @Override
    public NotifierState state() {
      return state;
    }

    @Override
    public void close() {}
  }
}
