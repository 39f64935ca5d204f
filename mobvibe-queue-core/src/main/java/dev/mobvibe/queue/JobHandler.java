package dev.mobvibe.queue;

/**
 * Runs one job: the SPI a service implements to do the work of a coding session.
 *
 * <ul>
 *   <li>Returning normally means success: the job becomes {@code completed} and its session {@code
 *       completed}.
 *   <li>Throwing means failure: the job runs again after the processor's {@link RetryPolicy}
 *       backoff while attempts remain, then goes to the dead letter ({@code failed}) and its
 *       session fails with the error message.
 *   <li>Throwing {@link PermanentJobFailureException} sends the job to the dead letter at once.
 * </ul>
 *
 * <p>A handler is called from several threads at once (up to the processor's concurrency), so it
 * must be thread-safe. Long handlers should watch {@link JobContext#isCancelled()} (set on
 * shutdown, job cancel, job timeout and lost lease) and respond to interrupts.
 */
@FunctionalInterface
public interface JobHandler {

  /**
   * Runs the job.
   *
   * @param job the claimed job; its {@link Job#attempt()} is the current attempt
   * @param context the attempt's context: cancellation, heartbeat, session events
   * @throws Exception any failure; see the class description for what follows
   */
  void handle(Job job, JobContext context) throws Exception;
}
