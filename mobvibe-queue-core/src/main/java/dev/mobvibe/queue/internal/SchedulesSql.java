package dev.mobvibe.queue.internal;

/**
 * Every statement the SDK runs against {@code coding_job_schedules}, for one schema. Bind
 * parameters only; the schema name, validated by {@link Identifiers#checkSchema(String)}, is the
 * only text spliced in. Internal API.
 */
public final class SchedulesSql {

  /**
   * Registers a schedule, or updates its definition when the name exists; its last tick and last
   * job are kept. Parameters: name, kind, expression, time zone, next tick (timestamptz, may be
   * null), worker id. Result: {@code last_tick}.
   */
  final String schedulesUpsert;

  /**
   * Takes a tick: records it as the newest when it is newer than the recorded one, which locks the
   * row until the transaction ends, so of the workers taking the same tick one updates the row and
   * the others, once it commits, update nothing. Parameters: tick, next tick (may be null), worker
   * id, name, tick. Result: update count, 1 when this transaction took the tick.
   */
  final String schedulesTakeTick;

  /** Records the job enqueued for the last tick. Parameters: job id, name. */
  final String schedulesSetLastJob;

  /**
   * Every registered schedule, by name. No parameters. Result: name, kind, expression, time_zone,
   * last_tick, last_job_id, next_tick, updated_by, updated_at.
   */
  final String schedulesSelectAll;

  /**
   * Builds the statements for a schema.
   *
   * @param schema a schema name; checked here
   */
  public SchedulesSql(String schema) {
    String table = Identifiers.checkSchema(schema) + ".coding_job_schedules";
    schedulesUpsert =
        """
        INSERT INTO %s AS s (name, kind, expression, time_zone, next_tick, updated_by, updated_at)
        VALUES (?, ?, ?, ?, ?, ?, now())
        ON CONFLICT (name) DO UPDATE
           SET kind = EXCLUDED.kind, expression = EXCLUDED.expression,
               time_zone = EXCLUDED.time_zone, next_tick = EXCLUDED.next_tick,
               updated_by = EXCLUDED.updated_by, updated_at = now()
        RETURNING s.last_tick
        """
            .formatted(table);
    schedulesTakeTick =
        """
        UPDATE %s
           SET last_tick = ?, last_job_id = NULL, next_tick = ?, updated_by = ?, updated_at = now()
         WHERE name = ? AND (last_tick IS NULL OR last_tick < ?)
        """
            .formatted(table);
    schedulesSetLastJob =
        """
        UPDATE %s SET last_job_id = ? WHERE name = ?
        """
            .formatted(table);
    schedulesSelectAll =
        """
        SELECT name, kind, expression, time_zone, last_tick, last_job_id, next_tick, updated_by,
               updated_at
          FROM %s
         ORDER BY name
        """
            .formatted(table);
  }
}
