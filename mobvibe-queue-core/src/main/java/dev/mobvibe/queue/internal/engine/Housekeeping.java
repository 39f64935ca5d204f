package dev.mobvibe.queue.internal.engine;

import dev.mobvibe.queue.NewJob;
import dev.mobvibe.queue.Schedule;
import dev.mobvibe.queue.internal.JobStore;
import dev.mobvibe.queue.internal.ScheduleStore;
import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * The processor's work beside running jobs: the {@link Scheduler} of recurring jobs and the {@link
 * Retention} pruner, each optional, each on a thread of its own. Internal API: {@code JobProcessor}
 * starts it after the engine and stops it before the engine, so no recurring job is enqueued and no
 * row deleted once a stop has begun.
 */
public final class Housekeeping {

  /**
   * One registered schedule.
   *
   * @param name its unique name
   * @param schedule when it ticks; valid
   * @param job makes the job of each tick
   * @param kind the kind of the jobs it makes
   */
  public record Recurring(String name, Schedule schedule, Supplier<NewJob> job, String kind) {}

  /** Enqueues a job on the caller's connection, without committing. */
  @FunctionalInterface
  public interface Enqueuer {
    /**
     * Enqueues.
     *
     * @param c the connection, in a transaction
     * @param job the job
     * @return the job's id
     */
    UUID enqueue(Connection c, NewJob job);
  }

  private final Scheduler scheduler;
  private final Retention retention;

  /**
   * Wires the parts; nothing runs until {@link #start()}.
   *
   * @param workerId names the threads, and is recorded as who registered or ticked a schedule
   * @param schedules the schedules, with unique names and valid expressions; none for no scheduler
   * @param schedulesTable the schedules table
   * @param enqueuer enqueues a tick's job on the tick's connection
   * @param clock the wall clock of ticks
   * @param jobs where retention deletes
   * @param finishedAge how long completed and cancelled jobs are kept, or {@code null} for ever
   * @param deadLetterAge how long failed jobs are kept, or {@code null} for ever
   */
  public Housekeeping(
      String workerId,
      List<Recurring> schedules,
      ScheduleStore schedulesTable,
      Enqueuer enqueuer,
      Clock clock,
      JobStore jobs,
      Duration finishedAge,
      Duration deadLetterAge) {
    this.scheduler =
        schedules.isEmpty()
            ? null
            : new Scheduler(workerId, schedules, schedulesTable, enqueuer, clock);
    this.retention =
        finishedAge == null && deadLetterAge == null
            ? null
            : new Retention(workerId, jobs, finishedAge, deadLetterAge);
  }

  /** Starts the parts there are. */
  public void start() {
    if (scheduler != null) {
      scheduler.start();
    }
    if (retention != null) {
      retention.start();
    }
  }

  /** Stops the scheduler, then the pruner, waiting a few seconds at most for each. */
  public void stop() {
    if (scheduler != null) {
      scheduler.stop(5_000);
    }
    if (retention != null) {
      retention.stop(5_000);
    }
  }
}
