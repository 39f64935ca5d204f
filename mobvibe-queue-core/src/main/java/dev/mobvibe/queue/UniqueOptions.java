package dev.mobvibe.queue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Makes a job unique: at most one job of the same kind with the same arguments (all of them, or the
 * chosen top-level fields) exists in the chosen states, within one period. Enqueueing a duplicate
 * writes nothing and returns the job already there, as an idempotency key does. Set it with {@link
 * NewJob.Builder#unique(UniqueOptions)}.
 *
 * <pre>{@code
 * // At most one digest per user and day, whatever became of the first one.
 * NewJob.builder(new SendDigest(userId, day))
 *     .unique(UniqueOptions.byArgs("userId").period(Duration.ofDays(1)))
 *     .build();
 * // At most one rebuild of a site waiting or running; once it finished, another may be enqueued.
 * NewJob.builder(new RebuildSite(siteId))
 *     .unique(UniqueOptions.byArgs().states(Set.of(JobStatus.PENDING, JobStatus.PROCESSING)))
 *     .build();
 * }</pre>
 *
 * <p><b>What makes two jobs the same.</b> The queue writes the arguments to JSON with its {@code
 * ObjectMapper} (as it stores them), keeps the chosen top-level fields, sorts object keys at every
 * depth and hashes the result (SHA-256) with the kind and the period's bucket. The key is stored
 * with the job, and a unique index of the database enforces it, so concurrent enqueues from any
 * number of processes cannot both insert. A prompt job ({@link NewJob#CODING_SESSION_KIND}) has two
 * fields: {@code prompt} and {@code sessionId}; {@code sessionId} is absent when the job creates
 * its session, so {@code byArgs()} then means "the same prompt".
 *
 * <p><b>Period.</b> With {@link #period(Duration)}, time is cut into buckets of that length from
 * the Unix epoch ({@code floor(epochSeconds / period)}); two jobs collide only within one bucket. A
 * job's time is its {@link NewJob#runAt()} when set, else the clock of the JVM that enqueues it at
 * the moment of the enqueue ({@link NewJob#delay()} is not added). Without a period, jobs collide
 * for ever.
 *
 * <p><b>States.</b> A job blocks duplicates while its status is one of its unique states; the
 * states are stored with each job, so jobs enqueued with other states follow their own. They always
 * include {@link JobStatus#PENDING} and {@link JobStatus#PROCESSING}, the two states a retry moves
 * a job between. Replaying a failed job ({@link JobQueue#replayJob}) whose key another job holds by
 * then fails with a {@link UniqueViolationException} and leaves the job failed.
 *
 * <p>Immutable and thread-safe: every method returns a new instance.
 */
public final class UniqueOptions {

  /**
   * The states a unique job blocks duplicates in unless set: pending, processing and completed. A
   * failed or cancelled job lets a new one in.
   */
  public static final Set<JobStatus> DEFAULT_STATES =
      Collections.unmodifiableSet(
          EnumSet.of(JobStatus.PENDING, JobStatus.PROCESSING, JobStatus.COMPLETED));

  private final List<String> fields;
  private final Duration period;
  private final Set<JobStatus> states;

  private UniqueOptions(List<String> fields, Duration period, Set<JobStatus> states) {
    this.fields = fields;
    this.period = period;
    this.states = states;
  }

  /**
   * Unique by kind and all the arguments, in the {@link #DEFAULT_STATES}, for ever.
   *
   * @return the options
   */
  public static UniqueOptions byArgs() {
    return new UniqueOptions(List.of(), null, DEFAULT_STATES);
  }

  /**
   * Unique by kind and these top-level fields of the arguments (as their JSON names), in the {@link
   * #DEFAULT_STATES}, for ever. Enqueueing a job whose arguments lack one of the fields fails with
   * an {@link IllegalArgumentException}.
   *
   * @param fields one or more distinct field names
   * @return the options
   * @throws IllegalArgumentException if no field is given, or one is null, blank or repeated
   */
  public static UniqueOptions byArgs(String... fields) {
    if (fields == null || fields.length == 0) {
      throw new IllegalArgumentException(
          "unique fields must name at least one field; use UniqueOptions.byArgs() for all");
    }
    List<String> list = new ArrayList<>(fields.length);
    Set<String> seen = new HashSet<>();
    for (String field : fields) {
      if (field == null || field.isBlank()) {
        throw new IllegalArgumentException(
            "unique fields must not be null or blank, was " + (field == null ? "null" : "blank"));
      }
      if (!seen.add(field)) {
        throw new IllegalArgumentException(
            "unique fields must be distinct, '" + field + "' is given twice");
      }
      list.add(field);
    }
    return new UniqueOptions(List.copyOf(list), null, DEFAULT_STATES);
  }

  /**
   * Returns these options with a period: jobs collide only when their times fall in the same bucket
   * of this length counted from the Unix epoch. Default: none, jobs collide for ever.
   *
   * @param period a whole number of seconds, at least one second
   * @return the new options
   * @throws IllegalArgumentException if the period is null, shorter than a second or not whole
   *     seconds
   */
  public UniqueOptions period(Duration period) {
    if (period == null) {
      throw new IllegalArgumentException("unique period must not be null");
    }
    if (period.getSeconds() < 1 || period.getNano() != 0) {
      throw new IllegalArgumentException(
          "unique period must be a whole number of seconds, at least 1, was " + period);
    }
    return new UniqueOptions(fields, period, states);
  }

  /**
   * Returns these options with other states: a job blocks duplicates while its status is one of
   * them. Default {@link #DEFAULT_STATES}.
   *
   * @param states the states; must include {@link JobStatus#PENDING} and {@link
   *     JobStatus#PROCESSING}
   * @return the new options
   * @throws IllegalArgumentException if the set is null, holds null, or lacks pending or processing
   */
  public UniqueOptions states(Set<JobStatus> states) {
    if (states == null) {
      throw new IllegalArgumentException("unique states must not be null");
    }
    EnumSet<JobStatus> copy = EnumSet.noneOf(JobStatus.class);
    for (JobStatus s : states) {
      if (s == null) {
        throw new IllegalArgumentException("unique states must not hold null, was " + states);
      }
      copy.add(s);
    }
    if (!copy.contains(JobStatus.PENDING) || !copy.contains(JobStatus.PROCESSING)) {
      throw new IllegalArgumentException(
          "unique states must include PENDING and PROCESSING (a retry moves a job between them),"
              + " was "
              + copy);
    }
    return new UniqueOptions(fields, period, Collections.unmodifiableSet(copy));
  }

  /**
   * Returns the top-level argument fields the key is made of.
   *
   * @return the fields in the order given, or an empty list for all the arguments
   */
  public List<String> fields() {
    return fields;
  }

  /**
   * Returns the period.
   *
   * @return the bucket length, or empty when jobs collide for ever
   */
  public Optional<Duration> period() {
    return Optional.ofNullable(period);
  }

  /**
   * Returns the states in which a job blocks duplicates.
   *
   * @return an unmodifiable set that holds at least pending and processing
   */
  public Set<JobStatus> states() {
    return states;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof UniqueOptions u
        && fields.equals(u.fields)
        && Objects.equals(period, u.period)
        && states.equals(u.states);
  }

  @Override
  public int hashCode() {
    return Objects.hash(fields, period, states);
  }

  @Override
  public String toString() {
    return "UniqueOptions[fields="
        + (fields.isEmpty() ? "all" : fields)
        + ", period="
        + (period == null ? "none" : period)
        + ", states="
        + states
        + "]";
  }
}
