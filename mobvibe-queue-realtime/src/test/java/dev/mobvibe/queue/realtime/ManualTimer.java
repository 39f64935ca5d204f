package dev.mobvibe.queue.realtime;

import dev.mobvibe.queue.realtime.internal.Timer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A timer whose time moves only when a test fires a task: no sleeps, and every delay the client
 * asks for is recorded, so a test can assert the reconnect and rejoin schedules exactly.
 */
final class ManualTimer implements Timer {

  /** One scheduled task. */
  record Entry(long seq, String purpose, Duration delay, Runnable task) {}

  private final List<Entry> pending = new ArrayList<>();
  private final List<Entry> history = new ArrayList<>();
  private long seq;

  @Override
  public synchronized Scheduled schedule(String purpose, Duration delay, Runnable task) {
    Entry e = new Entry(++seq, purpose, delay, task);
    pending.add(e);
    history.add(e);
    return () -> {
      synchronized (ManualTimer.this) {
        pending.remove(e);
      }
    };
  }

  /** Tells whether a task of this purpose waits. */
  synchronized boolean hasPending(String purpose) {
    return pending.stream().anyMatch(e -> e.purpose().equals(purpose));
  }

  /** The delay of the waiting task of this purpose. */
  synchronized Optional<Duration> pendingDelay(String purpose) {
    return pending.stream()
        .filter(e -> e.purpose().equals(purpose))
        .map(Entry::delay)
        .reduce((a, b) -> b);
  }

  /** Every delay ever asked for with this purpose, in order. */
  synchronized List<Duration> delays(String purpose) {
    return history.stream().filter(e -> e.purpose().equals(purpose)).map(Entry::delay).toList();
  }

  /** Lets the time of the oldest waiting task of this purpose pass: it runs now. */
  void fire(String purpose) {
    Entry e;
    synchronized (this) {
      e =
          pending.stream()
              .filter(x -> x.purpose().equals(purpose))
              .findFirst()
              .orElseThrow(() -> new AssertionError("no pending " + purpose + " in " + pending));
      pending.remove(e);
    }
    e.task().run();
  }

  synchronized List<String> pendingPurposes() {
    List<String> out = new ArrayList<>();
    pending.forEach(e -> out.add(e.purpose()));
    return out;
  }
}
