package dev.mobvibe.queue;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mobvibe.queue.internal.JsonMappers;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * A snapshot of one row of {@code coding_jobs}. Immutable; it does not change when the row does.
 *
 * @param id the job id
 * @param kind the job's kind ({@link NewJob#CODING_SESSION_KIND} for the seed's prompt jobs)
 * @param sessionId the coding session the job belongs to, or {@code null} for other kinds
 * @param prompt the prompt to run, or {@code null} for other kinds
 * @param priority the priority (see {@link PlanTier}); higher runs first
 * @param status the status when the snapshot was taken
 * @param retryCount failed attempts so far (the seed's {@code retry_count})
 * @param maxAttempts the most times the job may run (the seed's {@code max_retries})
 * @param runAt the earliest time the job may be claimed
 * @param createdAt when the job was enqueued
 * @param startedAt when the current or last attempt was claimed, or {@code null}
 * @param completedAt when the job reached a terminal state, or {@code null}
 * @param errorMessage the last error, or {@code null}
 * @param idempotencyKey the key the job was enqueued with, or {@code null}
 * @param leaseOwner the worker that holds the job while it is processing, or {@code null}
 * @param leaseExpiresAt when that worker's hold lapses, or {@code null}
 * @param errors one entry per failed attempt, oldest first
 * @param argsJson the job's arguments as a JSON object ({@code {}} for coding sessions); {@link
 *     #args(Class)} decodes them
 * @param metadata what interceptors carried with the job (for example a {@code traceparent})
 * @param outputJson the JSON result the handler recorded with its success ({@link
 *     JobContext#recordOutput}), or {@code null}; {@link #output(Class)} decodes it
 * @param snoozes how many times a handler snoozed the job ({@link SnoozeJobException})
 * @param concurrencyKey the key whose jobs run one at a time, in enqueue order, or {@code null} for
 *     none ({@link NewJob.Builder#concurrencyKey}); a coding session's is its session id
 */
public record Job(
    UUID id,
    String kind,
    @Nullable UUID sessionId,
    @Nullable String prompt,
    int priority,
    JobStatus status,
    int retryCount,
    int maxAttempts,
    Instant runAt,
    Instant createdAt,
    @Nullable Instant startedAt,
    @Nullable Instant completedAt,
    @Nullable String errorMessage,
    @Nullable String idempotencyKey,
    @Nullable String leaseOwner,
    @Nullable Instant leaseExpiresAt,
    List<JobError> errors,
    String argsJson,
    Map<String, String> metadata,
    @Nullable String outputJson,
    int snoozes,
    @Nullable String concurrencyKey) {

  /**
   * Checks the required components and copies the error list and metadata.
   *
   * @param id see {@link #id()}
   * @param kind see {@link #kind()}
   * @param sessionId see {@link #sessionId()}
   * @param prompt see {@link #prompt()}
   * @param priority see {@link #priority()}
   * @param status see {@link #status()}
   * @param retryCount see {@link #retryCount()}
   * @param maxAttempts see {@link #maxAttempts()}
   * @param runAt see {@link #runAt()}
   * @param createdAt see {@link #createdAt()}
   * @param startedAt see {@link #startedAt()}
   * @param completedAt see {@link #completedAt()}
   * @param errorMessage see {@link #errorMessage()}
   * @param idempotencyKey see {@link #idempotencyKey()}
   * @param leaseOwner see {@link #leaseOwner()}
   * @param leaseExpiresAt see {@link #leaseExpiresAt()}
   * @param errors see {@link #errors()}
   * @param argsJson see {@link #argsJson()}
   * @param metadata see {@link #metadata()}
   * @param outputJson see {@link #outputJson()}
   * @param snoozes see {@link #snoozes()}
   * @param concurrencyKey see {@link #concurrencyKey()}
   */
  public Job {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(status, "status");
    errors = List.copyOf(errors);
    argsJson = argsJson == null ? "{}" : argsJson;
    // Keeps the order read (jsonb sorts keys), so the map iterates the same way in every run.
    metadata =
        metadata == null || metadata.isEmpty()
            ? Map.of()
            : Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
  }

  /**
   * Decodes the job's arguments into a type, with the SDK's default mapper (Jackson with the {@code
   * java.time} module). A typed handler ({@link ArgsHandler}) gets its arguments decoded with the
   * queue's own mapper instead; when that mapper is customized, decode with it ({@link
   * JobQueue#objectMapper()}): {@link #args(ObjectMapper, Class)}.
   *
   * @param <A> the type
   * @param type the class to decode into, usually the {@link JobArgs} record the job was enqueued
   *     with
   * @return the arguments
   * @throws IllegalArgumentException if the JSON does not fit the type, naming the job and kind
   */
  public <A> A args(Class<A> type) {
    return args(JsonMappers.standard(), type);
  }

  /**
   * Decodes the job's arguments into a type with the given mapper.
   *
   * @param <A> the type
   * @param mapper the mapper, for example the one given to {@link JobQueue.Builder#objectMapper}
   * @param type the class to decode into
   * @return the arguments
   * @throws IllegalArgumentException if the JSON does not fit the type, naming the job and kind
   */
  public <A> A args(ObjectMapper mapper, Class<A> type) {
    Objects.requireNonNull(mapper, "mapper must not be null");
    Objects.requireNonNull(type, "type must not be null");
    return decode(mapper, "arguments", argsJson, type);
  }

  /**
   * Decodes the output the handler recorded with its success ({@link JobContext#recordOutput}) into
   * a type, with the SDK's default mapper (Jackson with the {@code java.time} module). When the
   * queue's mapper is customized, decode with it: {@link #output(ObjectMapper, Class)}.
   *
   * @param <A> the type
   * @param type the class to decode into
   * @return the output, or {@code null} when the job has none (not completed, or its handler
   *     recorded nothing)
   * @throws IllegalArgumentException if the JSON does not fit the type, naming the job and kind
   */
  public <A> @Nullable A output(Class<A> type) {
    return output(JsonMappers.standard(), type);
  }

  /**
   * Decodes the output the handler recorded with its success into a type with the given mapper.
   *
   * @param <A> the type
   * @param mapper the mapper, for example the one given to {@link JobQueue.Builder#objectMapper}
   * @param type the class to decode into
   * @return the output, or {@code null} when the job has none
   * @throws IllegalArgumentException if the JSON does not fit the type, naming the job and kind
   */
  public <A> @Nullable A output(ObjectMapper mapper, Class<A> type) {
    Objects.requireNonNull(mapper, "mapper must not be null");
    Objects.requireNonNull(type, "type must not be null");
    return outputJson == null ? null : decode(mapper, "output", outputJson, type);
  }

  private <A> A decode(ObjectMapper mapper, String what, String json, Class<A> type) {
    try {
      return mapper.readValue(json, type);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(
          "cannot decode the "
              + what
              + " of job "
              + id
              + " (kind "
              + kind
              + ") as "
              + type.getName()
              + ": "
              + e.getOriginalMessage(),
          e);
    }
  }

  /**
   * Tells whether this is a coding session's prompt job (the seed's kind).
   *
   * @return {@code true} for kind {@link NewJob#CODING_SESSION_KIND}
   */
  public boolean isCodingSession() {
    return NewJob.CODING_SESSION_KIND.equals(kind);
  }

  /**
   * Returns the 1-based number of the attempt this job is on: the failed attempts so far plus one.
   *
   * @return the attempt number
   */
  public int attempt() {
    return retryCount + 1;
  }

  /**
   * Returns the plan tier of the job's priority.
   *
   * @return the tier
   */
  public PlanTier tier() {
    return PlanTier.ofPriority(priority);
  }
}
