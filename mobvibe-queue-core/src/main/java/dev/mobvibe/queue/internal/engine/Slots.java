package dev.mobvibe.queue.internal.engine;

import java.util.Collection;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The jobs a worker holds, running or claimed and waiting for a handler, and the permits that bound
 * them (handler slots plus the prefetch buffer). The producer takes a permit per claimed job; the
 * permit comes back when the job's outcome is settled and handed on. Also counts the jobs whose
 * handler finished, the rate that sizes auto prefetch. Thread-safe.
 */
final class Slots {
  private final Semaphore permits;
  private final Map<UUID, RunningJob> held = new ConcurrentHashMap<>();
  private final AtomicLong finished = new AtomicLong();
  private volatile Runnable onFreed = () -> {};

  Slots(int size) {
    this.permits = new Semaphore(size);
  }

  /** Runs {@code hook} each time a slot frees (the producer's wake-up); set once when wiring. */
  void onFreed(Runnable hook) {
    this.onFreed = hook;
  }

  /** Permits free now. */
  int available() {
    return permits.availablePermits();
  }

  /** Takes a permit for a job about to be handed to a handler and starts holding it. */
  void hold(RunningJob job) {
    permits.acquireUninterruptibly();
    held.put(job.job.id(), job);
  }

  /** Stops holding a job and frees its permit. */
  void free(RunningJob job) {
    held.remove(job.job.id(), job);
    permits.release();
    onFreed.run();
  }

  /** Counts a job whose handler returned or threw. */
  void finished() {
    finished.incrementAndGet();
  }

  /** Jobs whose handler returned or threw since start. */
  long finishedCount() {
    return finished.get();
  }

  /** A live view of the jobs held now. */
  Collection<RunningJob> held() {
    return held.values();
  }

  /** How many jobs are held now. */
  int heldCount() {
    return held.size();
  }
}
