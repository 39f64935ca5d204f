package dev.mobvibe.queue.internal;

import dev.mobvibe.queue.JobSignal;
import dev.mobvibe.queue.Subscription;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The listener list of a notifier: delivery to every listener, isolated from listener failures.
 * Thread-safe. Internal API, shared by the notifiers of core and of the realtime module.
 */
public final class SignalFanout {
  private static final Logger log = LoggerFactory.getLogger(SignalFanout.class);

  private final CopyOnWriteArrayList<Consumer<JobSignal>> listeners = new CopyOnWriteArrayList<>();

  /**
   * Adds a listener.
   *
   * @param listener the listener
   * @return a handle that removes it
   */
  public Subscription add(Consumer<JobSignal> listener) {
    if (listener == null) {
      throw new NullPointerException("listener must not be null");
    }
    // Wrap so the same listener subscribed twice gets two independent handles.
    Consumer<JobSignal> entry = listener::accept;
    listeners.add(entry);
    return () -> listeners.remove(entry);
  }

  /**
   * Tells whether any listener is registered.
   *
   * @return {@code true} if at least one listener is registered
   */
  public boolean isEmpty() {
    return listeners.isEmpty();
  }

  /** Removes every listener. */
  public void clear() {
    listeners.clear();
  }

  /**
   * Delivers a signal to every listener; a listener that throws is logged and skipped.
   *
   * @param signal the signal
   */
  public void publish(JobSignal signal) {
    for (Consumer<JobSignal> listener : listeners) {
      try {
        listener.accept(signal);
      } catch (RuntimeException e) {
        log.warn("job signal listener failed on {}", signal, e);
      }
    }
  }
}
