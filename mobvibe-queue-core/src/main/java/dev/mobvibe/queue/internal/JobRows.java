package dev.mobvibe.queue.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mobvibe.queue.Job;
import dev.mobvibe.queue.JobError;
import dev.mobvibe.queue.JobStatus;
import java.io.IOException;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Maps rows selected with {@link JobsSql#JOB_COLUMNS} to {@link Job}, reading each column by its
 * label, so a statement may return more columns, or these in another order. Internal API.
 */
final class JobRows {
  static final ObjectMapper JSON = new ObjectMapper();

  private JobRows() {}

  static Job map(ResultSet rs) throws SQLException {
    return new Job(
        rs.getObject("id", UUID.class),
        rs.getString("kind"),
        rs.getObject("session_id", UUID.class),
        rs.getString("prompt"),
        rs.getInt("priority"),
        JobStatus.fromDb(rs.getString("status")),
        rs.getInt("retry_count"),
        rs.getInt("max_retries"),
        instant(rs, "run_at"),
        instant(rs, "created_at"),
        instant(rs, "started_at"),
        instant(rs, "completed_at"),
        rs.getString("error_message"),
        rs.getString("idempotency_key"),
        rs.getString("lease_owner"),
        instant(rs, "lease_expires_at"),
        errors(rs.getString("errors")),
        rs.getString("args"),
        metadata(rs.getString("metadata")),
        rs.getString("output"),
        rs.getInt("snoozes"),
        rs.getString("concurrency_key"));
  }

  static Map<String, String> metadata(String json) {
    if (json == null || json.equals("{}")) {
      return Map.of();
    }
    try {
      JsonNode object = JSON.readTree(json);
      Map<String, String> metadata = new LinkedHashMap<>();
      for (Map.Entry<String, JsonNode> e : object.properties()) {
        JsonNode v = e.getValue();
        metadata.put(e.getKey(), v.isTextual() ? v.asText() : v.toString());
      }
      return metadata;
    } catch (IOException | RuntimeException e) {
      // Metadata is informative; a row edited by hand must not make the job unreadable.
      return Map.of();
    }
  }

  static Instant instant(ResultSet rs, String column) throws SQLException {
    OffsetDateTime t = rs.getObject(column, OffsetDateTime.class);
    return t == null ? null : t.toInstant();
  }

  static List<JobError> errors(String json) {
    if (json == null || json.equals("[]")) {
      return List.of();
    }
    try {
      JsonNode array = JSON.readTree(json);
      List<JobError> errors = new ArrayList<>(array.size());
      for (JsonNode e : array) {
        JsonNode at = e.get("at");
        JsonNode worker = e.get("worker");
        errors.add(
            new JobError(
                e.path("attempt").asInt(),
                e.path("error").asText(),
                at == null || at.isNull() ? null : OffsetDateTime.parse(at.asText()).toInstant(),
                worker == null || worker.isNull() ? null : worker.asText()));
      }
      return errors;
    } catch (IOException | RuntimeException e) {
      // The history is informative; a row edited by hand must not make the job unreadable.
      return List.of(new JobError(0, "unreadable error history: " + e.getMessage(), null, null));
    }
  }
}
