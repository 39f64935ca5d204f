package dev.mobvibe.queue.internal;

import dev.mobvibe.queue.RegisteredSchedule;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.UUID;

/**
 * Reads and writes {@code coding_job_schedules}: registration, taking a tick, listing. Internal
 * API.
 */
public final class ScheduleStore {
  private final Jdbc jdbc;
  private final SchedulesSql sql;

  /**
   * Creates a store.
   *
   * @param jdbc where statements run
   * @param schema a schema name, validated here
   */
  public ScheduleStore(Jdbc jdbc, String schema) {
    this.jdbc = jdbc;
    this.sql = new SchedulesSql(schema);
  }

  /**
   * Returns the JDBC helper.
   *
   * @return the helper
   */
  public Jdbc jdbc() {
    return jdbc;
  }

  /**
   * Registers a schedule, or updates the definition of the one with this name; its last tick is
   * kept.
   *
   * @param name the schedule's name
   * @param kind the kind of its jobs
   * @param expression its expression
   * @param zone its time zone id
   * @param nextTick its next tick, or {@code null} when it never fires again
   * @param workerId who registers it
   * @return the last tick recorded, or {@code null} when none was
   */
  public Instant register(
      String name, String kind, String expression, String zone, Instant nextTick, String workerId) {
    List<Instant> last =
        jdbc.query(
            "register schedule " + name,
            sql.schedulesUpsert,
            ps -> {
              ps.setString(1, name);
              ps.setString(2, kind);
              ps.setString(3, expression);
              ps.setString(4, zone);
              setInstant(ps, 5, nextTick);
              ps.setString(6, workerId);
            },
            rs -> JobRows.instant(rs, "last_tick"));
    return last.get(0);
  }

  /**
   * Takes a tick on the caller's connection, inside its transaction: records it as the newest when
   * it is newer than the recorded one. The row stays locked until the caller commits or rolls back,
   * so workers taking the same tick queue here and only the first takes it.
   *
   * @param c the caller's connection, in a transaction
   * @param name the schedule
   * @param tick the tick
   * @param nextTick the tick after it, or {@code null}
   * @param workerId who takes it
   * @return whether this transaction took the tick
   * @throws SQLException from JDBC
   */
  public boolean takeTick(
      Connection c, String name, Instant tick, Instant nextTick, String workerId)
      throws SQLException {
    return jdbc.updateOn(
            c,
            sql.schedulesTakeTick,
            ps -> {
              setInstant(ps, 1, tick);
              setInstant(ps, 2, nextTick);
              ps.setString(3, workerId);
              ps.setString(4, name);
              setInstant(ps, 5, tick);
            })
        == 1;
  }

  /**
   * Records the job enqueued for the last tick, on the caller's connection.
   *
   * @param c the caller's connection
   * @param name the schedule
   * @param jobId the job
   * @throws SQLException from JDBC
   */
  public void setLastJob(Connection c, String name, UUID jobId) throws SQLException {
    jdbc.updateOn(
        c,
        sql.schedulesSetLastJob,
        ps -> {
          ps.setObject(1, jobId);
          ps.setString(2, name);
        });
  }

  /**
   * Lists every registered schedule, by name.
   *
   * @return the schedules
   */
  public List<RegisteredSchedule> list() {
    return jdbc.query(
        "list schedules",
        sql.schedulesSelectAll,
        ps -> {},
        rs ->
            new RegisteredSchedule(
                rs.getString("name"),
                rs.getString("kind"),
                rs.getString("expression"),
                rs.getString("time_zone"),
                JobRows.instant(rs, "last_tick"),
                rs.getObject("last_job_id", UUID.class),
                JobRows.instant(rs, "next_tick"),
                rs.getString("updated_by"),
                JobRows.instant(rs, "updated_at")));
  }

  private static void setInstant(PreparedStatement ps, int index, Instant at) throws SQLException {
    if (at == null) {
      ps.setNull(index, Types.TIMESTAMP_WITH_TIMEZONE);
    } else {
      ps.setObject(index, OffsetDateTime.ofInstant(at, ZoneOffset.UTC));
    }
  }
}
