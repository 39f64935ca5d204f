package dev.mobvibe.queue.internal;

import dev.mobvibe.queue.JobNotifier;
import dev.mobvibe.queue.JobSignal;
import dev.mobvibe.queue.ListenerFanout;
import dev.mobvibe.queue.NotifierState;
import dev.mobvibe.queue.Subscription;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A {@link JobNotifier} that ticks at a fixed interval and asks nothing of the database. Internal
 * API: create it with {@link JobNotifier#polling(Duration)}.
 */
public final class PollingNotifier implements JobNotifier {
  private static final JobSignal TICK = JobSignal.of(JobSignal.Source.POLL);

  private final Duration interval;
  private final ListenerFanout<JobSignal> fanout = new ListenerFanout<>("job signal");
  private ScheduledExecutorService timer;
  private NotifierState state = NotifierState.IDLE;

  /**
   * Creates a notifier; its thread starts at the first subscription.
   *
   * @param interval the tick interval
   */
  public PollingNotifier(Duration interval) {
    if (interval == null || interval.isZero() || interval.isNegative()) {
      throw new IllegalArgumentException("poll interval must be positive, was " + interval);
    }
    this.interval = interval;
  }

  @Override
  public synchronized Subscription subscribe(Consumer<JobSignal> listener) {
    if (state == NotifierState.CLOSED) {
      throw new IllegalStateException("notifier is closed");
    }
    Subscription subscription = fanout.add(listener);
    if (timer == null) {
      timer =
          Executors.newSingleThreadScheduledExecutor(
              r -> {
                Thread t = new Thread(r, "mobvibe-poll-notifier");
                t.setDaemon(true);
                return t;
              });
      long millis = interval.toMillis();
      timer.scheduleAtFixedRate(() -> fanout.publish(TICK), millis, millis, TimeUnit.MILLISECONDS);
      state = NotifierState.LISTENING;
    }
    return subscription;
  }

  @Override
  public synchronized NotifierState state() {
    return state;
  }

  @Override
  public synchronized void close() {
    if (state == NotifierState.CLOSED) {
      return;
    }
    state = NotifierState.CLOSED;
    fanout.clear();
    if (timer != null) {
      timer.shutdownNow();
    }
  }

  @Override
  public String toString() {
    return "PollingNotifier[interval=" + interval + "]";
  }
}
