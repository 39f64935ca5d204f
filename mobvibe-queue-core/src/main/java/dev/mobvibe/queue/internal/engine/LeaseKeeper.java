package dev.mobvibe.queue.internal.engine;

import dev.mobvibe.queue.CancellationReason;
import dev.mobvibe.queue.JobStatus;
import dev.mobvibe.queue.internal.JobStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Renews the leases of the jobs this worker holds, every third of the lease, in one fenced
 * statement, on its own thread. A job whose lease this worker no longer holds (cancelled, or
 * expired and taken back) is settled here: its handler is cancelled and interrupted and the attempt
 * is reported lost. With a heartbeat timeout, a started job whose handler stayed silent that long
 * is no longer renewed, so it expires and runs elsewhere; a prefetched job has not started and
 * cannot heartbeat, so its lease is always kept.
 */
final class LeaseKeeper {
  private static final Logger log = LoggerFactory.getLogger(LeaseKeeper.class);

  private final EngineSettings settings;
  private final JobStore store;
  private final Slots slots;
  private final Listeners listeners;
  private final Ticker ticker;
  private ScheduledExecutorService scheduler;

  /**
   * @param settings worker id, lease and heartbeat timeout
   * @param store where leases are renewed
   * @param slots the jobs held
   * @param listeners told of lost attempts
   * @param ticker the engine's time (heartbeats are read on it)
   */
  LeaseKeeper(
      EngineSettings settings, JobStore store, Slots slots, Listeners listeners, Ticker ticker) {
    this.settings = settings;
    this.store = store;
    this.slots = slots;
    this.listeners = listeners;
    this.ticker = ticker;
  }

  /** Starts renewing every third of the lease. */
  void start() {
    scheduler = Engine.singleThread("mobvibe-lease-keeper-" + settings.workerId());
    schedule(renewEveryMillis());
  }

  private long renewEveryMillis() {
    return Math.max(10, settings.leaseDuration().toMillis() / 3);
  }

  private void schedule(long millis) {
    try {
      scheduler.schedule(
          () -> schedule(renew() ? renewEveryMillis() : retryMillis()),
          millis,
          TimeUnit.MILLISECONDS);
    } catch (RuntimeException e) {
      // stopped
    }
  }

  /**
   * After a failed round, try again soon (a tenth of the lease, at most a second): once the
   * database answers again, leases that ran out while it did not are renewed before another worker
   * may reap them.
   */
  private long retryMillis() {
    return Math.max(10, Math.min(1_000, settings.leaseDuration().toMillis() / 10));
  }

  /** Stops renewing; leases of jobs still held then run out by themselves. */
  void stop() {
    if (scheduler != null) {
      scheduler.shutdownNow();
    }
  }

  /**
   * One renewal round; a database failure is logged and the next round tries again soon.
   *
   * @return whether the round reached the database
   */
  boolean renew() {
    try {
      List<RunningJob> alive = new ArrayList<>();
      List<RunningJob> silent = new ArrayList<>();
      long now = ticker.nanos();
      long staleNanos =
          settings.heartbeatTimeout() == null ? 0 : settings.heartbeatTimeout().toNanos();
      for (RunningJob rj : slots.held()) {
        if (rj.isSettled()) {
          continue; // its outcome is on its way
        }
        boolean heard =
            staleNanos == 0 || !rj.hasStarted() || now - rj.lastHeartbeatNanos < staleNanos;
        (heard ? alive : silent).add(rj);
      }
      String owner = settings.workerId();
      long sent = ticker.nanos();
      Set<UUID> renewed =
          settleLost(
              alive,
              (ids, counts) -> store.extendLeases(owner, ids, counts, settings.leaseDuration()));
      for (RunningJob rj : alive) {
        if (renewed.contains(rj.job.id())) {
          rj.leaseFromNanos = sent;
        }
      }
      // A silent handler loses its lease on purpose: it is not extended, and once it has run out
      // or another worker took the job back, the handler is told to stop.
      settleLost(silent, (ids, counts) -> store.leasesHeld(owner, ids, counts));
      return true;
    } catch (RuntimeException e) {
      log.warn("lease renewal failed; retrying soon: {}", e.getMessage());
      return false;
    }
  }

  /**
   * Runs a fenced lease statement over {@code jobs} and settles the ones it says are no longer
   * held: cancelled (by a cancel or a lost lease) and reported lost.
   */
  private Set<UUID> settleLost(
      List<RunningJob> jobs, BiFunction<List<UUID>, List<Integer>, Set<UUID>> stillHeld) {
    if (jobs.isEmpty()) {
      return Set.of();
    }
    List<UUID> ids = new ArrayList<>(jobs.size());
    List<Integer> retryCounts = new ArrayList<>(jobs.size());
    for (RunningJob rj : jobs) {
      ids.add(rj.job.id());
      retryCounts.add(rj.job.retryCount());
    }
    Set<UUID> held = stillHeld.apply(ids, retryCounts);
    if (held.size() == jobs.size()) {
      return held;
    }
    for (RunningJob rj : jobs) {
      if (!held.contains(rj.job.id()) && rj.settle()) {
        boolean cancelled =
            store.find(rj.job.id()).map(j -> j.status() == JobStatus.CANCELLED).orElse(false);
        rj.cancel(cancelled ? CancellationReason.JOB_CANCELLED : CancellationReason.LEASE_LOST);
        listeners.lost(
            rj, cancelled ? "job was cancelled" : "lease expired and the job was taken back");
      }
    }
    return held;
  }
}
