package dev.mobvibe.queue;

import dev.mobvibe.queue.internal.JobStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records attempt outcomes on its own thread: successes batched into one statement, failures one by
 * one with their backoff, releases batched. Every write is fenced on the lease, so an outcome of a
 * job this worker no longer holds is reported lost, not written.
 */
final class Completer {
  private static final Logger log = LoggerFactory.getLogger(Completer.class);
  private static final int BATCH = 1000;

  /** What to record for one attempt. */
  sealed interface Outcome permits Success, Failure, Release {
    RunningJob job();
  }

  record Success(RunningJob job, Duration runTime) implements Outcome {}

  record Failure(RunningJob job, Throwable error, boolean retryable, Duration runTime)
      implements Outcome {}

  /** A job that never ran (or was stopped by shutdown): back to pending, no attempt spent. */
  record Release(RunningJob job) implements Outcome {}

  private final JobProcessor processor;
  private final JobStore store;
  private final LinkedBlockingQueue<Outcome> queue = new LinkedBlockingQueue<>();
  private final Thread thread;
  private volatile boolean running = true;

  Completer(JobProcessor processor, JobStore store) {
    this.processor = processor;
    this.store = store;
    this.thread = new Thread(this::run, "mobvibe-completer-" + processor.workerId());
    this.thread.setDaemon(true);
  }

  void start() {
    thread.start();
  }

  void submit(Outcome outcome) {
    queue.add(outcome);
  }

  int backlog() {
    return queue.size();
  }

  private void run() {
    List<Outcome> batch = new ArrayList<>(BATCH);
    long backoffMillis = 50;
    while (running || !queue.isEmpty() || !batch.isEmpty()) {
      try {
        if (batch.isEmpty()) {
          Outcome first = queue.poll(100, TimeUnit.MILLISECONDS);
          if (first == null) {
            continue;
          }
          batch.add(first);
          queue.drainTo(batch, BATCH - 1);
        }
        record(batch);
        batch.clear();
        backoffMillis = 50;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      } catch (RuntimeException e) {
        if (!running) {
          log.warn(
              "cannot record {} outcomes at shutdown; their jobs return after their lease: {}",
              batch.size(),
              e.getMessage());
          batch.clear();
          continue;
        }
        log.warn("cannot record {} outcomes, retrying: {}", batch.size(), e.getMessage());
        try {
          Thread.sleep(backoffMillis); // error path only: the database is failing
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          break;
        }
        backoffMillis = Math.min(5000, backoffMillis * 2);
      }
    }
  }

  private void record(List<Outcome> batch) {
    List<Success> successes = new ArrayList<>();
    List<Release> releases = new ArrayList<>();
    List<Outcome> done = new ArrayList<>();
    try {
      for (Outcome o : batch) {
        if (o instanceof Success s) {
          successes.add(s);
        } else if (o instanceof Release r) {
          releases.add(r);
        }
      }
      if (!successes.isEmpty()) {
        List<UUID> ids = new ArrayList<>(successes.size());
        List<Integer> retryCounts = new ArrayList<>(successes.size());
        for (Success s : successes) {
          ids.add(s.job().job.id());
          retryCounts.add(s.job().job.retryCount());
        }
        Set<UUID> completed =
            store.completeLeased(processor.workerId(), ids, retryCounts, processor.trackSessions());
        for (Success s : successes) {
          if (completed.contains(s.job().job.id())) {
            processor.fire(l -> l.onJobSucceeded(s.job().job, s.runTime()));
          } else {
            processor.lost(s.job(), "lease lost before the success could be recorded");
          }
        }
        done.addAll(successes);
      }
      for (Outcome o : batch) {
        if (o instanceof Failure f) {
          recordFailure(f);
          done.add(f);
        }
      }
      if (!releases.isEmpty()) {
        List<UUID> ids = new ArrayList<>(releases.size());
        List<Integer> retryCounts = new ArrayList<>(releases.size());
        for (Release r : releases) {
          ids.add(r.job().job.id());
          retryCounts.add(r.job().job.retryCount());
        }
        store.releaseLeased(processor.workerId(), ids, retryCounts);
        done.addAll(releases);
      }
    } finally {
      // On a partial failure keep only what was not recorded, so a retry writes nothing twice.
      if (done.size() == batch.size()) {
        batch.clear();
      } else {
        Set<Outcome> recorded = Collections.newSetFromMap(new IdentityHashMap<>());
        recorded.addAll(done);
        batch.removeIf(recorded::contains);
      }
    }
  }

  private void recordFailure(Failure f) {
    Job job = f.job().job;
    Duration delay = processor.retryPolicy().backoff(job.attempt());
    JobStore.FailOutcome outcome =
        store.fail(
            job.id(),
            describe(f.error()),
            f.retryable(),
            new Duration[] {delay},
            processor.workerId(),
            job.retryCount());
    if (outcome.next() == null) {
      processor.lost(f.job(), "lease lost before the failure could be recorded");
    } else if (outcome.next() == JobStatus.PENDING) {
      log.info(
          "job {} attempt {} failed, retrying in {} ms: {}",
          job.id(),
          job.attempt(),
          delay.toMillis(),
          describe(f.error()));
      processor.fire(l -> l.onJobRetried(job, f.error(), f.runTime()));
      processor.wakeProducerIfDue(delay);
    } else {
      log.warn(
          "job {} failed for good after attempt {} (dead letter): {}",
          job.id(),
          job.attempt(),
          describe(f.error()));
      processor.fire(l -> l.onJobDeadLettered(job, f.error(), f.runTime()));
    }
  }

  static String describe(Throwable error) {
    String message = error.getMessage();
    if (error instanceof PermanentJobFailureException || error instanceof JobTimeoutException) {
      return message == null ? error.getClass().getSimpleName() : message;
    }
    return message == null
        ? error.getClass().getName()
        : error.getClass().getSimpleName() + ": " + message;
  }

  /** Records everything queued, then stops. */
  void stopAndFlush(long timeoutMillis) {
    running = false;
    try {
      thread.join(timeoutMillis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (thread.isAlive()) {
      log.warn(
          "completer did not finish in {} ms; remaining jobs return after their lease",
          timeoutMillis);
      thread.interrupt();
    }
  }
}
