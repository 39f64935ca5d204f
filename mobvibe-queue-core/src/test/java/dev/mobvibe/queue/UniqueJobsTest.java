package dev.mobvibe.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mobvibe.queue.testing.TestDatabase;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Unique jobs ({@link UniqueOptions}): at most one job per kind and arguments (or chosen fields),
 * per period, among the chosen states, also under concurrent enqueues.
 */
class UniqueJobsTest {
  @RegisterExtension static final TestDatabase db = new TestDatabase();

  static final String KIND = "digest";
  static final Set<JobStatus> WAITING_OR_RUNNING =
      EnumSet.of(JobStatus.PENDING, JobStatus.PROCESSING);

  /** The arguments of the tests' jobs. */
  record Digest(String userId, String day, int attempt, Map<String, Object> filters)
      implements JobArgs {
    Digest(String userId, String day, int attempt) {
      this(userId, day, attempt, Map.of());
    }

    @Override
    public String kind() {
      return KIND;
    }
  }

  static JobQueue queue;

  @BeforeAll
  static void migrate() {
    queue = db.migratedQueue();
  }

  @BeforeEach
  void empty() {
    db.emptyQueueTables();
  }

  @Test
  void theSameArgumentsTwiceMakeOneJobAndTheSecondEnqueueReturnsTheFirst() {
    NewJob job = unique(new Digest("ada", "mon", 1), UniqueOptions.byArgs());

    Job first = queue.enqueue(job);
    Job second = queue.enqueue(job);

    assertThat(second.id()).isEqualTo(first.id());
    assertThat(second.status()).isEqualTo(JobStatus.PENDING);
    assertThat(jobs()).isEqualTo(1);
    // Other arguments are another job.
    Job other = queue.enqueue(unique(new Digest("ada", "mon", 2), UniqueOptions.byArgs()));
    assertThat(other.id()).isNotEqualTo(first.id());
    assertThat(jobs()).isEqualTo(2);
  }

  @Test
  void aDuplicateWithinOneBatchGetsTheFirstOnesJob() {
    NewJob unique = unique(new Digest("ada", "mon", 1), UniqueOptions.byArgs());
    List<Job> stored =
        queue.enqueueAll(
            List.of(
                NewJob.of(new Digest("plain", "mon", 1)), unique, NewJob.of("a prompt"), unique));

    assertThat(stored.get(3).id()).isEqualTo(stored.get(1).id());
    assertThat(new HashSet<>(List.of(stored.get(0).id(), stored.get(1).id(), stored.get(2).id())))
        .hasSize(3);
    assertThat(jobs()).isEqualTo(3);
    // The same batch again: nothing new, each position gets its stored job back, the jobs that
    // are not unique are inserted again.
    List<Job> again =
        queue.enqueueAll(List.of(unique, NewJob.of(new Digest("plain", "mon", 1)), unique));
    assertThat(again.get(0).id()).isEqualTo(stored.get(1).id());
    assertThat(again.get(2).id()).isEqualTo(stored.get(1).id());
    assertThat(jobs()).isEqualTo(4);
  }

  @Test
  void anIdempotencyKeyAndAUniqueKeyEachFindTheJobThatHoldsThem() {
    Job first =
        queue.enqueue(
            NewJob.builder(new Digest("ada", "mon", 1))
                .idempotencyKey("key-1")
                .unique(UniqueOptions.byArgs())
                .build());
    Job byUnique =
        queue.enqueue(
            NewJob.builder(new Digest("ada", "mon", 1))
                .idempotencyKey("key-2")
                .unique(UniqueOptions.byArgs())
                .build());
    Job byKey =
        queue.enqueue(
            NewJob.builder(new Digest("bob", "tue", 1))
                .idempotencyKey("key-1")
                .unique(UniqueOptions.byArgs())
                .build());

    assertThat(byUnique.id()).isEqualTo(first.id());
    assertThat(byKey.id()).isEqualTo(first.id());
    assertThat(jobs()).isEqualTo(1);
  }

  @Test
  void aSubsetOfFieldsIgnoresTheOthers() {
    UniqueOptions byUserAndDay = UniqueOptions.byArgs("userId", "day");

    Job first = queue.enqueue(unique(new Digest("ada", "mon", 1), byUserAndDay));
    Job sameUserAndDay = queue.enqueue(unique(new Digest("ada", "mon", 2), byUserAndDay));
    Job otherDay = queue.enqueue(unique(new Digest("ada", "tue", 1), byUserAndDay));

    assertThat(sameUserAndDay.id()).isEqualTo(first.id());
    assertThat(otherDay.id()).isNotEqualTo(first.id());
    assertThat(jobs()).isEqualTo(2);
  }

  @Test
  void objectKeysAreComparedInSortedOrder() {
    Map<String, Object> ab = new LinkedHashMap<>();
    ab.put("a", 1);
    ab.put("b", Map.of("y", 2, "x", 1));
    Map<String, Object> ba = new LinkedHashMap<>();
    ba.put("b", new LinkedHashMap<>(Map.of("x", 1, "y", 2)));
    ba.put("a", 1);

    Job first = queue.enqueue(unique(new Digest("ada", "mon", 1, ab), UniqueOptions.byArgs()));
    Job second = queue.enqueue(unique(new Digest("ada", "mon", 1, ba), UniqueOptions.byArgs()));

    assertThat(second.id()).isEqualTo(first.id());
  }

  @Test
  void jobsInDifferentPeriodsDoNotCollide() {
    UniqueOptions hourly = UniqueOptions.byArgs("userId").period(Duration.ofHours(1));
    Instant tenPast = Instant.parse("2031-03-04T10:10:00Z");

    Job first = queue.enqueue(unique(new Digest("ada", "mon", 1), hourly, tenPast));
    Job sameHour =
        queue.enqueue(unique(new Digest("ada", "mon", 2), hourly, tenPast.plusSeconds(49 * 60)));
    Job nextHour =
        queue.enqueue(unique(new Digest("ada", "mon", 3), hourly, tenPast.plusSeconds(50 * 60)));

    assertThat(sameHour.id()).isEqualTo(first.id());
    assertThat(nextHour.id()).isNotEqualTo(first.id());
    assertThat(jobs()).isEqualTo(2);
    // Without a period the two collide for ever.
    UniqueOptions forEver = UniqueOptions.byArgs("userId");
    Job a = queue.enqueue(unique(new Digest("bob", "mon", 1), forEver, tenPast));
    Job b =
        queue.enqueue(unique(new Digest("bob", "mon", 1), forEver, tenPast.plusSeconds(86_400)));
    assertThat(b.id()).isEqualTo(a.id());
  }

  @Test
  void withTheDefaultStatesACompletedJobStillBlocks() {
    NewJob job = unique(new Digest("ada", "mon", 1), UniqueOptions.byArgs());
    Job first = queue.enqueue(job);
    claimAndComplete(first);

    Job again = queue.enqueue(job);

    assertThat(again.id()).isEqualTo(first.id());
    assertThat(again.status()).isEqualTo(JobStatus.COMPLETED);
    assertThat(jobs()).isEqualTo(1);
  }

  @Test
  void withPendingAndProcessingOnlyACompletedJobLetsANewOneIn() {
    NewJob job =
        unique(new Digest("ada", "mon", 1), UniqueOptions.byArgs().states(WAITING_OR_RUNNING));
    Job first = queue.enqueue(job);
    assertThat(queue.enqueue(job).id()).as("while pending").isEqualTo(first.id());
    claim(first);
    assertThat(queue.enqueue(job).id()).as("while processing").isEqualTo(first.id());
    assertThat(queue.completeJob(first.id())).isTrue();

    Job second = queue.enqueue(job);

    assertThat(second.id()).isNotEqualTo(first.id());
    assertThat(second.status()).isEqualTo(JobStatus.PENDING);
    assertThat(jobs()).isEqualTo(2);
  }

  @Test
  void aRetriedJobDoesNotCollideWithItself() {
    NewJob job = unique(new Digest("ada", "mon", 1), UniqueOptions.byArgs());
    Job first = queue.enqueue(job);
    claim(first);

    assertThat(queue.failJob(first.id(), "flaky")).as("will retry").isTrue();

    Job retried = queue.findJob(first.id()).orElseThrow();
    assertThat(retried.status()).isEqualTo(JobStatus.PENDING);
    assertThat(retried.retryCount()).isEqualTo(1);
    assertThat(queue.enqueue(job).id()).isEqualTo(first.id());
    assertThat(jobs()).isEqualTo(1);
  }

  @Test
  void concurrentEnqueuesOfTheSameUniqueJobInsertOneRow() throws Exception {
    int threads = 10;
    NewJob job = unique(new Digest("ada", "mon", 1), UniqueOptions.byArgs());
    NewJob prompt = NewJob.builder("one landing page").unique(UniqueOptions.byArgs()).build();
    for (NewJob each : List.of(job, prompt)) {
      List<UUID> ids = enqueueAtOnce(threads, each);

      assertThat(ids).hasSize(threads);
      assertThat(new HashSet<>(ids)).as("every thread got the same job").hasSize(1);
      assertThat(
              db.queryLong("SELECT count(*) FROM coding_jobs WHERE kind = '" + each.kind() + "'"))
          .isEqualTo(1);
    }
    // A skipped prompt job leaves no session behind.
    assertThat(db.queryLong("SELECT count(*) FROM coding_sessions")).isEqualTo(1);
  }

  @Test
  void promptJobsAreUniqueByPromptAndSession() {
    UUID session = queue.enqueue(NewJob.of("make a session")).sessionId();
    NewJob inNewSession = NewJob.builder("same prompt").unique(UniqueOptions.byArgs()).build();
    NewJob inSession =
        NewJob.builder("same prompt").sessionId(session).unique(UniqueOptions.byArgs()).build();
    NewJob anyPromptInSession =
        NewJob.builder("another prompt")
            .sessionId(session)
            .unique(UniqueOptions.byArgs("sessionId"))
            .build();

    Job a = queue.enqueue(inNewSession);
    assertThat(queue.enqueue(inNewSession).id()).isEqualTo(a.id());
    Job b = queue.enqueue(inSession);
    assertThat(b.id()).isNotEqualTo(a.id());
    assertThat(queue.enqueue(inSession).id()).isEqualTo(b.id());
    Job c = queue.enqueue(anyPromptInSession);
    Job d =
        queue.enqueue(
            NewJob.builder("a third prompt")
                .sessionId(session)
                .unique(UniqueOptions.byArgs("sessionId"))
                .build());
    assertThat(d.id()).isEqualTo(c.id());
    assertThat(jobs()).isEqualTo(1 + 3);
    assertThat(db.queryLong("SELECT count(*) FROM coding_sessions")).isEqualTo(2);
  }

  @Test
  void badOptionsAreRefusedAndWriteNothing() {
    assertThatThrownBy(() -> UniqueOptions.byArgs(new String[0]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unique fields")
        .hasMessageContaining("byArgs()");
    assertThatThrownBy(() -> UniqueOptions.byArgs("userId", " "))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unique fields")
        .hasMessageContaining("blank");
    assertThatThrownBy(() -> UniqueOptions.byArgs("userId", "userId"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'userId'");
    assertThatThrownBy(() -> UniqueOptions.byArgs().period(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unique period")
        .hasMessageContaining("PT0S");
    assertThatThrownBy(() -> UniqueOptions.byArgs().period(Duration.ofMillis(1500)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("PT1.5S");
    assertThatThrownBy(() -> UniqueOptions.byArgs().period(null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unique period");
    assertThatThrownBy(
            () -> UniqueOptions.byArgs().states(EnumSet.of(JobStatus.PENDING, JobStatus.COMPLETED)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unique states")
        .hasMessageContaining("PROCESSING")
        .hasMessageContaining("[PENDING, COMPLETED]");
    assertThatThrownBy(() -> UniqueOptions.byArgs().states(Set.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("PENDING");
    assertThatThrownBy(() -> UniqueOptions.byArgs().states(null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unique states");

    queue.enqueue(unique(new Digest("ada", "mon", 1), UniqueOptions.byArgs()));
    String before = tables();
    assertThatThrownBy(
            () ->
                queue.enqueueAll(
                    List.of(
                        NewJob.of(new Digest("bob", "mon", 1)),
                        unique(
                            new Digest("bob", "mon", 1), UniqueOptions.byArgs("userId", "week")))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'week'")
        .hasMessageContaining(KIND);
    assertThatThrownBy(
            () ->
                queue.enqueue(
                    NewJob.builder("a prompt").unique(UniqueOptions.byArgs("sessionId")).build()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'sessionId'")
        .hasMessageContaining(NewJob.CODING_SESSION_KIND);
    assertThat(tables()).as("nothing was written").isEqualTo(before);
  }

  @Test
  void replayingAFailedJobWhoseKeyANewerJobHoldsFailsClearlyAndLeavesItFailed() {
    NewJob job =
        unique(new Digest("ada", "mon", 1), UniqueOptions.byArgs().states(WAITING_OR_RUNNING));
    Job first = queue.enqueue(job);
    claim(first);
    queue.failJobPermanently(first.id(), "broken");
    Job newer = queue.enqueue(job);
    assertThat(newer.id()).isNotEqualTo(first.id());

    assertThatThrownBy(() -> queue.replayJob(first.id()))
        .isInstanceOf(UniqueViolationException.class)
        .hasMessageContaining("cannot replay job " + first.id())
        .hasMessageContaining(newer.id().toString())
        .hasMessageContaining("stays failed");

    assertThat(queue.findJob(first.id()).orElseThrow().status()).isEqualTo(JobStatus.FAILED);
    // Once the newer job is done, the replay goes through.
    claimAndComplete(newer);
    assertThat(queue.replayJob(first.id())).isTrue();
    assertThat(queue.findJob(first.id()).orElseThrow().status()).isEqualTo(JobStatus.PENDING);
  }

  // --- helpers ----------------------------------------------------------------------------

  private static NewJob unique(Digest args, UniqueOptions options) {
    return NewJob.builder(args).unique(options).build();
  }

  private static NewJob unique(Digest args, UniqueOptions options, Instant runAt) {
    return NewJob.builder(args).unique(options).runAt(runAt).build();
  }

  private static void claim(Job job) {
    assertThat(queue.claimJobs(List.of(job.kind()), 1))
        .extracting(Job::id)
        .containsExactly(job.id());
  }

  private static void claimAndComplete(Job job) {
    claim(job);
    assertThat(queue.completeJob(job.id())).isTrue();
  }

  private static long jobs() {
    return db.queryLong("SELECT count(*) FROM coding_jobs");
  }

  private static List<UUID> enqueueAtOnce(int threads, NewJob job) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      CountDownLatch ready = new CountDownLatch(threads);
      CountDownLatch start = new CountDownLatch(1);
      List<Future<UUID>> futures = new ArrayList<>();
      for (int i = 0; i < threads; i++) {
        Callable<UUID> enqueue =
            () -> {
              ready.countDown();
              start.await();
              return queue.enqueue(job).id();
            };
        futures.add(pool.submit(enqueue));
      }
      assertThat(ready.await(30, TimeUnit.SECONDS)).isTrue();
      start.countDown();
      List<UUID> ids = new ArrayList<>();
      for (Future<UUID> f : futures) {
        ids.add(f.get(60, TimeUnit.SECONDS));
      }
      return ids;
    } finally {
      pool.shutdownNow();
    }
  }

  private static String tables() {
    return db.queryString(
        "SELECT (SELECT coalesce(string_agg(j::text, '\n' ORDER BY j.id), '') FROM coding_jobs j)"
            + " || '\n--\n' || (SELECT coalesce(string_agg(s::text, '\n' ORDER BY s.id), '')"
            + " FROM coding_sessions s)");
  }
}
