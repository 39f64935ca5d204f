package dev.mobvibe.queue.realtime.internal;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * Typed payloads of the server events this client acts on, read with Jackson (snake_case fields,
 * unknown fields ignored).
 */
final class Payloads {
  private Payloads() {}

  /**
   * {@code phx_reply}: {@code {"status":"ok"|"error","response":{...}}}.
   *
   * @param status ok or error
   * @param response the response object
   */
  record Reply(String status, JsonNode response) {
    boolean ok() {
      return "ok".equals(status);
    }
  }

  /**
   * The response of a successful join: each requested binding echoed with its server id.
   *
   * @param postgresChanges the bindings, in request order
   */
  record JoinResponse(List<ServerBinding> postgresChanges) {}

  /**
   * A binding as the server echoes it.
   *
   * @param event INSERT, UPDATE, DELETE or *
   * @param schema the schema, or null
   * @param table the table, or null
   * @param filter the filter, or null
   * @param id the id that {@code postgres_changes} frames carry in {@code ids}
   */
  record ServerBinding(String event, String schema, String table, String filter, Long id) {}

  /**
   * An error reply: {@code {"reason":"..."}}.
   *
   * @param reason the server's text
   */
  record ErrorResponse(String reason) {}

  /**
   * {@code system}: {@code {"message","status","extension","channel"}}.
   *
   * @param message the server's text
   * @param status ok or error
   * @param extension postgres_changes or system
   * @param channel the channel name without the realtime: prefix
   */
  record SystemMessage(String message, String status, String extension, String channel) {}

  /**
   * {@code postgres_changes}: {@code {"ids":[...],"data":{...}}}.
   *
   * @param ids the server ids of the bindings this change matched
   * @param data the change
   */
  record ChangesMessage(List<Long> ids, ChangeData data) {}

  /**
   * The change itself.
   *
   * @param schema the schema
   * @param table the table
   * @param type INSERT, UPDATE or DELETE
   * @param commitTimestamp ISO-8601 UTC with milliseconds, or null
   * @param record the new row, absent for deletes
   * @param oldRecord the old row, absent for inserts
   * @param errors null or the server's error strings
   */
  record ChangeData(
      String schema,
      String table,
      String type,
      String commitTimestamp,
      JsonNode record,
      JsonNode oldRecord,
      List<String> errors) {}
}
