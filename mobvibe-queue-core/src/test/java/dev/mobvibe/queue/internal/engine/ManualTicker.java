package dev.mobvibe.queue.internal.engine;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/** A ticker the test moves by hand: time stands still until {@link #advance} is called. */
final class ManualTicker implements Ticker {
  // Not zero, so no reading can be mistaken for "never".
  private final AtomicLong now = new AtomicLong(Duration.ofHours(1).toNanos());

  @Override
  public long nanos() {
    return now.get();
  }

  void advance(Duration by) {
    now.addAndGet(by.toNanos());
  }
}
