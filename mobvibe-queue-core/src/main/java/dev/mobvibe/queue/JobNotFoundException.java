package dev.mobvibe.queue;

import java.util.UUID;

/** Thrown when a job id names no row in {@code coding_jobs}. Nothing was written. */
public final class JobNotFoundException extends QueueException {
  private static final long serialVersionUID = 1L;

  /** The id that was not found. */
  private final UUID jobId;

  /**
   * Creates the exception.
   *
   * @param jobId the id that was not found
   */
  public JobNotFoundException(UUID jobId) {
    super("job " + jobId + " does not exist");
    this.jobId = jobId;
  }

  /**
   * Returns the id that was not found.
   *
   * @return the unknown job id
   */
  public UUID jobId() {
    return jobId;
  }
}
