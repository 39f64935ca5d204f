package dev.mobvibe.queue;

import java.time.Duration;

/**
 * Observes what a {@link JobProcessor} does with each job, for metrics and logs. Every method has a
 * no-op default, so implement only what you need. Methods are called on the processor's threads and
 * must return quickly; an exception thrown by a listener is logged and ignored.
 */
public interface JobListener {

  /**
   * A handler started an attempt.
   *
   * @param job the job
   * @param sinceClaim time from the claim to the handler's start
   */
  default void onJobStarted(Job job, Duration sinceClaim) {}

  /**
   * An attempt succeeded and the job was recorded completed.
   *
   * @param job the job
   * @param runTime how long the handler ran
   */
  default void onJobSucceeded(Job job, Duration runTime) {}

  /**
   * An attempt failed and the job will run again after its backoff.
   *
   * @param job the job
   * @param error what the handler threw (or a timeout)
   * @param runTime how long the handler ran
   */
  default void onJobRetried(Job job, Throwable error, Duration runTime) {}

  /**
   * An attempt failed and the job went to the dead letter; its session failed.
   *
   * @param job the job
   * @param error what the handler threw (or a timeout)
   * @param runTime how long the handler ran
   */
  default void onJobDeadLettered(Job job, Throwable error, Duration runTime) {}

  /**
   * A handler snoozed the job ({@link SnoozeJobException}) and it was recorded back to pending, due
   * after the delay, without spending an attempt. A snooze beyond {@link
   * JobProcessorBuilder#maxSnoozes(int)} is a failed attempt instead, heard as {@link
   * #onJobRetried} or {@link #onJobDeadLettered}.
   *
   * @param job the job, as claimed (its {@link Job#snoozes()} does not count this snooze)
   * @param delay how long until the job is due again
   */
  default void onJobSnoozed(Job job, Duration delay) {}

  /**
   * The outcome of an attempt could not be recorded because this worker no longer held the job: its
   * lease expired and was reaped, or the job was cancelled. The attempt's result is dropped.
   *
   * @param job the job
   * @param reason why it was lost
   */
  default void onJobLost(Job job, String reason) {}

  /**
   * Jobs were claimed.
   *
   * @param count how many jobs one claim returned (0 when the queue had none due)
   */
  default void onClaim(int count) {}

  /**
   * The reaper returned jobs whose lease had expired.
   *
   * @param count how many
   */
  default void onJobsReaped(int count) {}
}
