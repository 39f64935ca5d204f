package dev.mobvibe.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mobvibe.queue.internal.JobStore;
import dev.mobvibe.queue.testing.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
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
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * What each {@link SessionTracking} writes to {@code coding_sessions} and {@code session_events}
 * when the worker's batch statements claim, reap and complete jobs: {@code OFF} nothing, {@code
 * STATUS} the active and completed statuses, {@code STATUS_AND_EVENTS} those and a {@code
 * state_changed} event for each. In every mode a dead letter fails its session with its event.
 */
class SessionTrackingTest {
  @RegisterExtension static final TestDatabase db = new TestDatabase();

  static final Duration LEASE = Duration.ofMinutes(5);
  static final String OWNER = "tracking-test";

  static JobQueue queue;
  static JobStore store;

  /** One state_changed event of a session. */
  record Change(String from, String to, String error) {}

  @BeforeAll
  static void migrate() {
    queue = db.migratedQueue();
    store = queue.store();
  }

  @BeforeEach
  void emptyTheQueue() {
    db.emptyQueueTables();
  }

  @ParameterizedTest
  @EnumSource(SessionTracking.class)
  void claimAndCompleteMoveSessionsAsTheModeSays(SessionTracking mode) {
    Job alone = queue.enqueue(NewJob.of("alone"));
    Job first = queue.enqueue(NewJob.of("first of a shared session"));
    Job second =
        queue.enqueue(
            NewJob.builder("second").sessionId(first.sessionId()).concurrencyKey("second").build());

    List<Job> claimed = store.claim(OWNER, 10, LEASE, mode);

    assertThat(claimed).extracting(Job::id).containsExactly(alone.id(), first.id(), second.id());
    boolean tracked = mode != SessionTracking.OFF;
    for (Job job : List.of(alone, first)) {
      assertThat(status(job)).isEqualTo(tracked ? "active" : "pending");
      assertThat(column(job, "started_at IS NOT NULL")).isEqualTo(tracked ? "t" : "f");
      assertThat(changes(job))
          .containsExactlyElementsOf(
              mode == SessionTracking.STATUS_AND_EVENTS
                  ? List.of(new Change("pending", "active", null))
                  : List.of());
    }

    assertThat(
            store.completeLeased(
                OWNER,
                claimed.stream().map(Job::id).toList(),
                claimed.stream().map(Job::retryCount).toList(),
                mode))
        .containsExactlyInAnyOrder(alone.id(), first.id(), second.id());

    for (Job job : List.of(alone, first)) {
      assertThat(status(job)).isEqualTo(tracked ? "completed" : "pending");
      assertThat(column(job, "completed_at IS NOT NULL")).isEqualTo(tracked ? "t" : "f");
      assertThat(changes(job))
          .containsExactlyElementsOf(
              mode == SessionTracking.STATUS_AND_EVENTS
                  ? List.of(
                      new Change("pending", "active", null),
                      new Change("active", "completed", null))
                  : List.of());
    }
  }

  @ParameterizedTest
  @EnumSource(SessionTracking.class)
  void aClaimThatReapsMovesTheClaimedSessionsAsTheModeSays(SessionTracking mode) {
    Job job = queue.enqueue(NewJob.of("claimed while reaping"));

    JobStore.ClaimResult result = store.claimAndReap(OWNER, 10, LEASE, mode, 100);

    assertThat(result.jobs()).extracting(Job::id).containsExactly(job.id());
    assertThat(result.reapedToPending()).isZero();
    assertThat(result.reapedToFailed()).isZero();
    assertThat(status(job)).isEqualTo(mode == SessionTracking.OFF ? "pending" : "active");
    assertThat(changes(job))
        .containsExactlyElementsOf(
            mode == SessionTracking.STATUS_AND_EVENTS
                ? List.of(new Change("pending", "active", null))
                : List.of());
  }

  @ParameterizedTest
  @EnumSource(SessionTracking.class)
  void aDeadLetterFailsItsSessionWithItsEventInEveryMode(SessionTracking mode) {
    Job job = queue.enqueue(NewJob.builder("fails for good").maxAttempts(1).build());
    Job claimed = store.claim(OWNER, 1, LEASE, mode).get(0);

    JobStore.FailOutcome outcome =
        store.fail(job.id(), "compiler crashed", true, new Duration[] {Duration.ZERO}, OWNER, 0);

    assertThat(claimed.id()).isEqualTo(job.id());
    assertThat(outcome.next()).isEqualTo(JobStatus.FAILED);
    assertThat(status(job)).isEqualTo("failed");
    assertThat(column(job, "error_message")).isEqualTo("compiler crashed");
    String before = mode == SessionTracking.OFF ? "pending" : "active";
    assertThat(changes(job))
        .endsWith(new Change(before, "failed", "compiler crashed"))
        .hasSize(mode == SessionTracking.STATUS_AND_EVENTS ? 2 : 1);
  }

  @ParameterizedTest
  @EnumSource(SessionTracking.class)
  void aReapedDeadLetterFailsItsSessionWithItsEventInEveryMode(SessionTracking mode) {
    Job lost = queue.enqueue(NewJob.builder("its worker died").maxAttempts(1).build());
    store.claim("dead-worker", 1, LEASE, mode);
    expireLease(lost);
    Job sibling =
        queue.enqueue(
            NewJob.builder("same session, still pending")
                .sessionId(lost.sessionId())
                .concurrencyKey("still pending")
                .build());
    Job other = queue.enqueue(NewJob.of("a session of its own"));

    JobStore.ClaimResult result = store.claimAndReap(OWNER, 10, LEASE, mode, 100);

    assertThat(result.reapedToFailed()).isEqualTo(1);
    assertThat(result.reapedToPending()).isZero();
    assertThat(result.jobs()).extracting(Job::id).containsExactly(sibling.id(), other.id());
    // The reaper failed the session; the claim of its sibling in the same statement left it so.
    assertThat(status(lost)).isEqualTo("failed");
    assertThat(column(lost, "error_message"))
        .isEqualTo("worker lost: lease of dead-worker expired");
    String before = mode == SessionTracking.OFF ? "pending" : "active";
    assertThat(changes(lost))
        .endsWith(new Change(before, "failed", null))
        .hasSize(mode == SessionTracking.STATUS_AND_EVENTS ? 2 : 1);
    assertThat(status(other)).isEqualTo(mode == SessionTracking.OFF ? "pending" : "active");
    assertThat(changes(other)).hasSize(mode == SessionTracking.STATUS_AND_EVENTS ? 1 : 0);
  }

  /**
   * A transaction that inserts an event of a session (as the event writer does, for the sessions of
   * many jobs at once) holds a key-share lock on the session until it commits: claiming and
   * completing that session's job does not wait for it, so the two cannot deadlock either.
   */
  @Tag("faults")
  @ParameterizedTest
  @EnumSource(
      value = SessionTracking.class,
      names = {"STATUS", "STATUS_AND_EVENTS"})
  void anOpenTransactionWritingTheSessionsEventsDoesNotHoldUpItsJob(SessionTracking mode)
      throws Exception {
    Job job = queue.enqueue(NewJob.of("talks while it runs"));
    try (Connection writer = db.connect()) {
      writer.setAutoCommit(false);
      try (PreparedStatement ps =
          writer.prepareStatement(
              "INSERT INTO session_events (session_id, event_type) VALUES (?, 'thinking')")) {
        ps.setObject(1, job.sessionId());
        ps.executeUpdate();
      }

      List<Job> claimed = soon(() -> store.claim(OWNER, 1, LEASE, mode));
      Set<UUID> completed =
          soon(
              () ->
                  store.completeLeased(
                      OWNER, List.of(job.id()), List.of(claimed.get(0).retryCount()), mode));

      assertThat(completed).containsExactly(job.id());
      assertThat(status(job)).isEqualTo("completed");
      writer.commit();
    }
    assertThat(db.queryLong("SELECT count(*) FROM session_events WHERE event_type = 'thinking'"))
        .isEqualTo(1);
  }

  /**
   * A claim that also reaps locks the sessions it fails and the sessions it activates in one pass,
   * in id order. Here another worker's statement holds the lower session, which the reaper must
   * fail, and then needs the higher one, which the claim activates: the claim waits for the lower
   * one before it takes the higher, so the other statement gets it and neither deadlocks.
   */
  @Tag("faults")
  @ParameterizedTest
  @EnumSource(
      value = SessionTracking.class,
      names = {"STATUS", "STATUS_AND_EVENTS"})
  void aClaimThatReapsLocksItsSessionsInOneOrderedPass(SessionTracking mode) throws Exception {
    UUID low = UUID.fromString("00000000-0000-7000-8000-000000000001");
    UUID high = UUID.fromString("ffffffff-ffff-7fff-bfff-ffffffffffff");
    db.execute(
        "INSERT INTO coding_sessions (id, status) VALUES ('"
            + low
            + "', 'pending'), ('"
            + high
            + "', 'pending')");
    Job lost =
        queue.enqueue(
            NewJob.builder("its worker died")
                .sessionId(low)
                .concurrencyKey("died")
                .maxAttempts(1)
                .build());
    store.claim("dead-worker", 1, LEASE, mode);
    expireLease(lost);
    Job next =
        queue.enqueue(
            NewJob.builder("claimed while reaping").sessionId(high).concurrencyKey("next").build());

    ExecutorService thread = Executors.newSingleThreadExecutor();
    try (Connection other = db.connect()) {
      other.setAutoCommit(false);
      lockSession(other, low);
      Future<JobStore.ClaimResult> claim =
          thread.submit(() -> store.claimAndReap(OWNER, 10, LEASE, mode, 100));
      await()
          .atMost(Duration.ofSeconds(10))
          .until(
              () ->
                  db.queryLong(
                          "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                              + " AND wait_event_type = 'Lock' AND query LIKE 'WITH RECURSIVE expired AS%'")
                      == 1);
      lockSession(other, high);
      other.commit();

      JobStore.ClaimResult result = claim.get(10, TimeUnit.SECONDS);
      assertThat(result.reapedToFailed()).isEqualTo(1);
      assertThat(result.jobs()).extracting(Job::id).containsExactly(next.id());
    } finally {
      thread.shutdownNow();
    }
    assertThat(status(lost)).isEqualTo("failed");
    assertThat(status(next)).isEqualTo("active");
  }

  /**
   * Four workers claim and complete, in batches, jobs of ten shared sessions enqueued in a random
   * order, so every batch moves sessions that the other workers' batches move too. Sessions are
   * locked in id order by every statement, so none of them fails with a deadlock.
   */
  @Tag("faults")
  @ParameterizedTest
  @EnumSource(
      value = SessionTracking.class,
      names = {"STATUS", "STATUS_AND_EVENTS"})
  void workersWhoseBatchesShareSessionsDoNotDeadlock(SessionTracking mode) throws Exception {
    List<UUID> sessions = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      sessions.add(queue.enqueue(NewJob.of("session " + i)).sessionId());
    }
    List<NewJob> jobs = new ArrayList<>();
    Random random = new Random(42);
    for (int i = 0; i < 2_000; i++) {
      jobs.add(
          NewJob.builder("shared " + i)
              .sessionId(sessions.get(random.nextInt(10)))
              .concurrencyKey("shared " + i)
              .build());
    }
    Collections.shuffle(jobs, random);
    queue.enqueueAll(jobs);

    int workers = 4;
    CountDownLatch go = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(workers);
    try {
      List<Future<Integer>> done = new ArrayList<>();
      for (int w = 0; w < workers; w++) {
        String owner = "worker-" + w;
        done.add(
            pool.submit(
                () -> {
                  go.await();
                  int completed = 0;
                  while (true) {
                    List<Job> batch = store.claim(owner, 25, LEASE, mode);
                    if (batch.isEmpty()) {
                      return completed;
                    }
                    completed +=
                        store
                            .completeLeased(
                                owner,
                                batch.stream().map(Job::id).toList(),
                                batch.stream().map(Job::retryCount).toList(),
                                mode)
                            .size();
                  }
                }));
      }
      go.countDown();
      int completed = 0;
      for (Future<Integer> f : done) {
        completed += f.get(60, TimeUnit.SECONDS); // a deadlock would throw here
      }
      assertThat(completed).isEqualTo(2_010);
    } finally {
      pool.shutdownNow();
    }
    assertThat(db.queryLong("SELECT count(*) FROM coding_sessions WHERE status <> 'completed'"))
        .isZero();
  }

  // --- helpers ------------------------------------------------------------------------------

  static void expireLease(Job job) {
    db.execute(
        "UPDATE coding_jobs SET lease_expires_at = now() - interval '1 minute' WHERE id = '"
            + job.id()
            + "'");
  }

  /** Locks a session as a worker's statement does; a deadlock or a long wait fails it. */
  static void lockSession(Connection c, UUID session) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("SELECT 1 FROM coding_sessions WHERE id = ? FOR NO KEY UPDATE")) {
      ps.setObject(1, session);
      ps.executeQuery().close();
    }
  }

  /** Runs a call on another thread and returns its result, failing if it waits for a lock. */
  static <T> T soon(Callable<T> call) throws Exception {
    ExecutorService thread = Executors.newSingleThreadExecutor();
    try {
      return thread.submit(call).get(10, TimeUnit.SECONDS);
    } finally {
      thread.shutdownNow();
    }
  }

  static String status(Job job) {
    return column(job, "status");
  }

  static String column(Job job, String expression) {
    return db.queryString(
        "SELECT " + expression + " FROM coding_sessions WHERE id = '" + job.sessionId() + "'");
  }

  static List<Change> changes(Job job) {
    List<Change> changes = new ArrayList<>();
    try (Connection c = db.connect();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT event_data->>'from', event_data->>'to', event_data->>'error'"
                    + " FROM session_events WHERE session_id = ? AND event_type = 'state_changed'"
                    + " ORDER BY created_at, id")) {
      ps.setObject(1, job.sessionId());
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          changes.add(new Change(rs.getString(1), rs.getString(2), rs.getString(3)));
        }
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
    return changes;
  }
}
