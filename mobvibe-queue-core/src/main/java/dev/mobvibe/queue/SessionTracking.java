package dev.mobvibe.queue;

/**
 * How much of a job's life a worker writes to the job's row in {@code coding_sessions}. Whatever
 * the setting, a job that goes to the dead letter fails its session with the job's error and
 * appends a {@code state_changed} event for it, as the seed's {@code fail_job()} does.
 *
 * <p>The settings differ in database work per job. Claiming and completing jobs in batches of 500
 * cost the server about a third more with {@link #STATUS} than with {@link #OFF} (two session row
 * updates per job), and more than twice as much with {@link #STATUS_AND_EVENTS} (two more rows,
 * each with two index entries and a foreign-key check).
 */
public enum SessionTracking {
  /**
   * Claims and successes leave sessions alone; only the dead letter fails them. For applications
   * that do not use {@code coding_sessions}.
   */
  OFF,

  /**
   * A claimed job's session becomes {@code active} ({@code started_at} set the first time), and
   * {@code completed} when the job succeeds ({@code completed_at} set); these two transitions
   * append no {@code state_changed} event.
   */
  STATUS,

  /**
   * As {@link #STATUS}, and each transition to {@code active} or {@code completed} also appends a
   * {@code state_changed} event to {@code session_events} with its previous and new status, in the
   * same statement.
   */
  STATUS_AND_EVENTS
}
