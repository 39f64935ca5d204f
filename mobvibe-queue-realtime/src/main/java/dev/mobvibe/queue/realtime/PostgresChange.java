package dev.mobvibe.queue.realtime;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One row change delivered by Supabase Realtime. Values in the records are typed JSON, as the
 * server casts them: numbers are numbers, {@code jsonb} is an object, timestamps are ISO strings.
 *
 * <p>Treat the JSON nodes as read-only; every callback of a channel may receive the same instance.
 *
 * @param schema the schema of the table
 * @param table the table
 * @param type {@link ChangeEvent#INSERT}, {@link ChangeEvent#UPDATE} or {@link ChangeEvent#DELETE}
 * @param commitTimestamp when the change was committed, or {@code null} when the server sent none
 *     (changes with errors carry none)
 * @param newRecord the new row for inserts and updates; an empty object for deletes
 * @param oldRecord the old row for updates and deletes (only the primary key unless the table has
 *     {@code REPLICA IDENTITY FULL}); an empty object for inserts
 * @param errors the server's errors for this change (for example {@code Error 401: Unauthorized});
 *     empty normally
 */
public record PostgresChange(
    String schema,
    String table,
    ChangeEvent type,
    @Nullable Instant commitTimestamp,
    JsonNode newRecord,
    JsonNode oldRecord,
    List<String> errors) {

  /**
   * Checks that the parts are present and copies the error list.
   *
   * @param schema see {@link #schema()}
   * @param table see {@link #table()}
   * @param type see {@link #type()}
   * @param commitTimestamp see {@link #commitTimestamp()}
   * @param newRecord see {@link #newRecord()}
   * @param oldRecord see {@link #oldRecord()}
   * @param errors see {@link #errors()}
   */
  public PostgresChange {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(newRecord, "newRecord");
    Objects.requireNonNull(oldRecord, "oldRecord");
    errors = errors == null ? List.of() : List.copyOf(errors);
  }
}
