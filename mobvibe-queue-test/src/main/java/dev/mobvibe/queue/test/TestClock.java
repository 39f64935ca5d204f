package dev.mobvibe.queue.test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The clock of a {@link JobDrainer}: the system clock shifted by an offset that only grows. A new
 * clock reads the real time; {@link #advance} moves it forward, so that a job whose {@code run_at}
 * lies in the future (a delayed job, a retry after its backoff, a snoozed job) becomes due without
 * the test waiting. Because it starts at the real time, jobs enqueued without a delay (whose {@code
 * run_at} is the database's {@code now()}) are due at once; a database server whose clock differs
 * from the JVM's by more than a moment would break that.
 *
 * <p>Thread-safe. Its zone is UTC.
 */
public final class TestClock extends Clock {
  private final AtomicReference<Duration> offset = new AtomicReference<>(Duration.ZERO);

  /** Creates a clock that reads the real time until it is advanced. */
  public TestClock() {}

  /**
   * Returns the current instant: the system time plus the offset, truncated to microseconds (the
   * precision of PostgreSQL's {@code timestamptz}).
   *
   * @return the instant
   */
  @Override
  public Instant instant() {
    Instant shifted = Instant.now().plus(offset.get());
    return shifted.minusNanos(shifted.getNano() % 1_000);
  }

  /**
   * Moves the clock forward.
   *
   * @param duration how far; zero or positive
   * @throws NullPointerException if the duration is null
   * @throws IllegalArgumentException if the duration is negative (the clock never goes back)
   */
  public void advance(Duration duration) {
    Objects.requireNonNull(duration, "duration must not be null");
    if (duration.isNegative()) {
      throw new IllegalArgumentException("duration must not be negative, was " + duration);
    }
    offset.accumulateAndGet(duration, Duration::plus);
  }

  /**
   * Moves the clock forward to an instant, if it is not there yet.
   *
   * @param instant the instant to reach
   * @throws NullPointerException if the instant is null
   */
  public void advanceTo(Instant instant) {
    Objects.requireNonNull(instant, "instant must not be null");
    Duration ahead = Duration.between(instant(), instant);
    if (!ahead.isNegative()) {
      advance(ahead);
    }
  }

  /**
   * Returns how far the clock has been advanced in all.
   *
   * @return the offset from the system clock
   */
  public Duration offset() {
    return offset.get();
  }

  /**
   * Returns UTC.
   *
   * @return {@link ZoneOffset#UTC}
   */
  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  /**
   * Not supported: a test clock lives in UTC.
   *
   * @param zone ignored
   * @return never
   * @throws UnsupportedOperationException always
   */
  @Override
  public Clock withZone(ZoneId zone) {
    throw new UnsupportedOperationException("a TestClock is always in UTC");
  }

  @Override
  public String toString() {
    return "TestClock[offset=" + offset.get() + "]";
  }
}
