package dev.mobvibe.queue.internal.engine;

import dev.mobvibe.queue.NewJob;
import dev.mobvibe.queue.internal.ScheduleStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Enqueues recurring jobs: one job per tick of each schedule, however many workers run the same
 * schedules, without a leader. A tick is taken in one transaction that first moves the schedule's
 * row to the tick ({@code last_tick < tick}, which locks the row), then enqueues the job on the
 * same connection and commits: workers taking the same tick queue on the row lock, and once the
 * first commits the others update nothing and enqueue nothing.
 *
 * <p>Catch-up: at each evaluation a schedule's due tick is its latest tick at or before now. After
 * downtime only that one, the most recent missed tick, is enqueued; earlier missed ticks are not. A
 * schedule registered for the first time starts at its registration: ticks before it are not
 * enqueued. A tick at or before the newest recorded one is never enqueued again.
 *
 * <p>Time: wall-clock ticks come from the injected {@link Clock}; {@link #runOnce(Instant)} does
 * one evaluation at a given time, so tests drive it without a thread. The thread sleeps until the
 * earliest next tick (at most {@link #MAX_SLEEP}, so a clock that jumps is noticed), never in a
 * busy loop. Internal API.
 */
final class Scheduler {
  private static final Logger log = LoggerFactory.getLogger(Scheduler.class);

  /** The longest the thread sleeps between evaluations. */
  static final Duration MAX_SLEEP = Duration.ofMinutes(1);

  /** The metadata key of a scheduled job that holds its schedule's name. */
  public static final String METADATA_SCHEDULE = "schedule";

  /** The metadata key of a scheduled job that holds its tick, an ISO-8601 instant. */
  public static final String METADATA_TICK = "schedule_tick";

  /** How long the thread waits after a failure before it tries again. */
  static final Duration ERROR_PAUSE = Duration.ofSeconds(5);

  private final String workerId;
  private final List<Housekeeping.Recurring> entries;
  private final ScheduleStore store;
  private final Housekeeping.Enqueuer enqueuer;
  private final Clock clock;
  // Newest tick known to be taken, per schedule; null before the first. Scheduler thread only.
  private final Map<String, Instant> known = new HashMap<>();
  private Instant registeredAt;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition wake = lock.newCondition();
  private volatile boolean stopping;
  private Thread thread;

  /**
   * Creates a scheduler; nothing runs until {@link #start()}.
   *
   * @param workerId recorded as who registered or ticked a schedule
   * @param entries the schedules, with unique names and valid schedules
   * @param store the schedules table
   * @param enqueuer enqueues on the tick's connection
   * @param clock wall-clock time
   */
  Scheduler(
      String workerId,
      List<Housekeeping.Recurring> entries,
      ScheduleStore store,
      Housekeeping.Enqueuer enqueuer,
      Clock clock) {
    this.workerId = workerId;
    this.entries = List.copyOf(entries);
    this.store = store;
    this.enqueuer = enqueuer;
    this.clock = clock;
  }

  /** Starts the thread {@code mobvibe-scheduler-<workerId>}. */
  void start() {
    thread = new Thread(this::loop, "mobvibe-scheduler-" + workerId);
    thread.setDaemon(true);
    thread.start();
  }

  /**
   * Stops the thread and waits for it up to {@code millis}; a tick in flight commits or rolls back
   * whole.
   *
   * @param millis how long to wait
   */
  void stop(long millis) {
    stopping = true;
    lock.lock();
    try {
      wake.signalAll();
    } finally {
      lock.unlock();
    }
    if (thread != null) {
      try {
        thread.join(Math.max(1, millis));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /**
   * Registers every schedule (inserts or updates its row) and learns its newest recorded tick.
   *
   * @param now the registration time: ticks before it are not enqueued for a new schedule
   */
  void register(Instant now) {
    for (Housekeeping.Recurring e : entries) {
      Instant next = e.schedule().next(now).orElse(null);
      Instant last =
          store.register(
              e.name(),
              e.kind(),
              e.schedule().expression(),
              e.schedule().zone().getId(),
              next,
              workerId);
      known.put(e.name(), last);
    }
    registeredAt = now;
  }

  /**
   * Evaluates every schedule at {@code now}: takes each due tick that is newer than the newest one
   * known, enqueuing its job.
   *
   * @param now the time
   * @return the earliest next tick of all schedules, or {@code null} when none will tick again
   * @throws RuntimeException when the database or a job factory fails; ticks taken before it are
   *     committed
   */
  Instant runOnce(Instant now) {
    Instant earliest = null;
    RuntimeException failure = null;
    for (Housekeeping.Recurring e : entries) {
      try {
        tickIfDue(e, now);
      } catch (RuntimeException ex) {
        failure = failure == null ? ex : failure;
        log.warn("worker {}: schedule {} did not tick: {}", workerId, e.name(), ex.toString());
      }
      Optional<Instant> next = e.schedule().next(now);
      if (next.isPresent() && (earliest == null || next.get().isBefore(earliest))) {
        earliest = next.get();
      }
    }
    if (failure != null) {
      throw failure;
    }
    return earliest;
  }

  private void tickIfDue(Housekeeping.Recurring e, Instant now) {
    Optional<Instant> due = e.schedule().latest(now);
    if (due.isEmpty()) {
      return;
    }
    Instant tick = due.get();
    Instant last = known.get(e.name());
    if (last == null ? tick.isBefore(registeredAt) : !tick.isAfter(last)) {
      return;
    }
    Instant next = e.schedule().next(tick).orElse(null);
    UUID jobId =
        store
            .jdbc()
            .inTransaction(
                "tick schedule " + e.name(),
                c -> {
                  if (!store.takeTick(c, e.name(), tick, next, workerId)) {
                    return null;
                  }
                  NewJob job = e.job().get();
                  if (job == null) {
                    throw new IllegalStateException(
                        "the job factory of schedule " + e.name() + " returned null");
                  }
                  UUID id =
                      enqueuer.enqueue(
                          c,
                          job.withMetadata(METADATA_SCHEDULE, e.name())
                              .withMetadata(METADATA_TICK, tick.toString()));
                  store.setLastJob(c, e.name(), id);
                  return id;
                });
    known.put(e.name(), tick);
    if (jobId != null) {
      log.debug("worker {}: schedule {} enqueued job {} for {}", workerId, e.name(), jobId, tick);
    }
  }

  private void loop() {
    while (!stopping) {
      try {
        register(clock.instant());
        break;
      } catch (RuntimeException e) {
        log.warn("worker {}: cannot register schedules, retrying: {}", workerId, e.toString());
        sleep(ERROR_PAUSE);
      }
    }
    while (!stopping) {
      Duration wait;
      try {
        Instant next = runOnce(clock.instant());
        // One millisecond past the tick, so the next evaluation is not a moment too early.
        wait = next == null ? MAX_SLEEP : Duration.between(clock.instant(), next).plusMillis(1);
      } catch (RuntimeException e) {
        wait = ERROR_PAUSE;
      }
      sleep(wait.compareTo(MAX_SLEEP) > 0 ? MAX_SLEEP : wait);
    }
  }

  /** Sleeps until woken by {@link #stop}, or for {@code d}. */
  private void sleep(Duration d) {
    if (d.isNegative() || d.isZero()) {
      return;
    }
    lock.lock();
    try {
      long nanos = d.toNanos();
      while (!stopping && nanos > 0) {
        nanos = wake.awaitNanos(nanos);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      stopping = true;
    } finally {
      lock.unlock();
    }
  }
}
