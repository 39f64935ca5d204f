package dev.mobvibe.queue.realtime;

import dev.mobvibe.queue.JobStatus;
import java.time.Instant;
import java.util.Objects;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * A job's status changed: one {@code job_status_changed} notification of the queue's schema, for
 * example to push job progress to a UI. See {@link PgNotifier#subscribeToStatusChanges}.
 *
 * @param jobId the job
 * @param sessionId its session
 * @param oldStatus the status before the change
 * @param newStatus the status after it
 * @param updatedAt when the row was updated, or {@code null} if the payload held no readable time
 */
public record JobStatusChange(
    UUID jobId,
    @Nullable UUID sessionId,
    JobStatus oldStatus,
    JobStatus newStatus,
    @Nullable Instant updatedAt) {

  /**
   * Checks that the job and the statuses are present.
   *
   * @param jobId see {@link #jobId()}
   * @param sessionId see {@link #sessionId()}
   * @param oldStatus see {@link #oldStatus()}
   * @param newStatus see {@link #newStatus()}
   * @param updatedAt see {@link #updatedAt()}
   */
  public JobStatusChange {
    Objects.requireNonNull(jobId, "jobId");
    Objects.requireNonNull(oldStatus, "oldStatus");
    Objects.requireNonNull(newStatus, "newStatus");
  }
}
