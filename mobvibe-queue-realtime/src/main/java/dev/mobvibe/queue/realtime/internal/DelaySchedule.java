package dev.mobvibe.queue.realtime.internal;

import java.time.Duration;
import java.util.List;

/**
 * A retry schedule: the delay before try {@code n} is the {@code n}-th entry, and the last entry
 * repeats. The official Supabase client's reconnect and rejoin schedule is {@link #SUPABASE}.
 * Immutable. Internal API.
 */
public final class DelaySchedule {
  /** 1 s, 2 s, 5 s, then 10 s for ever: realtime-js's reconnectAfterMs and rejoinAfterMs. */
  public static final DelaySchedule SUPABASE =
      new DelaySchedule(
          List.of(
              Duration.ofSeconds(1),
              Duration.ofSeconds(2),
              Duration.ofSeconds(5),
              Duration.ofSeconds(10)));

  private final List<Duration> delays;

  /**
   * Creates a schedule.
   *
   * @param delays the delays, at least one, none negative
   * @throws IllegalArgumentException if the list is empty or holds a null or negative delay
   */
  public DelaySchedule(List<Duration> delays) {
    if (delays == null || delays.isEmpty()) {
      throw new IllegalArgumentException(
          "a delay schedule needs at least one delay, was " + delays);
    }
    for (Duration d : delays) {
      if (d == null || d.isNegative()) {
        throw new IllegalArgumentException("delays must not be null or negative, was " + delays);
      }
    }
    this.delays = List.copyOf(delays);
  }

  /**
   * Returns the delay before a try.
   *
   * @param tryNumber 1 for the first retry
   * @return the delay
   */
  public Duration delay(int tryNumber) {
    int index = Math.max(0, Math.min(tryNumber, delays.size()) - 1);
    return delays.get(index);
  }

  /**
   * Returns the delays.
   *
   * @return the delays, the last one repeating
   */
  public List<Duration> delays() {
    return delays;
  }

  @Override
  public String toString() {
    return "DelaySchedule" + delays;
  }
}
