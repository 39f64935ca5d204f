package dev.mobvibe.queue.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mobvibe.queue.JobArgs;
import dev.mobvibe.queue.JobQueue;
import dev.mobvibe.queue.NewJob;
import dev.mobvibe.queue.testing.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The worker's batch statements reach jobs and sessions through their indexes, whatever the table
 * statistics say: a plan that scans a whole table costs time in proportion to every row the queue
 * has ever kept, not to the batch. Checked on analyzed tables of a few thousand rows, where the
 * planner would otherwise hash-join a batch of 500 against a sequential scan. Half the jobs are of
 * a second kind, and the claims take both, as a processor with two handlers does.
 */
class BatchPlanTest {
  @RegisterExtension static final TestDatabase db = new TestDatabase();

  static final int JOBS = 5_000;
  static final int BATCH = 500;
  static final String OWNER = "plan-test";
  static final String OTHER_KIND = "plan_other";

  /** A job of the second kind, so claims filter kinds among rows of several. */
  record OtherArgs(int n) implements JobArgs {
    @Override
    public String kind() {
      return OTHER_KIND;
    }
  }

  static final JobsSql sql = new JobsSql("public");
  static final ObjectMapper json = new ObjectMapper();

  @BeforeAll
  static void fill() {
    JobQueue queue = db.migratedQueue();
    for (int from = 0; from < JOBS; from += 1_000) {
      List<NewJob> jobs = new ArrayList<>();
      for (int i = 0; i < 1_000; i++) {
        jobs.add(i % 2 == 0 ? NewJob.of("plan " + (from + i)) : NewJob.of(new OtherArgs(from + i)));
      }
      queue.enqueueAll(jobs);
    }
    db.execute("ANALYZE");
  }

  @Test
  void claimUsesIndexesOnly() throws Exception {
    for (String statement :
        List.of(sql.jobsClaimBatch, sql.jobsClaimBatchWithoutEvents, sql.jobsClaimBatchJobsOnly)) {
      try (Connection c = db.connect()) {
        JsonNode plan = explain(c, statement, claimParams(c));
        assertThat(sequentialScans(plan)).as(statement).isEmpty();
      }
    }
  }

  @Test
  void claimAndReapUsesIndexesOnly() throws Exception {
    for (String statement :
        List.of(
            sql.jobsClaimAndReapBatch,
            sql.jobsClaimAndReapBatchWithoutEvents,
            sql.jobsClaimAndReapBatchJobsOnly)) {
      try (Connection c = db.connect()) {
        List<Object> params = new ArrayList<>(List.of(60.0, 1800.0, 100));
        params.addAll(List.of(claimParams(c)));
        JsonNode plan = explain(c, statement, params.toArray());
        assertThat(sequentialScans(plan)).as(statement).isEmpty();
      }
    }
  }

  @Test
  void releasingStrandedJobsUsesIndexesOnly() throws Exception {
    try (Connection c = db.connect()) {
      JsonNode plan =
          explain(c, sql.jobsReleaseStranded, OWNER, c.createArrayOf("uuid", new Object[0]));
      assertThat(sequentialScans(plan)).isEmpty();
    }
  }

  @Test
  void completeUsesIndexesOnly() throws Exception {
    try (Connection c = db.connect()) {
      c.setAutoCommit(false);
      List<UUID> ids = new ArrayList<>();
      List<Integer> retryCounts = new ArrayList<>();
      try (PreparedStatement claim = c.prepareStatement(sql.jobsClaimBatch)) {
        Object[] params = claimParams(c);
        for (int i = 0; i < params.length; i++) {
          claim.setObject(i + 1, params[i]);
        }
        try (ResultSet rs = claim.executeQuery()) {
          while (rs.next()) {
            ids.add(rs.getObject("id", UUID.class));
            retryCounts.add(rs.getInt("retry_count"));
          }
        }
      }
      assertThat(ids).hasSize(BATCH);
      // Outputs: none (unnest pads an empty array with nulls, as it does the null array of a batch
      // without outputs), and one for every other job.
      String[] someOutputs = new String[ids.size()];
      for (int i = 0; i < someOutputs.length; i += 2) {
        someOutputs[i] = "{\"n\": " + i + "}";
      }
      for (java.sql.Array outputs :
          List.of(c.createArrayOf("jsonb", new String[0]), c.createArrayOf("jsonb", someOutputs))) {
        for (String statement :
            List.of(
                sql.jobsCompleteLeasedBatch,
                sql.jobsCompleteLeasedBatchWithoutEvents,
                sql.jobsCompleteLeasedBatchJobsOnly)) {
          JsonNode plan =
              explain(
                  c,
                  statement,
                  c.createArrayOf("uuid", ids.toArray()),
                  c.createArrayOf("int4", retryCounts.toArray()),
                  outputs,
                  OWNER);
          assertThat(sequentialScans(plan)).as(statement).isEmpty();
        }
      }
      Double[] delays = new Double[ids.size()];
      java.util.Arrays.fill(delays, 1.5);
      JsonNode plan =
          explain(
              c,
              sql.jobsSnoozeLeased,
              c.createArrayOf("uuid", ids.toArray()),
              c.createArrayOf("int4", retryCounts.toArray()),
              c.createArrayOf("float8", delays),
              OWNER);
      assertThat(sequentialScans(plan)).as("jobsSnoozeLeased").isEmpty();
      c.rollback();
    }
  }

  /** A worker's kinds: coding sessions and a second kind, as a processor with two handlers. */
  private static java.sql.Array kinds(Connection c) throws SQLException {
    return c.createArrayOf("text", new String[] {NewJob.CODING_SESSION_KIND, OTHER_KIND});
  }

  /**
   * The claim's parameters with every flow-control rule in play: a running-job limit on each kind
   * (one by key prefix), a rate limit, and the fairness bound.
   */
  static Object[] claimParams(Connection c) throws SQLException {
    return new Object[] {
      c.createArrayOf("text", new String[] {NewJob.CODING_SESSION_KIND, OTHER_KIND}),
      c.createArrayOf("text", new String[] {null, "tenant:"}),
      c.createArrayOf("int4", new Integer[] {1000, 50}),
      c.createArrayOf("text", new String[] {OTHER_KIND}),
      c.createArrayOf("int4", new Integer[] {100}),
      c.createArrayOf("float8", new Double[] {60.0}),
      kinds(c),
      300.0,
      BATCH / 2,
      BATCH / 2,
      BATCH,
      BATCH,
      OWNER,
      60.0
    };
  }

  /** The plan of a statement with these parameters, as the server would run it now. */
  private static JsonNode explain(Connection c, String statement, Object... params)
      throws SQLException, java.io.IOException {
    try (PreparedStatement ps = c.prepareStatement("EXPLAIN (FORMAT JSON) " + statement)) {
      for (int i = 0; i < params.length; i++) {
        ps.setObject(i + 1, params[i]);
      }
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return json.readTree(rs.getString(1)).get(0).get("Plan");
      }
    }
  }

  /**
   * The tables that a plan reads from end to end, but {@code coding_job_kinds}: a row per kind,
   * read whole when the planner finds that cheaper than its key.
   */
  static List<String> sequentialScans(JsonNode node) {
    List<String> found = new ArrayList<>();
    if ("Seq Scan".equals(node.path("Node Type").asText())
        && !"coding_job_kinds".equals(node.path("Relation Name").asText())) {
      found.add(node.path("Relation Name").asText());
    }
    for (JsonNode child : node.path("Plans")) {
      found.addAll(sequentialScans(child));
    }
    return found;
  }
}
