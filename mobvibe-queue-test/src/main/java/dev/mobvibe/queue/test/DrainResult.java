package dev.mobvibe.queue.test;

import dev.mobvibe.queue.Job;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What one {@link JobDrainer#drain()} or {@link JobDrainer#drainAll()} did: every attempt it ran,
 * in order, with its outcome. Immutable.
 *
 * <pre>{@code
 * DrainResult result = drainer.drainAll();
 * assertEquals(1, result.completed());
 * assertEquals(2, result.retried());
 * }</pre>
 *
 * @param attempts the attempts, in the order they ran
 */
public record DrainResult(List<Attempt> attempts) {

  /**
   * Copies the list.
   *
   * @param attempts see {@link #attempts()}
   */
  public DrainResult {
    attempts = List.copyOf(attempts);
  }

  /** How an attempt ended. */
  public enum Outcome {
    /** The handler returned: the job is completed. */
    COMPLETED,
    /** The handler threw and attempts remain: the job is pending again, due after its backoff. */
    RETRIED,
    /**
     * The job went to the dead letter ({@code failed}): out of attempts, a {@link
     * dev.mobvibe.queue.PermanentJobFailureException}, or arguments that did not decode.
     */
    DEAD_LETTERED,
    /** The handler threw {@link dev.mobvibe.queue.SnoozeJobException}: pending again, due later. */
    SNOOZED
  }

  /**
   * One session event a handler emitted ({@link dev.mobvibe.queue.JobContext#emitEvent}).
   *
   * @param type the event type
   * @param dataJson the event data as JSON, as written to {@code session_events}
   */
  public record Event(String type, String dataJson) {}

  /**
   * One attempt of one job.
   *
   * @param job the job as it was read after the attempt was recorded (its status, retry count, run
   *     at, error and output)
   * @param attempt the 1-based number of the attempt
   * @param outcome how it ended
   * @param error what the handler threw, or {@code null} when it completed
   * @param events the session events the handler emitted in this attempt, in order
   */
  public record Attempt(
      Job job, int attempt, Outcome outcome, @Nullable Throwable error, List<Event> events) {

    /**
     * Checks the required components and copies the events.
     *
     * @param job see {@link #job()}
     * @param attempt see {@link #attempt()}
     * @param outcome see {@link #outcome()}
     * @param error see {@link #error()}
     * @param events see {@link #events()}
     */
    public Attempt {
      Objects.requireNonNull(job, "job");
      Objects.requireNonNull(outcome, "outcome");
      events = List.copyOf(events);
    }
  }

  /**
   * Returns how many attempts completed their job.
   *
   * @return the count
   */
  public int completed() {
    return count(Outcome.COMPLETED);
  }

  /**
   * Returns how many attempts failed with attempts left, so their job will run again.
   *
   * @return the count
   */
  public int retried() {
    return count(Outcome.RETRIED);
  }

  /**
   * Returns how many attempts sent their job to the dead letter.
   *
   * @return the count
   */
  public int deadLettered() {
    return count(Outcome.DEAD_LETTERED);
  }

  /**
   * Returns how many attempts snoozed their job.
   *
   * @return the count
   */
  public int snoozed() {
    return count(Outcome.SNOOZED);
  }

  /**
   * Returns the jobs as read after the attempts that ended this way, in order.
   *
   * @param outcome the outcome
   * @return the jobs, possibly none
   */
  public List<Job> jobs(Outcome outcome) {
    Objects.requireNonNull(outcome, "outcome must not be null");
    return attempts.stream().filter(a -> a.outcome() == outcome).map(Attempt::job).toList();
  }

  /**
   * Returns the completed jobs, with their output, in the order they completed.
   *
   * @return the jobs
   */
  public List<Job> completedJobs() {
    return jobs(Outcome.COMPLETED);
  }

  /**
   * Returns the dead-lettered jobs, with their error history, in order.
   *
   * @return the jobs
   */
  public List<Job> deadLetteredJobs() {
    return jobs(Outcome.DEAD_LETTERED);
  }

  /**
   * Returns every session event the handlers emitted, in order.
   *
   * @return the events
   */
  public List<Event> events() {
    return attempts.stream().flatMap(a -> a.events().stream()).toList();
  }

  private int count(Outcome outcome) {
    return (int) attempts.stream().filter(a -> a.outcome() == outcome).count();
  }
}
