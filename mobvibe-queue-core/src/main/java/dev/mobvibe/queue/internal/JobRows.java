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
import java.util.List;
import java.util.UUID;

/** Maps rows selected with {@link JobsSql#JOB_COLUMNS} to {@link Job}. Internal API. */
final class JobRows {
  static final ObjectMapper JSON = new ObjectMapper();

  private JobRows() {}

  static Job map(ResultSet rs) throws SQLException {
    return new Job(
        rs.getObject(1, UUID.class),
        rs.getObject(2, UUID.class),
        rs.getString(3),
        rs.getInt(4),
        JobStatus.fromDb(rs.getString(5)),
        rs.getInt(6),
        rs.getInt(7),
        instant(rs, 8),
        instant(rs, 9),
        instant(rs, 10),
        instant(rs, 11),
        rs.getString(12),
        rs.getString(13),
        rs.getString(14),
        instant(rs, 15),
        errors(rs.getString(16)));
  }

  static Instant instant(ResultSet rs, int column) throws SQLException {
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
