package dev.mobvibe.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mobvibe.queue.internal.JobStore;
import dev.mobvibe.queue.testing.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.state.Action;
import net.jqwik.api.state.ActionChain;
import net.jqwik.api.state.Transformer;

/**
 * A state-machine property of the queue's public API (jqwik): random interleavings of enqueue,
 * claim, complete, fail (with attempts left or not), fail permanently, cancel, replay, lease expiry
 * and reaping, each checked after every step against a small model of the job lifecycle.
 *
 * <p>The model holds, per job, its status, retry count, the attempts charged (entries in its error
 * history, which a replay keeps), whether its lease has lapsed, and its session's status and number
 * of {@code state_changed} events. After every step the database must agree: every job listed once
 * with the model's status, counts and lease; a processing job leased, no other; a dead letter's
 * session failed with its error; cancelled jobs never claimed; a job completed at most once; and
 * {@link JobQueue#getQueueStats()} equal to the model's counts.
 *
 * <p>Reaping runs the statement a processor's producer runs ({@code JobStore.claimAndReap}, reached
 * through the package-private {@code JobQueue.store()}): {@link JobQueue#claimJobs} never reaps. A
 * lease is expired by moving {@code lease_expires_at} into the past.
 *
 * <p>Bounded: {@value #TRIES} tries of up to {@value #MAX_STEPS} steps, a few seconds in all. The
 * seed is fixed so that CI runs the same sequences every time; change {@link #SEED} (or remove it
 * locally) to explore others. A failure prints the shortest failing sequence jqwik found.
 */
class QueueStateMachineTest {
  static final int TRIES = 50;
  static final int MAX_STEPS = 30;
  static final String SEED = "4242424242";

  /** The range of the number from which a step chooses its job: enough to reach every job. */
  private static final int CHOICES = 4 * MAX_STEPS;

  private static final TestDatabase db = new TestDatabase();
  private static final String REAPER = "state-machine-reaper";
  private static final Duration LEASE = Duration.ofMinutes(30);

  /** Retries wait no time, so every pending job is due at once. */
  private static JobQueue queue;

  @BeforeContainer
  static void createDatabase() throws SQLException {
    db.open(QueueStateMachineTest.class);
    queue = db.migratedQueue();
  }

  @AfterContainer
  static void dropDatabase() throws SQLException {
    db.close();
  }

  @Property(tries = TRIES, seed = SEED)
  void everyStepLeavesTheDatabaseAsTheModelSays(@ForAll("steps") ActionChain<Model> chain) {
    db.emptyQueueTables(); // each try, and each shrinking attempt, starts from empty tables
    chain.withInvariant("the database matches the model", Model::check).run();
  }

  @Provide
  Arbitrary<ActionChain<Model>> steps() {
    return ActionChain.<Model>startWith(Model::new)
        .withAction(4, enqueue())
        .withAction(3, claim())
        .withAction(2, onAJob("complete", Model::complete, j -> j.status == JobStatus.PROCESSING))
        .withAction(2, onAJob("fail", Model::fail, j -> j.status == JobStatus.PROCESSING))
        .withAction(
            1,
            onAJob(
                "fail permanently", Model::failPermanently, j -> j.status == JobStatus.PROCESSING))
        .withAction(1, onAJob("cancel", Model::cancel, j -> j.status == JobStatus.PENDING))
        .withAction(1, onAJob("replay", Model::replay, j -> j.status == JobStatus.FAILED))
        .withAction(2, expireLease())
        .withAction(2, claimAndReap())
        .withMaxTransformations(MAX_STEPS);
  }

  // Every action is independent of the state and has no precondition: jqwik can then drop any
  // step, or shrink any number, when it shrinks a failing sequence. A step that finds no job to act
  // on does nothing. The model logs each step as it ran (with the job it chose), and the log is
  // printed with a failure as the chain's final state.

  private static Action.Independent<Model> enqueue() {
    return () ->
        Combinators.combine(Arbitraries.of(0, 5, 10), Arbitraries.integers().between(1, 3))
            .as(
                (priority, maxAttempts) ->
                    step(
                        "enqueue(priority " + priority + ", maxAttempts " + maxAttempts + ")",
                        m -> m.enqueue(priority, maxAttempts)));
  }

  private static Action.Independent<Model> claim() {
    return () ->
        Arbitraries.integers()
            .between(1, 3)
            .map(max -> step("claimJobs(" + max + ")", m -> m.claim(max)));
  }

  private static Action.Independent<Model> claimAndReap() {
    return () ->
        Arbitraries.integers()
            .between(0, 2)
            .map(max -> step("reap, then claim up to " + max, m -> m.claimAndReap(max)));
  }

  /**
   * An action on one job, chosen when the step runs from a number drawn beforehand: three times in
   * four among the jobs in the state the action is meant for (when there are any), else among all
   * jobs, since calls on jobs in other states must change nothing.
   */
  private static Action.Independent<Model> onAJob(
      String verb, BiConsumer<Model, ModelJob> action, Predicate<ModelJob> meantFor) {
    return () ->
        Arbitraries.integers()
            .between(0, CHOICES - 1)
            .map(
                choice ->
                    onChosenJob(
                        verb,
                        model -> {
                          List<ModelJob> meant = model.jobsWhere(meantFor);
                          return meant.isEmpty() || choice % 4 == 3 ? model.jobs : meant;
                        },
                        choice / 4,
                        action));
  }

  private static Action.Independent<Model> expireLease() {
    return () ->
        Arbitraries.integers()
            .between(0, CHOICES - 1)
            .map(
                choice ->
                    onChosenJob(
                        "expire the lease of",
                        model ->
                            model.jobsWhere(
                                j -> j.status == JobStatus.PROCESSING && !j.leaseExpired),
                        choice,
                        Model::expireLease));
  }

  private static Transformer<Model> onChosenJob(
      String verb,
      Function<Model, List<ModelJob>> candidates,
      int choice,
      BiConsumer<Model, ModelJob> action) {
    return Transformer.<Model>mutate(
        verb + " a job (choice " + choice + ")",
        model -> {
          List<ModelJob> from = candidates.apply(model);
          if (from.isEmpty()) {
            model.log.add(verb + ": no job");
            return;
          }
          ModelJob job = from.get(choice % from.size());
          model.log.add(verb + " job " + job.index + " (" + job.status.dbValue() + ")");
          action.accept(model, job);
        });
  }

  private static Transformer<Model> step(String description, Consumer<Model> action) {
    return Transformer.<Model>mutate(
        description,
        model -> {
          model.log.add(description);
          action.accept(model);
        });
  }

  /** One job as the model sees it. */
  static final class ModelJob {
    final int index;
    final UUID id;
    final UUID sessionId;
    final int priority;
    final int maxAttempts;
    final Instant createdAt;
    JobStatus status = JobStatus.PENDING;
    int retryCount;
    int attemptsCharged;
    boolean leaseExpired;
    int completions;
    String lastErrorPrefix;
    String sessionStatus = "pending";
    int sessionChanges;

    ModelJob(int index, Job job) {
      this.index = index;
      this.id = job.id();
      this.sessionId = job.sessionId();
      this.priority = job.priority();
      this.maxAttempts = job.maxAttempts();
      this.createdAt = job.createdAt();
    }

    void claimed() {
      status = JobStatus.PROCESSING;
      session("active");
    }

    void completed() {
      status = JobStatus.COMPLETED;
      completions++;
      leaseExpired = false;
      session("completed");
    }

    /** A failed attempt (a failure or a reaped lease) is charged whatever follows. */
    void attemptFailed(boolean retryable, String errorPrefix) {
      retryCount++;
      attemptsCharged++;
      leaseExpired = false;
      lastErrorPrefix = errorPrefix;
      if (retryable && retryCount < maxAttempts) {
        status = JobStatus.PENDING;
      } else {
        status = JobStatus.FAILED;
        session("failed");
      }
    }

    void cancelled() {
      status = JobStatus.CANCELLED;
      leaseExpired = false;
    }

    void replayed() {
      status = JobStatus.PENDING;
      retryCount = 0;
      lastErrorPrefix = null;
      if (sessionStatus.equals("failed")) {
        session("pending");
      }
    }

    /** Every change of the session's status writes one state_changed event. */
    private void session(String next) {
      if (!next.equals(sessionStatus)) {
        sessionStatus = next;
        sessionChanges++;
      }
    }

    boolean finished() {
      return status == JobStatus.COMPLETED
          || status == JobStatus.FAILED
          || status == JobStatus.CANCELLED;
    }

    @Override
    public String toString() {
      return "job " + index + " (" + status.dbValue() + ", retry " + retryCount + ")";
    }
  }

  /** The model: the jobs in the order they were enqueued, one session each. */
  static final class Model {
    /** The claim order: priority first, then age, then id (as PostgreSQL orders uuids). */
    private static final Comparator<ModelJob> CLAIM_ORDER =
        Comparator.<ModelJob>comparingInt(j -> -j.priority)
            .thenComparing(j -> j.createdAt)
            .thenComparing(j -> j.id.toString());

    final List<ModelJob> jobs = new ArrayList<>();

    /** The steps run so far, each with the job it chose. */
    final List<String> log = new ArrayList<>();

    List<ModelJob> jobsWhere(Predicate<ModelJob> test) {
      return jobs.stream().filter(test).toList();
    }

    @Override
    public String toString() {
      StringBuilder s = new StringBuilder("the model after these steps:");
      for (int i = 0; i < log.size(); i++) {
        s.append(System.lineSeparator()).append(String.format("  %2d. %s", i + 1, log.get(i)));
      }
      s.append(System.lineSeparator()).append("  jobs: ").append(jobs);
      return s.toString();
    }

    void enqueue(int priority, int maxAttempts) {
      Job job =
          queue.enqueue(
              NewJob.builder("state machine job " + jobs.size())
                  .priority(priority)
                  .maxAttempts(maxAttempts)
                  .build());
      assertThat(job.status()).isEqualTo(JobStatus.PENDING);
      jobs.add(new ModelJob(jobs.size(), job));
    }

    void claim(int max) {
      List<ModelJob> expected = due(max);
      List<Job> claimed = queue.claimJobs(max);
      assertClaimed(claimed, expected);
      expected.forEach(ModelJob::claimed);
    }

    void claimAndReap(int max) {
      // One statement: its claim sees the jobs as they were before its reap, so a job it reaps
      // is not claimed by the same statement.
      List<ModelJob> expectedClaims = due(max);
      List<ModelJob> expired =
          jobs.stream().filter(j -> j.status == JobStatus.PROCESSING && j.leaseExpired).toList();
      JobStore.ClaimResult result =
          queue.store().claimAndReap(REAPER, max, LEASE, SessionTracking.STATUS_AND_EVENTS, 500);
      assertClaimed(result.jobs(), expectedClaims);
      int toPending = 0;
      for (ModelJob job : expired) {
        job.attemptFailed(true, "worker lost: lease of ");
        toPending += job.status == JobStatus.PENDING ? 1 : 0;
      }
      assertThat(result.reapedToPending()).as("reaped back to pending").isEqualTo(toPending);
      assertThat(result.reapedToFailed())
          .as("reaped to the dead letter")
          .isEqualTo(expired.size() - toPending);
      expectedClaims.forEach(ModelJob::claimed);
    }

    void complete(ModelJob job) {
      boolean processing = job.status == JobStatus.PROCESSING;
      assertThat(queue.completeJob(job.id)).as("completeJob(%s)", job).isEqualTo(processing);
      if (processing) {
        job.completed();
      }
    }

    void fail(ModelJob job) {
      String error = "attempt " + (job.retryCount + 1) + " of job " + job.index + " failed";
      if (job.status != JobStatus.PROCESSING) {
        assertRefused(() -> queue.failJob(job.id, error), job);
        return;
      }
      boolean willRetry = job.retryCount + 1 < job.maxAttempts;
      assertThat(queue.failJob(job.id, error)).as("failJob(%s) retries", job).isEqualTo(willRetry);
      job.attemptFailed(true, error);
    }

    void failPermanently(ModelJob job) {
      String error = "job " + job.index + " cannot succeed";
      if (job.status != JobStatus.PROCESSING) {
        assertRefused(() -> queue.failJobPermanently(job.id, error), job);
        return;
      }
      queue.failJobPermanently(job.id, error);
      job.attemptFailed(false, error);
    }

    void cancel(ModelJob job) {
      boolean cancellable = job.status == JobStatus.PENDING || job.status == JobStatus.PROCESSING;
      assertThat(queue.cancelJob(job.id)).as("cancelJob(%s)", job).isEqualTo(cancellable);
      if (cancellable) {
        job.cancelled();
      }
    }

    void replay(ModelJob job) {
      boolean failed = job.status == JobStatus.FAILED;
      assertThat(queue.replayJob(job.id)).as("replayJob(%s)", job).isEqualTo(failed);
      if (failed) {
        job.replayed();
      }
    }

    void expireLease(ModelJob job) {
      int updated =
          update(
              "UPDATE coding_jobs SET lease_expires_at = now() - interval '1 minute'"
                  + " WHERE id = ? AND status = 'processing'",
              job.id);
      assertThat(updated).as("lease of %s expired", job).isEqualTo(1);
      job.leaseExpired = true;
    }

    private List<ModelJob> due(int max) {
      return jobs.stream()
          .filter(j -> j.status == JobStatus.PENDING)
          .sorted(CLAIM_ORDER)
          .limit(max)
          .toList();
    }

    private void assertClaimed(List<Job> claimed, List<ModelJob> expected) {
      Map<UUID, ModelJob> byId = byId();
      assertThat(claimed)
          .as("claimed jobs are never cancelled (or anything but pending) in the model")
          .allSatisfy(j -> assertThat(byId.get(j.id()).status).isEqualTo(JobStatus.PENDING));
      assertThat(claimed.stream().map(j -> byId.get(j.id()).index).toList())
          .as("the jobs claimed, in claim order")
          .containsExactlyElementsOf(expected.stream().map(j -> j.index).toList());
    }

    private static void assertRefused(Runnable call, ModelJob job) {
      assertThatThrownBy(call::run)
          .as("failing %s, which is not processing", job)
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("not processing");
    }

    private Map<UUID, ModelJob> byId() {
      Map<UUID, ModelJob> byId = new HashMap<>();
      jobs.forEach(j -> byId.put(j.id, j));
      return byId;
    }

    /** Compares the database with the model: every job, every session, the statistics. */
    void check() {
      List<Job> rows = queue.listJobs(null, 1000);
      Map<UUID, Job> rowsById = new HashMap<>();
      for (Job row : rows) {
        assertThat(rowsById.put(row.id(), row)).as("job %s listed once", row.id()).isNull();
      }
      assertThat(rowsById.keySet()).containsExactlyInAnyOrderElementsOf(byId().keySet());
      Map<UUID, SessionRow> sessions = sessions();
      assertThat(sessions).hasSameSizeAs(jobs);
      Instant now = Instant.now();
      for (ModelJob job : jobs) {
        Job row = rowsById.get(job.id);
        assertThat(row.status()).as("status of %s", job).isEqualTo(job.status);
        assertThat(row.retryCount()).as("retry count of %s", job).isEqualTo(job.retryCount);
        assertThat(row.errors()).as("attempts charged to %s", job).hasSize(job.attemptsCharged);
        if (job.retryCount > 0) {
          assertThat(row.errorMessage()).as("error of %s", job).startsWith(job.lastErrorPrefix);
          assertThat(row.errors().get(row.errors().size() - 1).attempt())
              .as("attempt of the last error of %s", job)
              .isEqualTo(job.retryCount);
        } else {
          assertThat(row.errorMessage()).as("error of %s", job).isNull();
        }
        boolean processing = job.status == JobStatus.PROCESSING;
        assertThat(row.leaseOwner() != null).as("%s has a lease owner", job).isEqualTo(processing);
        assertThat(row.leaseExpiresAt() != null).as("%s has a lease", job).isEqualTo(processing);
        if (processing) {
          assertThat(row.leaseExpiresAt().isBefore(now))
              .as("lease of %s has expired", job)
              .isEqualTo(job.leaseExpired);
        }
        assertThat(row.completedAt() != null).as("%s is finished", job).isEqualTo(job.finished());
        assertThat(job.completions).as("times %s was completed", job).isLessThanOrEqualTo(1);

        SessionRow session = sessions.get(job.sessionId);
        assertThat(session).as("session of %s", job).isNotNull();
        assertThat(session.status()).as("session of %s", job).isEqualTo(job.sessionStatus);
        assertThat(session.stateChanges())
            .as("state_changed events of the session of %s", job)
            .isEqualTo(job.sessionChanges);
        assertThat(session.error())
            .as("error of the session of %s", job)
            .isEqualTo(job.sessionStatus.equals("failed") ? row.errorMessage() : null);
      }

      QueueStats stats = queue.getQueueStats();
      Map<JobStatus, Long> counts = new EnumMap<>(JobStatus.class);
      Map<PlanTier, Long> pendingByTier = new EnumMap<>(PlanTier.class);
      for (PlanTier tier : PlanTier.values()) {
        pendingByTier.put(tier, 0L);
      }
      for (JobStatus status : JobStatus.values()) {
        counts.put(status, 0L);
      }
      long expired = 0;
      for (ModelJob job : jobs) {
        counts.merge(job.status, 1L, Long::sum);
        if (job.status == JobStatus.PENDING) {
          pendingByTier.merge(PlanTier.ofPriority(job.priority), 1L, Long::sum);
        }
        expired += job.status == JobStatus.PROCESSING && job.leaseExpired ? 1 : 0;
      }
      assertThat(stats.pendingCount()).as("pending").isEqualTo(counts.get(JobStatus.PENDING));
      assertThat(stats.processingCount())
          .as("processing")
          .isEqualTo(counts.get(JobStatus.PROCESSING));
      assertThat(stats.completedCount()).as("completed").isEqualTo(counts.get(JobStatus.COMPLETED));
      assertThat(stats.failedCount()).as("failed").isEqualTo(counts.get(JobStatus.FAILED));
      assertThat(stats.cancelledCount()).as("cancelled").isEqualTo(counts.get(JobStatus.CANCELLED));
      assertThat(stats.delayedCount()).as("delayed").isZero();
      assertThat(stats.expiredLeaseCount()).as("expired leases").isEqualTo(expired);
      assertThat(stats.pendingByTier()).as("pending by tier").isEqualTo(pendingByTier);
      if (counts.get(JobStatus.PENDING) == 0) {
        assertThat(stats.oldestPendingAge()).isZero();
      }
    }

    /** One row of coding_sessions with its number of state_changed events. */
    record SessionRow(String status, String error, long stateChanges) {}

    private static Map<UUID, SessionRow> sessions() {
      String sql =
          """
          SELECT s.id, s.status, s.error_message,
                 (SELECT count(*) FROM session_events e
                   WHERE e.session_id = s.id AND e.event_type = 'state_changed')
            FROM coding_sessions s
          """;
      Map<UUID, SessionRow> sessions = new HashMap<>();
      try (Connection c = db.dataSource().getConnection();
          PreparedStatement ps = c.prepareStatement(sql);
          ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          sessions.put(
              rs.getObject(1, UUID.class),
              new SessionRow(rs.getString(2), rs.getString(3), rs.getLong(4)));
        }
      } catch (SQLException e) {
        throw new IllegalStateException("reading sessions failed: " + e.getMessage(), e);
      }
      return sessions;
    }

    private static int update(String sql, UUID id) {
      try (Connection c = db.dataSource().getConnection();
          PreparedStatement ps = c.prepareStatement(sql)) {
        ps.setObject(1, id);
        return ps.executeUpdate();
      } catch (SQLException e) {
        throw new IllegalStateException("test SQL failed: " + e.getMessage(), e);
      }
    }
  }
}
