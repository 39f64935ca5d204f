package dev.mobvibe.queue.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mobvibe.queue.testing.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The claim at size: with 1,000,000 pending jobs (two kinds, three tiers, a thousand concurrency
 * keys, half of them due for an hour) and 1,000,000 finished ones, the claim with every
 * flow-control rule in play (limits, a rate, the fairness bound, key turns) reaches its rows
 * through indexes only. The time each claim takes is printed, for docs/PERFORMANCE.md; it is not
 * asserted.
 */
@Tag("size")
class ClaimAtSizePlanTest {
  @RegisterExtension static final TestDatabase db = new TestDatabase();

  static final JobsSql sql = new JobsSql("public");
  static final ObjectMapper json = new ObjectMapper();

  /**
   * 1,000,000 pending jobs (half coding sessions, each in a session of its own; half of a second
   * kind, a fifth of them with keys shared by five jobs each; three tiers; half due for an hour)
   * and 1,000,000 completed ones. Generated without triggers and with the indexes built after the
   * rows, which is many times faster than a row-by-row load.
   */
  static final String GENERATE =
      """
      SET session_replication_role = replica;
      CREATE TEMP TABLE saved AS
        SELECT indexname, indexdef FROM pg_indexes
         WHERE schemaname = 'public' AND tablename = 'coding_jobs'
           AND indexname <> 'coding_jobs_pkey';
      DO $$ DECLARE r record; BEGIN
        FOR r IN SELECT indexname FROM saved LOOP EXECUTE 'DROP INDEX ' || r.indexname; END LOOP;
      END $$;
      INSERT INTO coding_sessions (id, status)
      SELECT ('00000000-0000-0000-0000-' || lpad(to_hex(k), 12, '0'))::uuid, 'pending'
        FROM generate_series(1, 500000) AS k;
      INSERT INTO coding_jobs (id, kind, session_id, prompt, priority, status, run_at, created_at,
                               completed_at, args, concurrency_key)
      SELECT gen_random_uuid(),
             CASE WHEN i % 2 = 0 THEN 'coding_session' ELSE 'plan_other' END,
             CASE WHEN i % 2 = 0 THEN ('00000000-0000-0000-0000-'
                                       || lpad(to_hex(i / 2 % 500000 + 1), 12, '0'))::uuid END,
             CASE WHEN i % 2 = 0 THEN 'prompt ' || i END,
             (i % 3) * 5,
             CASE WHEN i <= 1000000 THEN 'pending' ELSE 'completed' END,
             now() - CASE WHEN i % 4 < 2 THEN interval '1 hour' ELSE interval '0' END,
             now() - interval '2 hours' + i * interval '1 millisecond',
             CASE WHEN i > 1000000 THEN now() - interval '1 day' END,
             '{}'::jsonb,
             CASE WHEN i % 2 = 0 THEN '00000000-0000-0000-0000-'
                                      || lpad(to_hex(i / 2 % 500000 + 1), 12, '0')
                  WHEN i % 10 = 1 THEN 'tenant:' || (i % 100000) END
        FROM generate_series(1, 2000000) AS i;
      DO $$ DECLARE r record; BEGIN
        FOR r IN SELECT indexdef FROM saved LOOP EXECUTE r.indexdef; END LOOP;
      END $$;
      SET session_replication_role = origin;
      ANALYZE coding_jobs;
      ANALYZE coding_sessions;
      """;

  @BeforeAll
  static void fill() {
    db.migratedQueue();
    db.execute(GENERATE);
  }

  @Test
  void claimWithEveryRuleUsesIndexesOnlyAtAMillionRows() throws Exception {
    for (String statement :
        List.of(sql.jobsClaimBatch, sql.jobsClaimBatchJobsOnly, sql.jobsClaimAndReapBatch)) {
      try (Connection c = db.connect()) {
        c.setAutoCommit(false);
        Object[] claim = BatchPlanTest.claimParams(c);
        Object[] params = claim;
        if (statement.equals(sql.jobsClaimAndReapBatch)) {
          params = new Object[claim.length + 3];
          params[0] = 60.0;
          params[1] = 1800.0;
          params[2] = 100;
          System.arraycopy(claim, 0, params, 3, claim.length);
        }
        JsonNode plan = explainAnalyze(c, statement, params);
        assertThat(BatchPlanTest.sequentialScans(plan.get("Plan"))).as(statement).isEmpty();
        System.out.printf(
            "claim of up to %d at 1M pending + 1M finished: %.1f ms%n",
            BatchPlanTest.BATCH, plan.get("Execution Time").asDouble());
        c.rollback();
      }
    }
  }

  /** Runs a statement under EXPLAIN ANALYZE (rolled back by the caller) and returns the plan. */
  private static JsonNode explainAnalyze(Connection c, String statement, Object... params)
      throws Exception {
    try (PreparedStatement ps = c.prepareStatement("EXPLAIN (ANALYZE, FORMAT JSON) " + statement)) {
      for (int i = 0; i < params.length; i++) {
        ps.setObject(i + 1, params[i]);
      }
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return json.readTree(rs.getString(1)).get(0);
      }
    }
  }
}
