package dev.mobvibe.queue;

import dev.mobvibe.queue.internal.PollingNotifier;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * The wake-up SPI: tells subscribers that new jobs may be waiting. Notifications only make a
 * claimer run sooner; polling remains what guarantees progress, so a notifier may miss or repeat
 * signals.
 *
 * <p>Core ships {@link #polling(Duration)}; the {@code mobvibe-queue-realtime} module ships
 * PostgreSQL {@code LISTEN/NOTIFY} and Supabase Realtime notifiers. After any reconnect a notifier
 * sends one {@link JobSignal.Source#RECONNECT} signal, so jobs inserted while it was away are
 * claimed at once.
 *
 * <p>Implementations are thread-safe. A notifier starts its thread or connection when the first
 * listener subscribes, delivers signals on its own thread (listeners must return quickly), and
 * releases everything in {@link #close()}. An implementation can keep its listeners in a {@link
 * ListenerFanout}, which gives the isolation {@link #subscribe(Consumer)} promises.
 */
public interface JobNotifier extends AutoCloseable {

  /** Default interval of {@link #polling(Duration)}: 10 seconds (the seed's POLL_INTERVAL_MS). */
  Duration DEFAULT_POLL_INTERVAL = Duration.ofSeconds(10);

  /**
   * Registers a listener. The notifier starts, if it has not yet, when the first listener
   * subscribes. An exception thrown by a listener is logged and does not stop deliveries.
   *
   * @param listener called on the notifier's thread for every signal; must not block
   * @return a handle that unsubscribes the listener
   * @throws NullPointerException if the listener is null
   * @throws IllegalStateException if the notifier is closed
   */
  Subscription subscribe(Consumer<JobSignal> listener);

  /**
   * Returns the current connection state.
   *
   * @return the state
   */
  NotifierState state();

  /** Stops the notifier and drops its listeners. Idempotent. */
  @Override
  void close();

  /**
   * A notifier that sends a {@link JobSignal.Source#POLL} signal every {@code interval}, on a
   * daemon thread named {@code mobvibe-poll-notifier}. It sends no query to the database.
   *
   * @param interval the tick interval; positive
   * @return a new, not yet started notifier
   * @throws IllegalArgumentException if the interval is null, zero or negative
   */
  static JobNotifier polling(Duration interval) {
    return new PollingNotifier(interval);
  }
}
