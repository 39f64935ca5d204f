package dev.mobvibe.queue;

import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The listeners of one kind of event, each isolated from the others' failures: what a {@link
 * JobNotifier} keeps behind {@link JobNotifier#subscribe(Consumer)}. Every notifier of this project
 * uses it, and a custom notifier can too:
 *
 * <pre>{@code
 * private final ListenerFanout<JobSignal> listeners = new ListenerFanout<>("job signal");
 *
 * public Subscription subscribe(Consumer<JobSignal> listener) {
 *   return listeners.add(listener);            // start the connection here if it is the first
 * }
 *
 * void onInsert(UUID jobId) {                 // on the notifier's own thread
 *   listeners.publish(new JobSignal(JobSignal.Source.NOTIFICATION, jobId, null, null));
 * }
 * }</pre>
 *
 * <p>{@link #publish(Object)} calls the listeners on the caller's thread, in the order they were
 * added; a listener that throws a {@link RuntimeException} is logged at WARN (logger {@code
 * dev.mobvibe.queue.ListenerFanout}) and the others still receive the event. An {@link Error}
 * propagates. Thread-safe: listeners may be added and removed while events are published, and a
 * publish sees the listeners present when it began (copy-on-write, cheap while listeners change
 * rarely).
 *
 * @param <T> the event type
 */
public final class ListenerFanout<T> {
  private static final Logger log = LoggerFactory.getLogger(ListenerFanout.class);

  private final String what;
  private final CopyOnWriteArrayList<Consumer<? super T>> listeners = new CopyOnWriteArrayList<>();

  /**
   * Creates a fan-out without listeners.
   *
   * @param what what the listeners receive, such as {@code "job signal"}: it names the event in the
   *     log line of a failing listener
   * @throws NullPointerException if {@code what} is null
   */
  public ListenerFanout(String what) {
    this.what = Objects.requireNonNull(what, "what must not be null");
  }

  /**
   * Adds a listener. The same listener added twice receives each event twice and gets two
   * independent subscriptions.
   *
   * @param listener the listener
   * @return a handle that removes this registration; idempotent and thread-safe
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
   * Tells whether no listener is registered, for a notifier that does work only while someone
   * listens.
   *
   * @return {@code true} when empty
   */
  public boolean isEmpty() {
    return listeners.isEmpty();
  }

  /**
   * Removes every listener, as a notifier's {@code close()} does. Subscriptions handed out earlier
   * stay safe to call.
   */
  public void clear() {
    listeners.clear();
  }

  /**
   * Delivers an event to every listener on the calling thread; a listener that throws a {@link
   * RuntimeException} is logged and skipped.
   *
   * @param event the event, passed as it is ({@code null} included)
   * @throws Error if a listener throws one: errors are not swallowed
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
