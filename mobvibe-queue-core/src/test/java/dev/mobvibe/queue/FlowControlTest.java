package dev.mobvibe.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mobvibe.queue.testing.TestDatabase;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Flow control against a real PostgreSQL, with three processors claiming at once: jobs of one
 * concurrency key never overlap and run in enqueue order, running-job limits and rate limits hold
 * across workers, a Free job gets through a Pro stream within the fairness bound, and a paused kind
 * is left alone until resumed.
 */
class FlowControlTest {
  @RegisterExtension static final TestDatabase db = new TestDatabase();

  static JobQueue queue;

  /** A job of a kind with limits: its group says which key it belongs to. */
  record Work(String group, int n) implements JobArgs {
    @Override
    public String kind() {
      return "work";
    }
  }

  /** One attempt as a handler saw it, on this JVM's monotonic clock. */
  record Run(UUID job, String key, long startNanos, long endNanos) {}

  @BeforeAll
  static void migrate() {
    queue = db.migratedQueue();
  }

  @BeforeEach
  void emptyTheQueue() {
    db.emptyQueueTables();
  }

  /** Starts three processors built the same way; each is closed after the test. */
  private static List<JobProcessor> threeProcessors(Function<Integer, JobProcessor> build) {
    List<JobProcessor> processors = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      JobProcessor p = db.closeLater(build.apply(i));
      p.start();
      processors.add(p);
    }
    return processors;
  }

  private static void stopAll(List<JobProcessor> processors) {
    processors.forEach(JobProcessor::stop);
  }

  // --- serial keys ---------------------------------------------------------------------------

  @Test
  void promptsOfOneSessionNeverOverlapAndRunInEnqueueOrder() {
    List<UUID> sessions = new ArrayList<>();
    List<NewJob> jobs = new ArrayList<>();
    Job first = queue.enqueue(NewJob.of("session 0 prompt 0"));
    sessions.add(first.sessionId());
    for (int s = 1; s < 4; s++) {
      sessions.add(queue.enqueue(NewJob.of("session " + s + " prompt 0")).sessionId());
    }
    for (int p = 1; p < 5; p++) {
      for (int s = 0; s < 4; s++) {
        jobs.add(
            NewJob.builder("session " + s + " prompt " + p).sessionId(sessions.get(s)).build());
      }
    }
    List<Job> enqueued = queue.enqueueAll(jobs);
    assertThat(enqueued).allSatisfy(j -> assertThat(j.concurrencyKey()).isNotNull());
    assertThat(first.concurrencyKey()).isEqualTo(first.sessionId().toString());

    List<Run> runs = new CopyOnWriteArrayList<>();
    JobHandler handler =
        (job, ctx) -> {
          long start = System.nanoTime();
          Thread.sleep(15); // the work: long enough for a second prompt to overlap, if it could
          runs.add(new Run(job.id(), job.concurrencyKey(), start, System.nanoTime()));
        };
    List<JobProcessor> processors =
        threeProcessors(
            i ->
                JobProcessor.builder(queue, handler)
                    .concurrency(4)
                    .pollInterval(Duration.ofMillis(20))
                    .build());
    await().atMost(Duration.ofSeconds(30)).until(() -> runs.size() == 20);
    stopAll(processors);

    Map<String, List<Run>> byKey = new TreeMap<>();
    runs.forEach(r -> byKey.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(r));
    assertThat(byKey).hasSize(4);
    Map<UUID, Integer> enqueueOrder = new ConcurrentHashMap<>();
    for (int i = 0; i < enqueued.size(); i++) {
      enqueueOrder.put(enqueued.get(i).id(), i + 1);
    }
    for (List<Run> keyRuns : byKey.values()) {
      keyRuns.sort(Comparator.comparingLong(Run::startNanos));
      for (int i = 1; i < keyRuns.size(); i++) {
        assertThat(keyRuns.get(i).startNanos())
            .as("a prompt starts only after the one before it ended")
            .isGreaterThanOrEqualTo(keyRuns.get(i - 1).endNanos());
        assertThat(enqueueOrder.getOrDefault(keyRuns.get(i).job(), 0))
            .as("prompts run in enqueue order")
            .isGreaterThan(enqueueOrder.getOrDefault(keyRuns.get(i - 1).job(), 0));
      }
    }
    // Waiting behind another prompt spends no attempt.
    assertThat(db.queryLong("SELECT count(*) FROM coding_jobs WHERE retry_count <> 0")).isZero();
    assertThat(db.queryLong("SELECT count(*) FROM coding_jobs WHERE status <> 'completed'"))
        .isZero();
  }

  @Test
  void aJobWaitingForItsKeysRetryWaitsToo() {
    queue.enqueue(NewJob.builder(new Work("a", 1)).concurrencyKey("order-7").build());
    Job second = queue.enqueue(NewJob.builder(new Work("a", 2)).concurrencyKey("order-7").build());
    List<Integer> seen = new CopyOnWriteArrayList<>();
    AtomicBoolean failedOnce = new AtomicBoolean();
    try (JobProcessor p =
        JobProcessor.builder(queue)
            .handler(
                "work",
                Work.class,
                (args, ctx) -> {
                  seen.add(args.n());
                  if (args.n() == 1 && failedOnce.compareAndSet(false, true)) {
                    throw new IllegalStateException("first try fails");
                  }
                })
            .retryPolicy(RetryPolicy.fixed(Duration.ofMillis(300)))
            .pollInterval(Duration.ofMillis(20))
            .build()) {
      p.start();
      await().atMost(Duration.ofSeconds(10)).until(() -> seen.size() == 3);
    }
    // The second job waited out the first one's backoff instead of overtaking it.
    assertThat(seen).containsExactly(1, 1, 2);
    assertThat(queue.findJob(second.id()).orElseThrow().retryCount()).isZero();
  }

  // --- cluster-wide limits -------------------------------------------------------------------

  @Test
  void aKindsRunningLimitHoldsAcrossWorkers() {
    List<NewJob> jobs = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      String group = i % 3 == 0 ? "tenant-a" : "tenant-b";
      jobs.add(NewJob.builder(new Work(group, i)).concurrencyKey(group + ":" + i).build());
    }
    queue.enqueueAll(jobs);
    AtomicInteger running = new AtomicInteger();
    AtomicInteger mostRunning = new AtomicInteger();
    AtomicInteger runningA = new AtomicInteger();
    AtomicInteger mostRunningA = new AtomicInteger();
    AtomicInteger done = new AtomicInteger();
    AtomicInteger mostSampled = new AtomicInteger();
    ArgsHandler<Work> handler =
        (args, ctx) -> {
          mostRunning.accumulateAndGet(running.incrementAndGet(), Math::max);
          boolean a = args.group().equals("tenant-a");
          if (a) {
            mostRunningA.accumulateAndGet(runningA.incrementAndGet(), Math::max);
          }
          try {
            // The database's own count while this job runs: what every worker sees.
            mostSampled.accumulateAndGet(
                (int)
                    db.queryLong(
                        "SELECT count(*) FROM coding_jobs WHERE kind = 'work'"
                            + " AND status = 'processing'"),
                Math::max);
            Thread.sleep(20);
          } finally {
            running.decrementAndGet();
            if (a) {
              runningA.decrementAndGet();
            }
            done.incrementAndGet();
          }
        };
    KindOptions limits = KindOptions.builder().maxRunning(3).maxRunning("tenant-a:", 1).build();
    List<JobProcessor> processors =
        threeProcessors(
            i ->
                JobProcessor.builder(queue)
                    .handler("work", Work.class, handler, limits)
                    .concurrency(5)
                    .pollInterval(Duration.ofMillis(20))
                    .build());
    await().atMost(Duration.ofSeconds(30)).until(() -> done.get() == 30);
    stopAll(processors);

    assertThat(mostRunning.get()).isBetween(2, 3);
    assertThat(mostSampled.get()).isLessThanOrEqualTo(3);
    assertThat(mostRunningA.get()).isEqualTo(1);
  }

  @Test
  void aKindsRateLimitHoldsAcrossWorkers() {
    List<NewJob> jobs = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      jobs.add(NewJob.of(new Work("rated", i)));
    }
    queue.enqueueAll(jobs);
    AtomicInteger done = new AtomicInteger();
    KindOptions rate = KindOptions.builder().rateLimit(3, Duration.ofSeconds(1)).build();
    List<JobProcessor> processors =
        threeProcessors(
            i ->
                JobProcessor.builder(queue)
                    .handler("work", Work.class, (args, ctx) -> done.incrementAndGet(), rate)
                    .concurrency(5)
                    .pollInterval(Duration.ofMillis(20))
                    .build());
    await().atMost(Duration.ofSeconds(20)).until(() -> done.get() == 8);
    stopAll(processors);

    // Starts per one-second window of the database clock, as the limit counts them.
    Map<Long, Long> startsPerSecond = new TreeMap<>();
    try (var c = db.connect();
        var rs =
            c.createStatement()
                .executeQuery(
                    "SELECT floor(extract(epoch FROM started_at))::bigint AS s, count(*)"
                        + " FROM coding_jobs WHERE kind = 'work' GROUP BY 1")) {
      while (rs.next()) {
        startsPerSecond.put(rs.getLong(1), rs.getLong(2));
      }
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException(e);
    }
    assertThat(startsPerSecond.values()).allSatisfy(n -> assertThat(n).isLessThanOrEqualTo(3));
    assertThat(startsPerSecond).hasSizeGreaterThanOrEqualTo(3);
  }

  @Test
  void limitsAreCheckedWhenBuilt() {
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> KindOptions.builder().maxRunning(0).build())
        .hasMessageContaining("maxRunning must be at least 1, was 0");
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> KindOptions.builder().maxRunning("", 2).build())
        .hasMessageContaining("non-empty key prefix");
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> KindOptions.builder().rateLimit(0, Duration.ofSeconds(1)))
        .hasMessageContaining("rate limit starts must be at least 1, was 0");
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> KindOptions.builder().rateLimit(5, Duration.ofDays(2)))
        .hasMessageContaining("rate limit window");
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> NewJob.builder("p").concurrencyKey(" ").build())
        .hasMessageContaining("concurrencyKey must not be blank");
  }

  // --- fairness ------------------------------------------------------------------------------

  @Test
  void aFreeJobGetsThroughAProStreamWithinTheFairnessBound() {
    Duration bound = Duration.ofMillis(500);
    // Pro jobs for far longer than the bound: alone they keep the only slot busy.
    List<NewJob> pro = new ArrayList<>();
    for (int i = 0; i < 400; i++) {
      pro.add(NewJob.builder("pro " + i).tier(PlanTier.PRO).build());
    }
    queue.enqueueAll(pro);
    Job free = queue.enqueue(NewJob.builder("free").tier(PlanTier.FREE).build());
    Map<UUID, Instant> started = new ConcurrentHashMap<>();
    AtomicInteger proDone = new AtomicInteger();
    JobHandler handler =
        (job, ctx) -> {
          started.put(job.id(), Instant.now());
          if (job.priority() == PlanTier.PRO.priority()) {
            proDone.incrementAndGet();
          }
          Thread.sleep(10);
        };
    try (JobProcessor p =
        JobProcessor.builder(queue, handler)
            .concurrency(1)
            .prefetch(0)
            .fairness(bound)
            .pollInterval(Duration.ofMillis(20))
            .build()) {
      p.start();
      await().atMost(Duration.ofSeconds(20)).until(() -> started.containsKey(free.id()));
    }
    Duration waited = Duration.between(free.createdAt(), started.get(free.id()));
    // The bound, plus one Pro job that held the slot when the Free one aged, plus claim latency.
    assertThat(waited).isLessThan(bound.plusSeconds(1));
    assertThat(proDone.get()).as("the Pro stream was still running").isLessThan(400);
  }

  @Test
  void withoutContentionTheClaimOrderIsTheSeeds() {
    Job free = queue.enqueue(NewJob.builder("free").tier(PlanTier.FREE).build());
    Job starter = queue.enqueue(NewJob.builder("starter").tier(PlanTier.STARTER).build());
    Job pro = queue.enqueue(NewJob.builder("pro").tier(PlanTier.PRO).build());
    assertThat(queue.claimJobs(3))
        .extracting(Job::id)
        .containsExactly(pro.id(), starter.id(), free.id());
  }

  // --- pause and resume ----------------------------------------------------------------------

  @Test
  void aPausedKindIsLeftAloneUntilResumed() {
    assertThat(queue.pauseKind("work")).isTrue();
    assertThat(queue.pauseKind("work")).as("paused already").isFalse();
    assertThat(queue.pausedKinds()).containsOnlyKeys("work");
    Job paused = queue.enqueue(NewJob.of(new Work("p", 1)));
    Job session = queue.enqueue(NewJob.of("a prompt runs meanwhile"));
    AtomicInteger works = new AtomicInteger();
    List<UUID> ran = new CopyOnWriteArrayList<>();
    try (JobProcessor p =
        JobProcessor.builder(queue)
            .handler("work", Work.class, (args, ctx) -> works.incrementAndGet())
            .handler(NewJob.CODING_SESSION_KIND, (job, ctx) -> ran.add(job.id()))
            .pollInterval(Duration.ofMillis(20))
            .build()) {
      p.start();
      await().atMost(Duration.ofSeconds(10)).until(() -> ran.contains(session.id()));
      // Several claims have run since: the paused kind's job is still waiting.
      await()
          .during(Duration.ofMillis(200))
          .atMost(Duration.ofSeconds(5))
          .until(() -> works.get() == 0);
      assertThat(queue.findJob(paused.id()).orElseThrow().status()).isEqualTo(JobStatus.PENDING);
      QueueReport report = QueueMonitor.builder(queue).build().checkNow();
      assertThat(report.pausedKinds()).containsExactly("work");
      assertThat(report.format()).contains("Paused kinds: work");

      assertThat(queue.resumeKind("work")).isTrue();
      assertThat(queue.resumeKind("work")).as("running already").isFalse();
      await().atMost(Duration.ofSeconds(10)).until(() -> works.get() == 1);
    }
    assertThat(queue.pausedKinds()).isEmpty();
  }

  @Test
  void theSeedsClaimFunctionSkipsAPausedKindAndWaitsForTheKeysTurn() {
    Job first = queue.enqueue(NewJob.of("first"));
    Job second = queue.enqueue(NewJob.builder("second").sessionId(first.sessionId()).build());
    queue.pauseKind(NewJob.CODING_SESSION_KIND);
    assertThat(db.queryLong("SELECT count(*) FROM claim_next_job()")).isZero();
    queue.resumeKind(NewJob.CODING_SESSION_KIND);
    assertThat(db.queryString("SELECT job_id::text FROM claim_next_job()"))
        .isEqualTo(first.id().toString());
    // The second prompt waits while the first is processing.
    assertThat(db.queryLong("SELECT count(*) FROM claim_next_job()")).isZero();
    db.execute("SELECT complete_job('" + first.id() + "')");
    assertThat(db.queryString("SELECT job_id::text FROM claim_next_job()"))
        .isEqualTo(second.id().toString());
  }
}
