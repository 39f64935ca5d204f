package dev.mobvibe.queue;

import java.time.Instant;
import java.util.Objects;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * A recurring job as the workers registered it in the schedules table, read by {@link
 * JobQueue#schedules()}. Immutable.
 *
 * @param name the schedule's name, unique in the queue
 * @param kind the kind of the jobs it enqueues
 * @param expression the cron expression, or {@code @every} and an ISO-8601 interval
 * @param timeZone the zone the cron fields are read in ({@code UTC} for intervals)
 * @param lastTick the newest tick a job was enqueued for, or {@code null} before the first
 * @param lastJobId the job enqueued for {@code lastTick}, or {@code null}
 * @param nextTick the next tick as the last worker to register or tick computed it, or {@code null}
 * @param updatedBy the worker id that last registered or ticked it
 * @param updatedAt when the row last changed
 */
public record RegisteredSchedule(
    String name,
    String kind,
    String expression,
    String timeZone,
    @Nullable Instant lastTick,
    @Nullable UUID lastJobId,
    @Nullable Instant nextTick,
    @Nullable String updatedBy,
    Instant updatedAt) {

  /**
   * Checks the components that are never null.
   *
   * @param name see {@link #name()}
   * @param kind see {@link #kind()}
   * @param expression see {@link #expression()}
   * @param timeZone see {@link #timeZone()}
   * @param lastTick see {@link #lastTick()}
   * @param lastJobId see {@link #lastJobId()}
   * @param nextTick see {@link #nextTick()}
   * @param updatedBy see {@link #updatedBy()}
   * @param updatedAt see {@link #updatedAt()}
   */
  public RegisteredSchedule {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(expression, "expression");
    Objects.requireNonNull(timeZone, "timeZone");
  }
}
