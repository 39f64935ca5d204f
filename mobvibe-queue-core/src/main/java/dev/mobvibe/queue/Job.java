package dev.mobvibe.queue;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * A snapshot of one row of {@code coding_jobs}. Immutable; it does not change when the row does.
 *
 * @param id the job id
 * @param sessionId the coding session the job belongs to
 * @param prompt the prompt to run
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
 */
public record Job(
    UUID id,
    UUID sessionId,
    String prompt,
    int priority,
    JobStatus status,
    int retryCount,
    int maxAttempts,
    Instant runAt,
    Instant createdAt,
    Instant startedAt,
    Instant completedAt,
    String errorMessage,
    String idempotencyKey,
    String leaseOwner,
    Instant leaseExpiresAt,
    List<JobError> errors) {

  /** Checks the required components and copies the error list. */
  public Job {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(sessionId, "sessionId");
    Objects.requireNonNull(status, "status");
    errors = List.copyOf(errors);
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
