package dev.mobvibe.queue.internal;

import dev.mobvibe.queue.Subscription;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Listeners of one event type, isolated from each other's failures: the listener list of every
 * notifier, in core and in the realtime module. Thread-safe. Internal API.
 *
 * @param <T> the event type
 */
public final class ListenerList<T> {
  private static final Logger log = LoggerFactory.getLogger(ListenerList.class);

  private final String what;
  private final CopyOnWriteArrayList<Consumer<? super T>> listeners = new CopyOnWriteArrayList<>();

  /**
   * Creates an empty list.
   *
   * @param what what the listeners receive, for the log line of a failing listener
   */
  public ListenerList(String what) {
    this.what = what;
  }

  /**
   * Adds a listener.
   *
   * @param listener the listener
   * @return a handle that removes it; idempotent
   * @throws NullPointerException if the listener is null
   */
  public Subscription add(Consumer<? super T> listener) {
    if (listener == null) {
      throw new NullPointerException("listener must not be null");
    }
    // Wrap so the same listener added twice gets two independent handles.
    Consumer<T> entry = listener::accept;
    listeners.add(entry);
    return () -> listeners.remove(entry);
  }

  /**
   * Tells whether no listener is registered.
   *
   * @return {@code true} when empty
   */
  public boolean isEmpty() {
    return listeners.isEmpty();
  }

  /** Removes every listener. */
  public void clear() {
    listeners.clear();
  }

  /**
   * Delivers an event to every listener; a listener that throws is logged and skipped.
   *
   * @param event the event
   */
  public void publish(T event) {
    for (Consumer<? super T> listener : listeners) {
      try {
        listener.accept(event);
      } catch (RuntimeException e) {
        log.warn("{} listener failed on {}", what, event, e);
      }
    }
  }
}
