package dev.mobvibe.queue;

/** Why a running job's {@link JobContext} was cancelled. */
public enum CancellationReason {
  /** The processor is stopping and its shutdown timeout ran out. */
  SHUTDOWN,
  /** Someone called {@link JobQueue#cancelJob}. */
  JOB_CANCELLED,
  /** The job ran longer than the processor's job timeout; the attempt is recorded as failed. */
  TIMEOUT,
  /**
   * The processor lost the job's lease: it was taken back after it expired, or the processor could
   * not renew it for the lease plus the reap grace (the database was unreachable, or the handler
   * went silent past its heartbeat timeout), after which another worker may reap and run it.
   */
  LEASE_LOST
}
