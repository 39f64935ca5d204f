package dev.mobvibe.queue;

import java.util.Locale;

/**
 * The states of a job, stored as lower-case text in {@code coding_jobs.status}.
 *
 * <pre>
 * pending --claim--> processing --success--> completed
 *    ^                  |--failure, attempts left--> pending (after backoff)
 *    |                  |--failure, none left or permanent--> failed (dead letter)
 *    +--lease expired---+
 * pending/processing --cancel--> cancelled        failed --replay--> pending
 * </pre>
 */
public enum JobStatus {
  /** Waiting to be claimed, possibly not before its {@code runAt}. */
  PENDING,
  /** Claimed by a worker that holds its lease. */
  PROCESSING,
  /** Finished successfully. Terminal. */
  COMPLETED,
  /** Out of attempts or failed permanently: the dead-letter state. Can be replayed. */
  FAILED,
  /** Cancelled before it completed. Terminal. */
  CANCELLED;

  /**
   * Returns the value stored in the database.
   *
   * @return the lower-case name
   */
  public String dbValue() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * Parses a value stored in the database.
   *
   * @param value the lower-case name
   * @return the status
   * @throws IllegalArgumentException for an unknown value
   */
  public static JobStatus fromDb(String value) {
    return switch (value) {
      case "pending" -> PENDING;
      case "processing" -> PROCESSING;
      case "completed" -> COMPLETED;
      case "failed" -> FAILED;
      case "cancelled" -> CANCELLED;
      default -> throw new IllegalArgumentException("unknown job status: " + value);
    };
  }
}
