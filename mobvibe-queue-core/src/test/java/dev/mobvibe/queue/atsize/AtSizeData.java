package dev.mobvibe.queue.atsize;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * Fills a migrated queue's {@code coding_jobs} (public schema) with generated rows, fast: triggers
 * are off while it inserts (the session runs as a replica, which needs a superuser), then the table
 * is vacuumed and analysed as autovacuum would. Pending jobs: 1 in 10 of kind {@code digest}, 1 in
 * 100 delayed, priorities 0, 5 and 10. Finished jobs: 90% completed, 5% failed, 5% cancelled,
 * finished 0 to 19 days ago, evenly.
 */
public final class AtSizeData {
  private AtSizeData() {}

  /**
   * Empties the queue's tables and generates the rows.
   *
   * @param c a superuser connection to the database, in auto-commit mode
   * @param pending how many pending jobs
   * @param finished how many finished jobs
   * @throws SQLException from JDBC
   */
  public static void generate(Connection c, int pending, int finished) throws SQLException {
    try (Statement st = c.createStatement()) {
      st.execute("TRUNCATE coding_jobs, session_events, coding_sessions");
      // Building the indexes once after the insert is several times faster than keeping them up
      // to date row by row: drop them (and the primary key), insert, create them again.
      List<String> indexes = new ArrayList<>();
      try (ResultSet rs =
          st.executeQuery(
              "SELECT indexdef FROM pg_indexes WHERE schemaname = 'public'"
                  + " AND tablename = 'coding_jobs' AND indexname <> 'coding_jobs_pkey'")) {
        while (rs.next()) {
          indexes.add(rs.getString(1));
        }
      }
      for (String def : indexes) {
        st.execute("DROP INDEX public." + def.split(" ")[def.startsWith("CREATE UNIQUE") ? 3 : 2]);
      }
      st.execute("ALTER TABLE coding_jobs DROP CONSTRAINT coding_jobs_pkey");
      st.execute("SET session_replication_role = replica");
      st.execute(
          "INSERT INTO coding_sessions (id, status)"
              + " SELECT gen_random_uuid(), 'active' FROM generate_series(1, 1000)");
      st.execute(
          "CREATE TEMP TABLE gen_sessions AS"
              + " SELECT id, row_number() OVER () AS n FROM coding_sessions");
      st.execute(
          """
          INSERT INTO coding_jobs (session_id, prompt, status, priority, kind, created_at, run_at)
          SELECT s.id, 'pending ' || i, 'pending', (i %% 3) * 5,
                 CASE WHEN i %% 10 = 0 THEN 'digest' ELSE 'coding_session' END,
                 now() - make_interval(secs => i %% 86400),
                 now() + make_interval(secs => CASE WHEN i %% 100 = 0 THEN 3600 ELSE 0 END)
            FROM generate_series(1, %d) i JOIN gen_sessions s ON s.n = 1 + i %% 1000
           ORDER BY i
          """
              .formatted(pending));
      st.execute(
          """
          INSERT INTO coding_jobs (session_id, prompt, status, priority, kind, created_at, run_at,
                                   started_at, completed_at)
          SELECT s.id, 'done ' || i,
                 CASE WHEN i %% 20 = 0 THEN 'failed' WHEN i %% 20 = 1 THEN 'cancelled'
                      ELSE 'completed' END,
                 (i %% 3) * 5, CASE WHEN i %% 10 = 0 THEN 'digest' ELSE 'coding_session' END,
                 now() - make_interval(days => (i / 7) %% 20, secs => 60),
                 now() - make_interval(days => (i / 7) %% 20, secs => 60),
                 now() - make_interval(days => (i / 7) %% 20, secs => 50),
                 now() - make_interval(days => (i / 7) %% 20)
            FROM generate_series(1, %d) i JOIN gen_sessions s ON s.n = 1 + i %% 1000
           ORDER BY i
          """
              .formatted(finished));
      // ORDER BY i: the statuses interleave on every heap page whatever join the planner picks
      // (grouped by session, a page held one status, and the statistics' block sample of the
      // finished counts was off by half).
      st.execute("DROP TABLE gen_sessions");
      st.execute("RESET session_replication_role");
      st.execute("ALTER TABLE coding_jobs ADD CONSTRAINT coding_jobs_pkey PRIMARY KEY (id)");
      for (String def : indexes) {
        st.execute(def);
      }
      st.execute("VACUUM ANALYZE coding_jobs");
    }
  }
}
