package dev.mobvibe.queue;

/** Why a running job's {@link JobContext} was cancelled. */
public enum CancellationReason {
  /** The processor is stopping and its shutdown timeout ran out. */
  SHUTDOWN,
  /** Someone called {@link JobQueue#cancelJob}. */
  JOB_CANCELLED,
  /** The job ran longer than the processor's job timeout; the attempt is recorded as failed. */
  TIMEOUT,
  /** The processor lost the job's lease (it expired and was reaped); another worker may run it. */
  LEASE_LOST
}
