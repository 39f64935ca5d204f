package dev.mobvibe.queue.realtime.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.mobvibe.queue.JobSignal;
import dev.mobvibe.queue.JobStatus;
import dev.mobvibe.queue.realtime.JobStatusChange;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the payloads of the schema's notify triggers: {@code new_job} {@code {job_id, session_id,
 * priority, created_at}} and {@code job_status_changed} {@code {job_id, session_id, old_status,
 * new_status, updated_at}}.
 */
final class NotificationPayloads {
  private static final Logger log = LoggerFactory.getLogger(NotificationPayloads.class);

  private NotificationPayloads() {}

  /** A signal for a {@code new_job} payload; without ids when the payload is unreadable. */
  static JobSignal newJob(String payload) {
    JsonNode node = tree(payload);
    if (node == null) {
      log.debug("new_job payload is not a JSON object; signalling without ids");
      return JobSignal.of(JobSignal.Source.NOTIFICATION);
    }
    JsonNode priority = node.get("priority");
    return new JobSignal(
        JobSignal.Source.NOTIFICATION,
        uuid(node.get("job_id")),
        uuid(node.get("session_id")),
        priority != null && priority.isInt() ? priority.intValue() : null);
  }

  /** The change in a {@code job_status_changed} payload, or null when it is unreadable. */
  static JobStatusChange statusChange(String payload) {
    JsonNode node = tree(payload);
    if (node == null) {
      log.debug("job_status_changed payload is not a JSON object; dropped");
      return null;
    }
    UUID jobId = uuid(node.get("job_id"));
    JobStatus oldStatus = status(node.get("old_status"));
    JobStatus newStatus = status(node.get("new_status"));
    if (jobId == null || oldStatus == null || newStatus == null) {
      log.debug("job_status_changed payload lacks a job id or a known status; dropped");
      return null;
    }
    return new JobStatusChange(
        jobId, uuid(node.get("session_id")), oldStatus, newStatus, instant(node.get("updated_at")));
  }

  private static JsonNode tree(String payload) {
    if (payload == null || payload.isEmpty()) {
      return null;
    }
    try {
      JsonNode node = Json.MAPPER.readTree(payload);
      return node != null && node.isObject() ? node : null;
    } catch (JsonProcessingException e) {
      return null;
    }
  }

  private static UUID uuid(JsonNode node) {
    if (node == null || !node.isTextual()) {
      return null;
    }
    try {
      return UUID.fromString(node.asText());
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  private static JobStatus status(JsonNode node) {
    if (node == null || !node.isTextual()) {
      return null;
    }
    try {
      return JobStatus.fromDb(node.asText());
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  private static Instant instant(JsonNode node) {
    if (node == null || !node.isTextual()) {
      return null;
    }
    try {
      // PostgreSQL's JSON form of timestamptz: ISO 8601 with the session's offset.
      return OffsetDateTime.parse(node.asText()).toInstant();
    } catch (DateTimeParseException e) {
      return null;
    }
  }
}
