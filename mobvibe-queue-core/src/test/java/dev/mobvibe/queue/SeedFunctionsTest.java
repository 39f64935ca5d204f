package dev.mobvibe.queue;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mobvibe.queue.testing.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.Predicate;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.postgresql.util.PGInterval;

/**
 * The seed's SQL functions and notifications, called directly over JDBC as other clients (the
 * Node.js worker, Supabase edge functions) call them, after the SDK's migrations.
 */
class SeedFunctionsTest {
  @RegisterExtension static final TestDatabase db = new TestDatabase();

  static final ObjectMapper JSON = new ObjectMapper();
  static JobQueue queue;

  @BeforeAll
  static void migrate() {
    queue = db.migratedQueue();
  }

  @BeforeEach
  void emptyTheQueue() {
    db.emptyQueueTables();
  }

  @Test
  void claimNextJobReturnsTheSeedColumnsHighestPriorityFirstAndSkipsDelayedJobs()
      throws SQLException {
    // The delayed Pro job is the oldest and the highest: only its run time keeps it back.
    Job delayed =
        queue.enqueue(
            NewJob.builder("delayed pro").tier(PlanTier.PRO).delay(Duration.ofHours(1)).build());
    Job free = queue.enqueue(NewJob.builder("free").tier(PlanTier.FREE).build());
    Job pro = queue.enqueue(NewJob.builder("pro").tier(PlanTier.PRO).build());
    Job starter = queue.enqueue(NewJob.builder("starter").tier(PlanTier.STARTER).build());

    try (Connection c = db.connect()) {
      try (Statement st = c.createStatement();
          ResultSet rs = st.executeQuery("SELECT * FROM claim_next_job()")) {
        ResultSetMetaData md = rs.getMetaData();
        assertThat(md.getColumnCount()).isEqualTo(4);
        assertThat(List.of(md.getColumnName(1), md.getColumnName(2), md.getColumnName(3)))
            .containsExactly("job_id", "session_id", "prompt");
        assertThat(md.getColumnName(4)).isEqualTo("priority");
        assertThat(rs.next()).isTrue();
        assertThat(rs.getObject("job_id", UUID.class)).isEqualTo(pro.id());
        assertThat(rs.getObject("session_id", UUID.class)).isEqualTo(pro.sessionId());
        assertThat(rs.getString("prompt")).isEqualTo("pro");
        assertThat(rs.getInt("priority")).isEqualTo(10);
        assertThat(rs.next()).isFalse();
      }
      assertThat(claimNext(c)).isEqualTo(starter.id());
      assertThat(claimNext(c)).isEqualTo(free.id());
      assertThat(claimNext(c)).as("the delayed job is not due").isNull();
    }

    Job claimed = queue.findJob(pro.id()).orElseThrow();
    assertThat(claimed.status()).isEqualTo(JobStatus.PROCESSING);
    assertThat(claimed.startedAt()).isNotNull();
    assertThat(claimed.leaseExpiresAt()).as("a legacy claim takes a lease").isNotNull();
    assertThat(queue.findJob(delayed.id()).orElseThrow().status()).isEqualTo(JobStatus.PENDING);
  }

  @Test
  void completeJobCompletesAProcessingJobAndLeavesOthersAlone() throws SQLException {
    Job job = queue.enqueue(NewJob.of("complete me"));
    Job other = queue.enqueue(NewJob.of("still pending"));
    try (Connection c = db.connect()) {
      assertThat(claimNext(c)).isEqualTo(job.id());
      completeJob(c, job.id());
      completeJob(c, other.id()); // pending: not processing, so nothing happens
    }
    Job done = queue.findJob(job.id()).orElseThrow();
    assertThat(done.status()).isEqualTo(JobStatus.COMPLETED);
    assertThat(done.completedAt()).isNotNull();
    assertThat(done.leaseOwner()).isNull();
    assertThat(queue.findJob(other.id()).orElseThrow().status()).isEqualTo(JobStatus.PENDING);
  }

  @Test
  void failJobRetriesWhileAttemptsRemainThenDeadLettersTheJobAndFailsItsSession()
      throws SQLException {
    Job job = queue.enqueue(NewJob.builder("flaky").maxAttempts(3).build());
    try (Connection c = db.connect()) {
      for (int attempt = 1; attempt <= 3; attempt++) {
        assertThat(claimNext(c)).as("claim of attempt %d", attempt).isEqualTo(job.id());
        boolean willRetry = failJob(c, job.id(), "boom " + attempt);
        assertThat(willRetry).as("fail_job of attempt %d", attempt).isEqualTo(attempt < 3);
        Job after = queue.findJob(job.id()).orElseThrow();
        assertThat(after.retryCount()).isEqualTo(attempt);
        assertThat(after.errorMessage()).isEqualTo("boom " + attempt);
        if (attempt < 3) {
          assertThat(after.status()).isEqualTo(JobStatus.PENDING);
          // The seed function waits a jittered backoff of at most 2^(attempt-1) seconds.
          JobError last = after.errors().get(after.errors().size() - 1);
          assertThat(Duration.between(last.at(), after.runAt()))
              .isBetween(Duration.ZERO, Duration.ofSeconds(1L << (attempt - 1)));
          // Skip the backoff rather than wait for it.
          db.execute("UPDATE coding_jobs SET run_at = now() WHERE id = '" + job.id() + "'");
        }
      }
      // A job that is not processing is not failed again.
      assertThat(failJob(c, job.id(), "late")).isFalse();
    }
    Job dead = queue.findJob(job.id()).orElseThrow();
    assertThat(dead.status()).isEqualTo(JobStatus.FAILED);
    assertThat(dead.retryCount()).isEqualTo(3);
    assertThat(dead.errorMessage()).isEqualTo("boom 3");
    assertThat(dead.errors()).extracting(JobError::attempt).containsExactly(1, 2, 3);
    assertThat(
            db.queryString(
                "SELECT status || '/' || error_message FROM coding_sessions WHERE id = '"
                    + job.sessionId()
                    + "'"))
        .isEqualTo("failed/boom 3");
  }

  @Test
  void getQueueStatsReturnsTheSeedCounts() throws SQLException {
    try (Connection c = db.connect()) {
      try (Statement st = c.createStatement();
          ResultSet rs = st.executeQuery("SELECT * FROM get_queue_stats()")) {
        assertThat(rs.next()).isTrue();
        assertThat(rs.getLong("pending_count")).isZero();
        assertThat(rs.getObject("oldest_pending_age")).as("no pending job").isNull();
      }

      Job completed = queue.enqueue(NewJob.builder("a").priority(30).build());
      Job failed = queue.enqueue(NewJob.builder("b").priority(20).maxAttempts(1).build());
      queue.enqueue(NewJob.builder("c").priority(10).build());
      queue.enqueue(NewJob.of("d"));
      queue.enqueue(NewJob.builder("e").delay(Duration.ofHours(1)).build());
      db.execute(
          "UPDATE coding_jobs SET created_at = now() - interval '10 minutes' WHERE prompt = 'd'");
      assertThat(claimNext(c)).isEqualTo(completed.id());
      completeJob(c, completed.id());
      assertThat(claimNext(c)).isEqualTo(failed.id());
      assertThat(failJob(c, failed.id(), "no")).isFalse();
      claimNext(c); // c stays processing

      try (Statement st = c.createStatement();
          ResultSet rs = st.executeQuery("SELECT * FROM get_queue_stats()")) {
        assertThat(rs.next()).isTrue();
        assertThat(rs.getLong("pending_count")).isEqualTo(2); // d, and the delayed e
        assertThat(rs.getLong("processing_count")).isEqualTo(1);
        assertThat(rs.getLong("completed_count")).isEqualTo(1);
        assertThat(rs.getLong("failed_count")).isEqualTo(1);
        PGInterval age = (PGInterval) rs.getObject("oldest_pending_age");
        double seconds = age.getHours() * 3600.0 + age.getMinutes() * 60.0 + age.getSeconds();
        assertThat(seconds).isBetween(600.0, 660.0);
        assertThat(rs.next()).isFalse();
      }
    }
  }

  @Test
  void aNewJobNotificationCarriesTheSeedPayloadForEveryInsertedJob() throws Exception {
    try (Connection listener = db.connect()) {
      listen(listener, "new_job");
      Job one = queue.enqueue(NewJob.builder("notify me").tier(PlanTier.STARTER).build());
      List<Job> batch =
          queue.enqueueAll(
              List.of(NewJob.of("batch 1"), NewJob.of("batch 2"), NewJob.of("batch 3")));

      List<JsonNode> payloads =
          awaitNotifications(listener, "new_job", list -> list.size() >= 4, 4);
      assertThat(payloads).hasSize(4);
      JsonNode first =
          payloads.stream()
              .filter(p -> p.path("job_id").asText().equals(one.id().toString()))
              .findFirst()
              .orElseThrow();
      assertThat(first.path("session_id").asText()).isEqualTo(one.sessionId().toString());
      assertThat(first.path("priority").asInt()).isEqualTo(5);
      assertThat(OffsetDateTime.parse(first.path("created_at").asText()).toInstant())
          .isEqualTo(one.createdAt());
      assertThat(payloads)
          .extracting(p -> p.path("job_id").asText())
          .containsExactlyInAnyOrder(
              one.id().toString(),
              batch.get(0).id().toString(),
              batch.get(1).id().toString(),
              batch.get(2).id().toString());
    }
  }

  @Test
  void aJobStatusChangedNotificationCarriesOldAndNewStatus() throws Exception {
    Job job = queue.enqueue(NewJob.of("watch me"));
    try (Connection listener = db.connect()) {
      listen(listener, "job_status_changed");
      queue.claimNextJob().orElseThrow();
      queue.completeJob(job.id());

      List<JsonNode> payloads =
          awaitNotifications(listener, "job_status_changed", list -> list.size() >= 2, 2);
      assertThat(payloads)
          .allSatisfy(
              p -> {
                assertThat(p.path("job_id").asText()).isEqualTo(job.id().toString());
                assertThat(p.path("session_id").asText()).isEqualTo(job.sessionId().toString());
                assertThat(p.has("updated_at")).isTrue();
              });
      assertThat(payloads)
          .extracting(p -> p.path("old_status").asText() + "->" + p.path("new_status").asText())
          .containsExactly("pending->processing", "processing->completed");
    }
    // An update that leaves the status alone sends nothing.
    try (Connection listener = db.connect()) {
      listen(listener, "job_status_changed");
      db.execute("UPDATE coding_jobs SET prompt = 'renamed' WHERE id = '" + job.id() + "'");
      Job marker = queue.enqueue(NewJob.of("marker"));
      queue.cancelJob(marker.id());
      List<JsonNode> payloads =
          awaitNotifications(listener, "job_status_changed", list -> !list.isEmpty(), 1);
      assertThat(payloads)
          .singleElement()
          .satisfies(p -> assertThat(p.path("job_id").asText()).isEqualTo(marker.id().toString()));
    }
  }

  /** A job of a kind the seed's clients know nothing of. */
  record Webhook(String url) implements JobArgs {
    @Override
    public String kind() {
      return "webhook";
    }
  }

  @Test
  void theSeedFunctionsSeeOnlyCodingSessions() throws SQLException {
    // The other kind's job is older and of a higher priority: only its kind keeps it back.
    Job webhook =
        queue.enqueue(NewJob.builder(new Webhook("https://example.com/hook")).priority(50).build());
    Job prompt = queue.enqueue(NewJob.of("a coding session"));
    try (Connection c = db.connect()) {
      try (Statement st = c.createStatement();
          ResultSet rs = st.executeQuery("SELECT * FROM get_queue_stats()")) {
        assertThat(rs.next()).isTrue();
        assertThat(rs.getLong("pending_count")).isEqualTo(1);
      }
      assertThat(claimNext(c)).isEqualTo(prompt.id());
      assertThat(claimNext(c)).as("the webhook job is not the seed's to claim").isNull();

      // Claimed by the SDK, the other kind's job is still not the seed functions' to finish.
      assertThat(queue.claimJobs(List.of("webhook"), 1))
          .extracting(Job::id)
          .containsExactly(webhook.id());
      completeJob(c, webhook.id());
      assertThat(failJob(c, webhook.id(), "not mine")).isFalse();
      Job still = queue.findJob(webhook.id()).orElseThrow();
      assertThat(still.status()).isEqualTo(JobStatus.PROCESSING);
      assertThat(still.retryCount()).isZero();
      try (Statement st = c.createStatement();
          ResultSet rs = st.executeQuery("SELECT * FROM get_queue_stats()")) {
        assertThat(rs.next()).isTrue();
        assertThat(rs.getLong("processing_count")).as("the seed's own job only").isEqualTo(1);
      }
      completeJob(c, prompt.id());
      assertThat(queue.completeJob(webhook.id())).isTrue();
    }
  }

  private static UUID claimNext(Connection c) throws SQLException {
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT job_id FROM claim_next_job()")) {
      return rs.next() ? rs.getObject(1, UUID.class) : null;
    }
  }

  private static void completeJob(Connection c, UUID id) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT complete_job(?)")) {
      ps.setObject(1, id);
      ps.executeQuery().close();
    }
  }

  private static boolean failJob(Connection c, UUID id, String message) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT fail_job(?, ?)")) {
      ps.setObject(1, id);
      ps.setString(2, message);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getBoolean(1);
      }
    }
  }

  private static void listen(Connection c, String channel) throws SQLException {
    try (Statement st = c.createStatement()) {
      st.execute("LISTEN " + channel);
    }
  }

  /**
   * Collects notifications on a channel until {@code done} holds or 10 seconds pass, then drains
   * briefly for unexpected extras (at most {@code expected} are waited for; more fail the caller's
   * size assertions).
   */
  private static List<JsonNode> awaitNotifications(
      Connection c, String channel, Predicate<List<JsonNode>> done, int expected) throws Exception {
    PGConnection pg = c.unwrap(PGConnection.class);
    List<JsonNode> payloads = new ArrayList<>();
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!done.test(payloads) && System.nanoTime() < deadline) {
      collect(pg.getNotifications(500), channel, payloads);
    }
    assertThat(payloads).as("notifications on %s", channel).hasSizeGreaterThanOrEqualTo(expected);
    // Whatever else the server already sent arrives with a round trip.
    collect(pg.getNotifications(50), channel, payloads);
    return payloads;
  }

  private static void collect(PGNotification[] batch, String channel, List<JsonNode> into)
      throws Exception {
    if (batch == null) {
      return;
    }
    for (PGNotification n : batch) {
      if (n.getName().equals(channel)) {
        into.add(JSON.readTree(n.getParameter()));
      }
    }
  }
}
