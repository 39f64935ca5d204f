package dev.mobvibe.queue;

/** A registration that can be cancelled. Cancelling twice does nothing. */
@FunctionalInterface
public interface Subscription extends AutoCloseable {

  /** Stops the deliveries of this registration. Idempotent and thread-safe. */
  void unsubscribe();

  /** Same as {@link #unsubscribe()}, so a subscription fits try-with-resources. */
  @Override
  default void close() {
    unsubscribe();
  }
}
