package dev.mobvibe.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import dev.mobvibe.queue.testing.TestDatabase;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The monitor: the seed's statistics block, the health verdict from {@link HealthThresholds},
 * throughput between readings, and a periodic reader that survives a failing database.
 */
class QueueMonitorTest {
  @RegisterExtension static final TestDatabase db = new TestDatabase();

  static final Instant T0 = Instant.parse("2026-01-01T12:00:00Z");

  static JobQueue queue;

  @BeforeAll
  static void migrate() {
    queue = db.migratedQueue();
  }

  @BeforeEach
  void emptyTheQueue() {
    db.emptyQueueTables();
  }

  static QueueStats stats(
      long pending, long processing, long completed, long failed, Duration oldest, long expired) {
    return new QueueStats(
        pending,
        processing,
        completed,
        failed,
        0,
        0,
        expired,
        oldest,
        Map.of(PlanTier.PRO, 3L, PlanTier.STARTER, 1L, PlanTier.FREE, 1L));
  }

  static QueueStats seedExample() {
    return stats(5, 2, 143, 1, Duration.ofSeconds(15), 0);
  }

  // --- the printed block --------------------------------------------------------------------

  @Test
  void formatPrintsTheSeedBlockThenTheAdditions() {
    QueueReport report = QueueMonitor.evaluate(null, seedExample(), T0, HealthThresholds.DEFAULTS);
    assertThat(report.format())
        .isEqualTo(
            """
            📊 Queue Statistics:
              Pending: 5
              Processing: 2
              Completed: 143
              Failed: 1
              Oldest pending: 00:00:15
              Throughput: 0.0 completed/min, 0.0 failed/min
              Success rate: 99.3%
              Pending by tier: Pro 3, Starter 1, Free 1
              Health: HEALTHY""");
    // The seed's five lines, verbatim, come first.
    assertThat(report.format().lines().limit(6).toList())
        .containsExactly(
            "📊 Queue Statistics:",
            "  Pending: 5",
            "  Processing: 2",
            "  Completed: 143",
            "  Failed: 1",
            "  Oldest pending: 00:00:15");
  }

  static QueueStats withKinds(QueueStats s, Map<String, QueueStats.KindStats> byKind) {
    return new QueueStats(
        s.pendingCount(),
        s.processingCount(),
        s.completedCount(),
        s.failedCount(),
        s.cancelledCount(),
        s.delayedCount(),
        s.expiredLeaseCount(),
        s.oldestPendingAge(),
        s.pendingByTier(),
        byKind);
  }

  @Test
  void formatWithOnlyTheSeedKindIsTheSeedBlock() {
    String plain =
        QueueMonitor.evaluate(null, seedExample(), T0, HealthThresholds.DEFAULTS).format();
    QueueStats seedKindOnly =
        withKinds(
            seedExample(),
            Map.of(NewJob.CODING_SESSION_KIND, new QueueStats.KindStats(5, 2, 143, 1, 0)));
    assertThat(QueueMonitor.evaluate(null, seedKindOnly, T0, HealthThresholds.DEFAULTS).format())
        .isEqualTo(plain)
        .doesNotContain("Kind ");
  }

  @Test
  void formatAddsOneLinePerKindBeforeTheVerdictWhenThereAreOtherKinds() {
    QueueStats twoKinds =
        withKinds(
            seedExample(),
            Map.of(
                NewJob.CODING_SESSION_KIND,
                new QueueStats.KindStats(3, 2, 140, 0, 0),
                "send_email",
                new QueueStats.KindStats(2, 0, 3, 1, 4)));
    String block = QueueMonitor.evaluate(null, twoKinds, T0, HealthThresholds.DEFAULTS).format();
    assertThat(block)
        .isEqualTo(
            """
            📊 Queue Statistics:
              Pending: 5
              Processing: 2
              Completed: 143
              Failed: 1
              Oldest pending: 00:00:15
              Throughput: 0.0 completed/min, 0.0 failed/min
              Success rate: 99.3%
              Pending by tier: Pro 3, Starter 1, Free 1
              Kind coding_session: 3 pending, 2 processing, 0 failed
              Kind send_email: 2 pending, 0 processing, 1 failed
              Health: HEALTHY""");

    QueueStats otherKindOnly =
        withKinds(seedExample(), Map.of("send_email", new QueueStats.KindStats(5, 2, 143, 1, 0)));
    assertThat(QueueMonitor.evaluate(null, otherKindOnly, T0, HealthThresholds.DEFAULTS).format())
        .contains("\n  Kind send_email: 5 pending, 2 processing, 1 failed\n  Health: HEALTHY")
        .doesNotContain("Kind coding_session");
  }

  @Test
  void theMonitorBlockOnTheRealQueueShowsKindsOnlyWhenThereAreOtherKinds() {
    queue.enqueueAll(List.of(NewJob.of("a"), NewJob.of("b")));
    QueueReport seedOnly = QueueMonitor.builder(queue).build().checkNow();
    assertThat(seedOnly.format())
        .isEqualTo(
            QueueMonitor.evaluate(
                    null,
                    withKinds(seedOnly.stats(), Map.of()),
                    seedOnly.at(),
                    HealthThresholds.DEFAULTS)
                .format())
        .doesNotContain("Kind ");

    queue.enqueue(NewJob.of(new Reindex("docs")));
    QueueReport twoKinds = QueueMonitor.builder(queue).build().checkNow();
    assertThat(twoKinds.format().lines())
        .containsSequence(
            "  Kind coding_session: 2 pending, 0 processing, 0 failed",
            "  Kind reindex: 1 pending, 0 processing, 0 failed")
        .last()
        .asString()
        .startsWith("  Health: ");
    assertThat(twoKinds.format().lines().limit(2))
        .containsExactly("📊 Queue Statistics:", "  Pending: 3");
    assertThat(twoKinds.health()).isEqualTo(seedOnly.health());
  }

  /** A second kind for the tests on the real queue. */
  record Reindex(String index) implements JobArgs {
    @Override
    public String kind() {
      return "reindex";
    }
  }

  @Test
  void oldestPendingIsPrintedAsHoursMinutesSeconds() {
    assertThat(stats(1, 0, 0, 0, Duration.ZERO, 0).oldestPendingAgeText()).isEqualTo("00:00:00");
    assertThat(stats(1, 0, 0, 0, Duration.ofMillis(15_999), 0).oldestPendingAgeText())
        .isEqualTo("00:00:15");
    assertThat(stats(1, 0, 0, 0, Duration.parse("PT1H2M3S"), 0).oldestPendingAgeText())
        .isEqualTo("01:02:03");
    assertThat(stats(1, 0, 0, 0, Duration.ofHours(123), 0).oldestPendingAgeText())
        .isEqualTo("123:00:00");
  }

  @Test
  void formatDoesNotDependOnTheDefaultLocale() {
    Locale saved = Locale.getDefault();
    try {
      // Arabic locales format digits as ٠١٢...; the seed's block is ASCII everywhere.
      Locale.setDefault(Locale.forLanguageTag("ar-SA"));
      String block =
          QueueMonitor.evaluate(null, seedExample(), T0, HealthThresholds.DEFAULTS).format();
      assertThat(block).contains("  Oldest pending: 00:00:15").contains("  Success rate: 99.3%");
    } finally {
      Locale.setDefault(saved);
    }
  }

  // --- the health verdict -------------------------------------------------------------------

  @Test
  void healthyWhenEveryReadingIsUnderItsLimit() {
    QueueReport report = QueueMonitor.evaluate(null, seedExample(), T0, HealthThresholds.DEFAULTS);
    assertThat(report.health()).isEqualTo(QueueReport.Health.HEALTHY);
    assertThat(report.reasons()).isEmpty();
  }

  @Test
  void degradedByPendingDepthAndUnhealthyBeyondIt() {
    QueueReport degraded =
        QueueMonitor.evaluate(
            null, stats(1_000, 0, 0, 0, Duration.ofSeconds(1), 0), T0, HealthThresholds.DEFAULTS);
    assertThat(degraded.health()).isEqualTo(QueueReport.Health.DEGRADED);
    assertThat(degraded.reasons()).containsExactly("1000 pending");
    assertThat(degraded.format()).endsWith("  Health: DEGRADED (1000 pending)");

    QueueReport unhealthy =
        QueueMonitor.evaluate(
            null, stats(10_000, 0, 0, 0, Duration.ofSeconds(1), 0), T0, HealthThresholds.DEFAULTS);
    assertThat(unhealthy.health()).isEqualTo(QueueReport.Health.UNHEALTHY);

    QueueReport under =
        QueueMonitor.evaluate(
            null, stats(999, 0, 0, 0, Duration.ofSeconds(1), 0), T0, HealthThresholds.DEFAULTS);
    assertThat(under.health()).isEqualTo(QueueReport.Health.HEALTHY);
  }

  @Test
  void oldestPendingAgeDegradesThenMakesUnhealthy() {
    QueueReport degraded =
        QueueMonitor.evaluate(
            null, stats(1, 0, 0, 0, Duration.ofMinutes(5), 0), T0, HealthThresholds.DEFAULTS);
    assertThat(degraded.health()).isEqualTo(QueueReport.Health.DEGRADED);
    assertThat(degraded.reasons()).containsExactly("oldest pending 00:05:00");

    QueueReport unhealthy =
        QueueMonitor.evaluate(
            null, stats(1, 0, 0, 0, Duration.ofMinutes(31), 0), T0, HealthThresholds.DEFAULTS);
    assertThat(unhealthy.health()).isEqualTo(QueueReport.Health.UNHEALTHY);
    assertThat(unhealthy.reasons()).containsExactly("oldest pending 00:31:00");
  }

  @Test
  void failureRateSinceThePreviousReadingDegradesThenMakesUnhealthy() {
    QueueReport previous =
        QueueMonitor.evaluate(
            null, stats(0, 0, 100, 0, Duration.ZERO, 0), T0, HealthThresholds.DEFAULTS);
    assertThat(previous.health()).isEqualTo(QueueReport.Health.HEALTHY);

    QueueReport twentyPercent =
        QueueMonitor.evaluate(
            previous,
            stats(0, 0, 108, 2, Duration.ZERO, 0),
            T0.plusSeconds(30),
            HealthThresholds.DEFAULTS);
    assertThat(twentyPercent.health()).isEqualTo(QueueReport.Health.DEGRADED);
    assertThat(twentyPercent.reasons()).containsExactly("failure rate 20.0%");
    assertThat(twentyPercent.successRate()).isCloseTo(0.8, within(1e-9));

    QueueReport half =
        QueueMonitor.evaluate(
            previous,
            stats(0, 0, 105, 5, Duration.ZERO, 0),
            T0.plusSeconds(30),
            HealthThresholds.DEFAULTS);
    assertThat(half.health()).isEqualTo(QueueReport.Health.UNHEALTHY);
    assertThat(half.reasons()).containsExactly("failure rate 50.0%");

    // The rate is of the outcomes since the last reading: old failures do not count again.
    QueueReport quiet =
        QueueMonitor.evaluate(
            half,
            stats(0, 0, 105, 5, Duration.ZERO, 0),
            T0.plusSeconds(60),
            HealthThresholds.DEFAULTS);
    assertThat(quiet.health()).isEqualTo(QueueReport.Health.HEALTHY);
    assertThat(quiet.successRate()).isEqualTo(1.0);
  }

  /**
   * HealthThresholds: "a reading at or above a degraded limit makes the queue degraded". One
   * failure in ten outcomes is exactly the default 10% limit.
   */
  @Test
  void failureRateExactlyAtTheDegradedLimitIsDegraded() {
    QueueReport previous =
        QueueMonitor.evaluate(
            null, stats(0, 0, 100, 0, Duration.ZERO, 0), T0, HealthThresholds.DEFAULTS);
    QueueReport tenPercent =
        QueueMonitor.evaluate(
            previous,
            stats(0, 0, 109, 1, Duration.ZERO, 0),
            T0.plusSeconds(30),
            HealthThresholds.DEFAULTS);
    assertThat(tenPercent.health()).isEqualTo(QueueReport.Health.DEGRADED);
    assertThat(tenPercent.reasons()).containsExactly("failure rate 10.0%");
  }

  @Test
  void expiredLeasesDegradeThenMakeUnhealthy() {
    QueueReport one =
        QueueMonitor.evaluate(
            null, stats(0, 1, 0, 0, Duration.ZERO, 1), T0, HealthThresholds.DEFAULTS);
    assertThat(one.health()).isEqualTo(QueueReport.Health.DEGRADED);
    assertThat(one.reasons()).containsExactly("1 expired leases");

    QueueReport ten =
        QueueMonitor.evaluate(
            null, stats(0, 10, 0, 0, Duration.ZERO, 10), T0, HealthThresholds.DEFAULTS);
    assertThat(ten.health()).isEqualTo(QueueReport.Health.UNHEALTHY);
  }

  @Test
  void verdictIsTheWorstReadingWithEveryReason() {
    HealthThresholds tight =
        new HealthThresholds(2, 4, Duration.ofSeconds(10), Duration.ofSeconds(20), 0.2, 0.9, 1, 5);
    QueueReport report =
        QueueMonitor.evaluate(null, stats(3, 0, 0, 0, Duration.ofSeconds(25), 1), T0, tight);
    assertThat(report.health()).isEqualTo(QueueReport.Health.UNHEALTHY);
    assertThat(report.reasons())
        .containsExactly("3 pending", "oldest pending 00:00:25", "1 expired leases");
    assertThat(report.format())
        .endsWith("  Health: UNHEALTHY (3 pending; oldest pending 00:00:25; 1 expired leases)");

    // Order does not matter: an unhealthy reading stays unhealthy after a degraded one.
    QueueReport later =
        QueueMonitor.evaluate(null, stats(5, 0, 0, 0, Duration.ofSeconds(11), 0), T0, tight);
    assertThat(later.health()).isEqualTo(QueueReport.Health.UNHEALTHY);
  }

  @Test
  void thresholdsRejectLimitsOutOfOrder() {
    assertThatThrownBy(
            () ->
                new HealthThresholds(
                    10, 5, Duration.ofMinutes(1), Duration.ofMinutes(2), 0.1, 0.5, 1, 2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("pending");
    assertThatThrownBy(
            () -> new HealthThresholds(1, 5, Duration.ZERO, Duration.ofMinutes(2), 0.1, 0.5, 1, 2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("oldest pending");
    assertThatThrownBy(
            () ->
                new HealthThresholds(
                    1, 5, Duration.ofMinutes(1), Duration.ofMinutes(2), 0.5, 1.5, 1, 2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("failure rate");
    assertThatThrownBy(
            () ->
                new HealthThresholds(
                    1, 5, Duration.ofMinutes(1), Duration.ofMinutes(2), 0.1, 0.5, 0, 2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("expired lease");
  }

  // --- throughput ---------------------------------------------------------------------------

  @Test
  void throughputIsPerMinuteBetweenTwoReadings() {
    QueueReport first =
        QueueMonitor.evaluate(
            null, stats(0, 0, 100, 10, Duration.ZERO, 0), T0, HealthThresholds.DEFAULTS);
    assertThat(first.completedPerMinute()).isZero();
    assertThat(first.failedPerMinute()).isZero();
    assertThat(first.successRate()).isCloseTo(100.0 / 110, within(1e-9));

    QueueReport second =
        QueueMonitor.evaluate(
            first,
            stats(0, 0, 160, 13, Duration.ZERO, 0),
            T0.plusSeconds(30),
            HealthThresholds.DEFAULTS);
    assertThat(second.completedPerMinute()).isCloseTo(120.0, within(1e-9));
    assertThat(second.failedPerMinute()).isCloseTo(6.0, within(1e-9));
    assertThat(second.successRate()).isCloseTo(60.0 / 63, within(1e-9));
    assertThat(second.format()).contains("  Throughput: 120.0 completed/min, 6.0 failed/min\n");

    // Pruned jobs lower the counts: read as no throughput, not a negative one.
    QueueReport pruned =
        QueueMonitor.evaluate(
            second,
            stats(0, 0, 20, 1, Duration.ZERO, 0),
            T0.plusSeconds(60),
            HealthThresholds.DEFAULTS);
    assertThat(pruned.completedPerMinute()).isZero();
    assertThat(pruned.failedPerMinute()).isZero();
  }

  @Test
  void checkNowMeasuresThroughputOnTheRealQueueWithTheInjectedClock() {
    MutableClock clock = new MutableClock(T0);
    QueueMonitor monitor = QueueMonitor.builder(queue).clock(clock).build();
    assertThat(monitor.lastReport()).isEmpty();

    List<Job> jobs =
        queue.enqueueAll(List.of(NewJob.of("a"), NewJob.of("b"), NewJob.of("c"), NewJob.of("d")));
    QueueReport first = monitor.checkNow();
    assertThat(first.at()).isEqualTo(T0);
    assertThat(first.stats().pendingCount()).isEqualTo(4);
    assertThat(first.stats().pendingByTier()).containsEntry(PlanTier.FREE, 4L);

    for (Job claimed : queue.claimJobs(4)) {
      if (claimed.prompt().equals("d")) {
        queue.failJobPermanently(claimed.id(), "broken");
      } else {
        queue.completeJob(claimed.id());
      }
    }
    clock.set(T0.plusSeconds(30));
    QueueReport second = monitor.checkNow();
    assertThat(monitor.lastReport()).containsSame(second);
    assertThat(second.stats().completedCount()).isEqualTo(3);
    assertThat(second.stats().failedCount()).isEqualTo(1);
    assertThat(second.completedPerMinute()).isCloseTo(6.0, within(1e-9));
    assertThat(second.failedPerMinute()).isCloseTo(2.0, within(1e-9));
    assertThat(second.successRate()).isCloseTo(0.75, within(1e-9));
    assertThat(jobs).hasSize(4);
  }

  // --- periodic monitoring ------------------------------------------------------------------

  @Test
  void startMonitoringHandsReportsToTheSink() {
    queue.enqueueAll(
        List.of(
            NewJob.builder("pro").tier(PlanTier.PRO).build(),
            NewJob.builder("starter").tier(PlanTier.STARTER).build(),
            NewJob.of("free")));
    List<QueueReport> reports = new CopyOnWriteArrayList<>();
    try (QueueMonitor monitor = QueueMonitor.builder(queue).onReport(reports::add).build()) {
      monitor.startMonitoring(Duration.ofMillis(50));
      await().atMost(Duration.ofSeconds(5)).until(() -> reports.size() >= 3);
      assertThat(monitor.lastReport()).isPresent();
    }
    QueueReport report = reports.get(reports.size() - 1);
    assertThat(report.stats().pendingCount()).isEqualTo(3);
    assertThat(report.stats().pendingByTier())
        .containsEntry(PlanTier.PRO, 1L)
        .containsEntry(PlanTier.STARTER, 1L)
        .containsEntry(PlanTier.FREE, 1L);
    assertThat(report.format())
        .startsWith("📊 Queue Statistics:\n  Pending: 3\n")
        .contains("  Pending by tier: Pro 1, Starter 1, Free 1");
  }

  @Test
  void failingReadsAreLoggedAndTheMonitorKeepsTicking() {
    AtomicInteger connectionsAsked = new AtomicInteger();
    DataSource counting = countingDataSource(db.dataSource(), connectionsAsked);
    // A schema that does not exist yet: every read fails until it is migrated.
    JobQueue late =
        db.closeLater(JobQueue.builder().schema("monitor_late").dataSource(counting).build());
    List<QueueReport> reports = new CopyOnWriteArrayList<>();
    try (QueueMonitor monitor = QueueMonitor.builder(late).onReport(reports::add).build()) {
      assertThatThrownBy(monitor::checkNow).isInstanceOf(QueueException.class);
      int before = connectionsAsked.get();
      monitor.startMonitoring(Duration.ofMillis(50));
      await().atMost(Duration.ofSeconds(5)).until(() -> connectionsAsked.get() >= before + 3);
      assertThat(reports).isEmpty(); // three ticks failed, and the monitor is still there

      late.migrate();
      await().atMost(Duration.ofSeconds(5)).until(() -> reports.size() >= 3);
    }
    assertThat(reports.get(reports.size() - 1).stats().pendingCount()).isZero();
    assertThat(reports.get(reports.size() - 1).health()).isEqualTo(QueueReport.Health.HEALTHY);
  }

  @Test
  void stopMonitoringStopsAndMonitoringCanStartAgain() {
    AtomicInteger reports = new AtomicInteger();
    try (QueueMonitor monitor =
        QueueMonitor.builder(queue).onReport(r -> reports.incrementAndGet()).build()) {
      monitor.startMonitoring(Duration.ofMillis(50));
      assertThatThrownBy(() -> monitor.startMonitoring(Duration.ofMillis(50)))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("already monitoring");
      await().atMost(Duration.ofSeconds(5)).until(() -> reports.get() >= 2);

      monitor.stopMonitoring();
      monitor.stopMonitoring(); // idempotent
      await().atMost(Duration.ofSeconds(5)).until(() -> !monitorThreadAlive());
      int stoppedAt = reports.get();
      await()
          .during(Duration.ofMillis(250))
          .atMost(Duration.ofSeconds(2))
          .until(() -> reports.get() == stoppedAt);

      monitor.startMonitoring(Duration.ofMillis(50));
      await().atMost(Duration.ofSeconds(5)).until(() -> reports.get() >= stoppedAt + 2);
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> !monitorThreadAlive());
  }

  @Test
  void startMonitoringRejectsTooShortIntervals() {
    try (QueueMonitor monitor = QueueMonitor.builder(queue).build()) {
      assertThatThrownBy(() -> monitor.startMonitoring(Duration.ofMillis(9)))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("interval");
      assertThatThrownBy(() -> monitor.startMonitoring(null))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("interval");
    }
    assertThatThrownBy(() -> QueueMonitor.builder(queue).clock(null).build())
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("clock");
    assertThatThrownBy(() -> QueueMonitor.builder(queue).onReport(null).build())
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("onReport");
  }

  // --- helpers ------------------------------------------------------------------------------

  static boolean monitorThreadAlive() {
    return Thread.getAllStackTraces().keySet().stream()
        .anyMatch(t -> t.isAlive() && t.getName().equals("mobvibe-monitor"));
  }

  /** A data source that counts the connections it is asked for. */
  static DataSource countingDataSource(DataSource target, AtomicInteger counter) {
    return (DataSource)
        Proxy.newProxyInstance(
            QueueMonitorTest.class.getClassLoader(),
            new Class<?>[] {DataSource.class},
            (proxy, method, args) -> {
              if (method.getName().equals("getConnection")) {
                counter.incrementAndGet();
              }
              try {
                return method.invoke(target, args);
              } catch (InvocationTargetException e) {
                throw e.getCause();
              }
            });
  }

  /** A clock the test moves by hand. */
  static final class MutableClock extends Clock {
    private final AtomicReference<Instant> now;

    MutableClock(Instant start) {
      this.now = new AtomicReference<>(start);
    }

    void set(Instant instant) {
      now.set(instant);
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now.get();
    }
  }
}
