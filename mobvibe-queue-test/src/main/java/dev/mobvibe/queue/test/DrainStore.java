package dev.mobvibe.queue.test;

import dev.mobvibe.queue.QueueException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import javax.sql.DataSource;

/**
 * The drain's own statements, written against the documented {@code coding_jobs}, {@code
 * coding_sessions} and {@code session_events} contract. Completing and failing go through {@code
 * JobQueue}'s public methods; these are the steps that public API has no form for: a claim and a
 * reschedule on the test clock's time, and a snooze.
 */
final class DrainStore {
  /** The lease owner of jobs the drain holds; shows in {@code lease_owner} and error history. */
  static final String WORKER_ID = "mobvibe-test-drain";

  /** The next due pending job of the kinds, by the claim order. Params: clock now, kinds, owner. */
  private static final String JOBS_CLAIM_NEXT =
      """
      UPDATE {s}.coding_jobs j
         SET status = 'processing', started_at = now(), updated_at = now(), lease_owner = ?,
             lease_expires_at = now() + interval '1 hour'
       WHERE j.id = (SELECT id FROM {s}.coding_jobs
                      WHERE status = 'pending' AND run_at <= ? AND kind = ANY(?::text[])
                      ORDER BY priority DESC, created_at, id
                      LIMIT 1
                      FOR UPDATE SKIP LOCKED)
      RETURNING j.id, j.session_id\
      """;

  /** The claimed job's session becomes active, as a processor's claim makes it. Param: id. */
  private static final String SESSIONS_ACTIVATE =
      """
      UPDATE {s}.coding_sessions
         SET status = 'active', started_at = coalesce(started_at, now()), updated_at = now()
       WHERE id = ? AND status IS DISTINCT FROM 'active'\
      """;

  /** The earliest run at of the pending jobs of the kinds. Param: kinds. */
  private static final String JOBS_SELECT_NEXT_RUN_AT =
      """
      SELECT min(run_at) FROM {s}.coding_jobs
       WHERE status = 'pending' AND kind = ANY(?::text[])\
      """;

  /** Back to pending without spending an attempt. Params: run at, id. */
  private static final String JOBS_SNOOZE =
      """
      UPDATE {s}.coding_jobs
         SET status = 'pending', run_at = ?, snoozes = snoozes + 1, updated_at = now(),
             lease_owner = NULL, lease_expires_at = NULL
       WHERE id = ? AND status = 'processing'\
      """;

  /** A retried job's next run at, on the test clock. Params: run at, id. */
  private static final String JOBS_RESCHEDULE =
      """
      UPDATE {s}.coding_jobs SET run_at = ? WHERE id = ? AND status = 'pending'\
      """;

  /** The output of a job the drain just completed. Params: output json, id. */
  private static final String JOBS_SET_OUTPUT =
      """
      UPDATE {s}.coding_jobs SET output = ?::jsonb WHERE id = ? AND status = 'completed'\
      """;

  /** One session event. Params: session id, type, data json. */
  private static final String SESSION_EVENTS_INSERT =
      """
      INSERT INTO {s}.session_events (session_id, event_type, event_data)
      VALUES (?, ?, ?::jsonb)\
      """;

  private final DataSource dataSource;
  private final String schema;

  /**
   * @param dataSource the queue's data source
   * @param schema the queue's schema, already checked by the queue's builder
   */
  DrainStore(DataSource dataSource, String schema) {
    this.dataSource = dataSource;
    this.schema = schema;
  }

  /** A claimed job's id and session. */
  record Claimed(UUID id, UUID sessionId) {}

  Optional<Claimed> claimNext(List<String> kinds, Instant now) {
    return withConnection(
        "claim the next due job",
        c -> {
          Optional<Claimed> claimed;
          try (PreparedStatement ps = c.prepareStatement(sql(JOBS_CLAIM_NEXT))) {
            ps.setString(1, WORKER_ID);
            ps.setObject(2, utc(now));
            ps.setArray(3, c.createArrayOf("text", kinds.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
              claimed =
                  rs.next()
                      ? Optional.of(
                          new Claimed(rs.getObject(1, UUID.class), rs.getObject(2, UUID.class)))
                      : Optional.empty();
            }
          }
          if (claimed.isPresent() && claimed.get().sessionId() != null) {
            try (PreparedStatement ps = c.prepareStatement(sql(SESSIONS_ACTIVATE))) {
              ps.setObject(1, claimed.get().sessionId());
              ps.executeUpdate();
            }
          }
          return claimed;
        });
  }

  Optional<Instant> nextRunAt(List<String> kinds) {
    return withConnection(
        "read the next run at",
        c -> {
          try (PreparedStatement ps = c.prepareStatement(sql(JOBS_SELECT_NEXT_RUN_AT))) {
            ps.setArray(1, c.createArrayOf("text", kinds.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
              rs.next();
              OffsetDateTime at = rs.getObject(1, OffsetDateTime.class);
              return Optional.ofNullable(at).map(OffsetDateTime::toInstant);
            }
          }
        });
  }

  void snooze(UUID id, Instant runAt) {
    update("snooze job " + id, JOBS_SNOOZE, utc(runAt), id);
  }

  void reschedule(UUID id, Instant runAt) {
    update("reschedule job " + id, JOBS_RESCHEDULE, utc(runAt), id);
  }

  void setOutput(UUID id, String outputJson) {
    update("write the output of job " + id, JOBS_SET_OUTPUT, outputJson, id);
  }

  void insertEvent(UUID sessionId, String type, String dataJson) {
    update(
        "write a session event of session " + sessionId,
        SESSION_EVENTS_INSERT,
        sessionId,
        type,
        dataJson);
  }

  private void update(String what, String statement, Object... params) {
    withConnection(
        what,
        c -> {
          try (PreparedStatement ps = c.prepareStatement(sql(statement))) {
            for (int i = 0; i < params.length; i++) {
              ps.setObject(i + 1, params[i]);
            }
            return ps.executeUpdate();
          }
        });
  }

  /** pgjdbc binds an {@code OffsetDateTime} as {@code timestamptz}, whatever the JVM's zone. */
  private static OffsetDateTime utc(Instant instant) {
    return instant.atOffset(ZoneOffset.UTC);
  }

  private String sql(String statement) {
    return statement.replace("{s}", schema);
  }

  private interface Work<T> {
    T run(Connection c) throws SQLException;
  }

  private <T> T withConnection(String what, Work<T> work) {
    try (Connection c = dataSource.getConnection()) {
      T result = work.run(c);
      if (!c.getAutoCommit()) {
        c.commit();
      }
      return result;
    } catch (SQLException e) {
      throw new QueueException(what + " failed: " + e.getMessage(), e);
    }
  }
}
