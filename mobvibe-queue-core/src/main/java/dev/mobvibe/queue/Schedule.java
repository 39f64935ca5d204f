package dev.mobvibe.queue;

import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.Objects;
import java.util.Optional;

/**
 * When a recurring job runs: a cron expression in a time zone, or a fixed interval. Register one
 * with {@link JobProcessorBuilder#schedule(String, Schedule, java.util.function.Supplier)}.
 *
 * <p><b>Cron dialect.</b> UNIX cron, five fields: minute, hour, day of month, month, day of week
 * ({@code 0 3 * * *} is 03:00 every day, {@code *}{@code /15 * * * 1-5} every quarter hour on
 * weekdays). Lists, ranges, steps and the names {@code JAN}-{@code DEC} and {@code SUN}-{@code SAT}
 * are accepted; seconds, years and Quartz's {@code ?}, {@code L}, {@code W}, {@code #} are not.
 * Parsing is done by cron-utils' UNIX definition. The fields are read in the schedule's time zone,
 * so {@code 0 3 * * *} in {@code Europe/Paris} runs at 03:00 Paris time in winter and summer alike
 * (23 or 25 hours apart across a daylight-saving change). A local time that a change skips (02:30
 * on the spring-forward night) or repeats (02:30 on the fall-back night) follows cron-utils.
 *
 * <p><b>Intervals.</b> {@link #every(Duration)} ticks at the multiples of the interval since the
 * epoch (1970-01-01T00:00Z): every worker computes the same ticks without talking to the others.
 *
 * <p>A schedule is checked when the processor is built ({@link JobProcessorBuilder#build()}), not
 * when it is made: {@link #cron(String, ZoneId)} accepts any text, and {@code build()} fails with
 * the schedule's name and expression when it does not parse. Immutable and thread-safe.
 */
public final class Schedule {

  /** The shortest interval {@link #every(Duration)} accepts: 1 second. */
  public static final Duration MIN_INTERVAL = Duration.ofSeconds(1);

  /** How the {@link #expression()} of an interval schedule begins: {@code @every }. */
  public static final String EVERY_PREFIX = "@every ";

  /** The zone of interval schedules and of {@link #cron(String)}: {@code UTC}. */
  public static final ZoneId UTC = ZoneId.of("UTC");

  private static final CronParser UNIX_CRON =
      new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));

  private final String expression;
  private final ZoneId zone;
  private final long intervalMillis; // 0 for a cron schedule
  private final ExecutionTime cron; // null for an interval, or when the expression is bad
  private final String problem; // null when the schedule is valid

  private Schedule(
      String expression, ZoneId zone, long intervalMillis, ExecutionTime cron, String problem) {
    this.expression = expression;
    this.zone = zone;
    this.intervalMillis = intervalMillis;
    this.cron = cron;
    this.problem = problem;
  }

  /**
   * A cron schedule read in a time zone.
   *
   * @param expression five UNIX cron fields, for example {@code 0 3 * * *}
   * @param zone the time zone the fields are read in
   * @return the schedule; a bad expression is reported by {@link JobProcessorBuilder#build()}
   * @throws NullPointerException if an argument is null
   */
  public static Schedule cron(String expression, ZoneId zone) {
    Objects.requireNonNull(expression, "cron expression must not be null");
    Objects.requireNonNull(zone, "zone must not be null");
    try {
      ExecutionTime time = ExecutionTime.forCron(UNIX_CRON.parse(expression.trim()).validate());
      return new Schedule(expression.trim(), zone, 0, time, null);
    } catch (IllegalArgumentException e) {
      return new Schedule(
          expression,
          zone,
          0,
          null,
          "cron expression '"
              + expression
              + "' is not valid UNIX cron (5 fields: minute hour day-of-month month day-of-week): "
              + e.getMessage());
    }
  }

  /**
   * A cron schedule read in UTC: {@code cron(expression, Schedule.UTC)}.
   *
   * @param expression five UNIX cron fields
   * @return the schedule
   * @throws NullPointerException if the expression is null
   */
  public static Schedule cron(String expression) {
    return cron(expression, UTC);
  }

  /**
   * A schedule that ticks every {@code interval}, at the multiples of it since the epoch: {@code
   * every(Duration.ofMinutes(5))} ticks at :00, :05, :10 and so on of every hour, UTC.
   *
   * @param interval at least {@link #MIN_INTERVAL}, in whole milliseconds
   * @return the schedule; a bad interval is reported by {@link JobProcessorBuilder#build()}
   * @throws NullPointerException if the interval is null
   */
  public static Schedule every(Duration interval) {
    Objects.requireNonNull(interval, "interval must not be null");
    String text = EVERY_PREFIX + interval;
    if (interval.compareTo(MIN_INTERVAL) < 0 || interval.getNano() % 1_000_000 != 0) {
      return new Schedule(
          text,
          UTC,
          0,
          null,
          "interval " + interval + " must be at least " + MIN_INTERVAL + " in whole milliseconds");
    }
    return new Schedule(text, UTC, interval.toMillis(), null, null);
  }

  /**
   * Returns the expression as stored in the schedules table: the cron text, or {@code @every }
   * followed by the ISO-8601 interval ({@code @every PT5M}).
   *
   * @return the expression
   */
  public String expression() {
    return expression;
  }

  /**
   * Returns the time zone the schedule is read in; {@code UTC} for an interval.
   *
   * @return the zone
   */
  public ZoneId zone() {
    return zone;
  }

  /**
   * Returns the interval of an {@link #every(Duration)} schedule.
   *
   * @return the interval, or empty for a cron schedule
   */
  public Optional<Duration> interval() {
    return intervalMillis == 0 ? Optional.empty() : Optional.of(Duration.ofMillis(intervalMillis));
  }

  /**
   * Returns the first tick strictly after {@code time}.
   *
   * @param time the time
   * @return the next tick, or empty when the expression never fires again (a date that does not
   *     exist, such as {@code 0 0 30 2 *})
   * @throws IllegalStateException if the schedule is not valid
   */
  public Optional<Instant> next(Instant time) {
    Objects.requireNonNull(time, "time must not be null");
    checkValid();
    if (intervalMillis > 0) {
      return Optional.of(Instant.ofEpochMilli(floor(time.toEpochMilli()) + intervalMillis));
    }
    return cron.nextExecution(time.atZone(zone)).map(ZonedDateTime::toInstant);
  }

  /**
   * Returns the latest tick at or before {@code time}: the tick a worker enqueues when it finds it
   * has not been enqueued yet.
   *
   * @param time the time
   * @return the latest tick, or empty when there was none
   * @throws IllegalStateException if the schedule is not valid
   */
  public Optional<Instant> latest(Instant time) {
    Objects.requireNonNull(time, "time must not be null");
    checkValid();
    if (intervalMillis > 0) {
      return Optional.of(Instant.ofEpochMilli(floor(time.toEpochMilli())));
    }
    ZonedDateTime at = time.atZone(zone);
    Optional<ZonedDateTime> before = cron.lastExecution(at);
    if (before.isEmpty()) {
      return Optional.empty();
    }
    // Whether lastExecution counts a tick equal to the time is not what we rely on: step forward.
    Optional<ZonedDateTime> after = cron.nextExecution(before.get());
    if (after.isPresent() && !after.get().isAfter(at)) {
      return Optional.of(after.get().toInstant());
    }
    return Optional.of(before.get().toInstant());
  }

  /** The problem that makes this schedule invalid, or {@code null}; read by the builder. */
  String problem() {
    return problem;
  }

  private void checkValid() {
    if (problem != null) {
      throw new IllegalStateException(problem);
    }
  }

  private long floor(long epochMillis) {
    return Math.floorDiv(epochMillis, intervalMillis) * intervalMillis;
  }

  /**
   * Equal when the expression and zone are.
   *
   * @param o the other object
   * @return whether both describe the same ticks
   */
  @Override
  public boolean equals(Object o) {
    return o instanceof Schedule s && s.expression.equals(expression) && s.zone.equals(zone);
  }

  @Override
  public int hashCode() {
    return Objects.hash(expression, zone);
  }

  /**
   * Returns the expression and zone, for example {@code 0 3 * * * (Europe/Paris)}.
   *
   * @return the text
   */
  @Override
  public String toString() {
    return expression + " (" + zone + ")";
  }
}
