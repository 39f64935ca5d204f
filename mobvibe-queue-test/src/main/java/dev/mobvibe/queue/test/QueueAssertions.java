package dev.mobvibe.queue.test;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mobvibe.queue.Job;
import dev.mobvibe.queue.JobArgs;
import dev.mobvibe.queue.JobQueue;
import dev.mobvibe.queue.JobStatus;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.function.Predicate;

/**
 * Assertions on what a queue holds: that jobs of a kind, or with given arguments, were enqueued,
 * and how many. "Enqueued" means pending: waiting to run, now or later (delayed, retried or
 * snoozed); a job that ran is no longer enqueued. Arguments are compared as JSON, written with the
 * queue's {@code ObjectMapper}, so a record compares equal to the stored {@code args} whatever the
 * order of its fields. A failure throws an {@link AssertionError} whose message lists the pending
 * jobs.
 *
 * <pre>{@code
 * assertEnqueued(queue, new SendEmail("ada@example.com", "Welcome")).times(1);
 * assertNotEnqueued(queue, "webhook");
 * }</pre>
 *
 * <p>Reads the {@value #MAX_JOBS_READ} most recently created pending jobs. Thread-safe.
 */
public final class QueueAssertions {
  /** The most pending jobs an assertion reads: 1,000, the most {@code JobQueue.listJobs} lists. */
  public static final int MAX_JOBS_READ = 1000;

  /** The most jobs a failure message lists. */
  private static final int MAX_LISTED = 20;

  private QueueAssertions() {}

  /**
   * Asserts that at least one job of the kind is pending.
   *
   * @param queue the queue
   * @param kind the kind
   * @return the matching jobs, for {@link EnqueuedJobs#times} and more
   * @throws AssertionError if none is, listing the pending jobs
   */
  public static EnqueuedJobs assertEnqueued(JobQueue queue, String kind) {
    Objects.requireNonNull(kind, "kind must not be null");
    return assertEnqueued(queue, "of kind " + kind, job -> job.kind().equals(kind));
  }

  /**
   * Asserts that at least one job of the arguments' kind, with arguments equal to these as JSON, is
   * pending.
   *
   * @param queue the queue
   * @param args the arguments, as they were enqueued
   * @return the matching jobs, for {@link EnqueuedJobs#times} and more
   * @throws AssertionError if none is, listing the pending jobs
   */
  public static EnqueuedJobs assertEnqueued(JobQueue queue, JobArgs args) {
    Objects.requireNonNull(args, "args must not be null");
    return assertEnqueued(queue, describe(queue, args), matching(queue, args));
  }

  /**
   * Asserts that no job of the kind is pending.
   *
   * @param queue the queue
   * @param kind the kind
   * @throws AssertionError if one is, listing the pending jobs
   */
  public static void assertNotEnqueued(JobQueue queue, String kind) {
    Objects.requireNonNull(kind, "kind must not be null");
    assertNotEnqueued(queue, "of kind " + kind, job -> job.kind().equals(kind));
  }

  /**
   * Asserts that no job of the arguments' kind with these arguments is pending.
   *
   * @param queue the queue
   * @param args the arguments
   * @throws AssertionError if one is, listing the pending jobs
   */
  public static void assertNotEnqueued(JobQueue queue, JobArgs args) {
    Objects.requireNonNull(args, "args must not be null");
    assertNotEnqueued(queue, describe(queue, args), matching(queue, args));
  }

  private static EnqueuedJobs assertEnqueued(JobQueue queue, String what, Predicate<Job> matches) {
    List<Job> pending = pending(queue);
    List<Job> found = pending.stream().filter(matches).toList();
    EnqueuedJobs jobs = new EnqueuedJobs(what, found, pending);
    if (found.isEmpty()) {
      throw new AssertionError("expected a pending job " + what + ", found none" + list(pending));
    }
    return jobs;
  }

  private static void assertNotEnqueued(JobQueue queue, String what, Predicate<Job> matches) {
    List<Job> pending = pending(queue);
    long found = pending.stream().filter(matches).count();
    if (found > 0) {
      throw new AssertionError(
          "expected no pending job " + what + ", found " + found + list(pending));
    }
  }

  private static List<Job> pending(JobQueue queue) {
    Objects.requireNonNull(queue, "queue must not be null");
    List<Job> newestFirst = new ArrayList<>(queue.listJobs(JobStatus.PENDING, MAX_JOBS_READ));
    Collections.reverse(newestFirst);
    return List.copyOf(newestFirst);
  }

  private static Predicate<Job> matching(JobQueue queue, JobArgs args) {
    ObjectMapper mapper = queue.objectMapper();
    JsonNode expected = tree(mapper, json(mapper, args));
    return job -> job.kind().equals(args.kind()) && tree(mapper, job.argsJson()).equals(expected);
  }

  private static String describe(JobQueue queue, JobArgs args) {
    return "of kind " + args.kind() + " with args " + json(queue.objectMapper(), args);
  }

  private static String json(ObjectMapper mapper, Object value) {
    try {
      return mapper.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("cannot write the args as JSON: " + e.getMessage(), e);
    }
  }

  /** Reads JSON text both sides, so numbers compare by their text, not by the Java type. */
  private static JsonNode tree(ObjectMapper mapper, String json) {
    try {
      return mapper.readTree(json);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("cannot read args JSON: " + e.getMessage(), e);
    }
  }

  /** Lists jobs for a failure message, oldest first. */
  static String list(List<Job> jobs) {
    if (jobs.isEmpty()) {
      return "; no job is pending";
    }
    StringBuilder s = new StringBuilder("; pending jobs (").append(jobs.size()).append("):");
    jobs.stream()
        .limit(MAX_LISTED)
        .forEach(
            j ->
                s.append("\n  ")
                    .append(j.kind())
                    .append(' ')
                    .append(j.isCodingSession() ? "prompt=" + excerpt(j.prompt()) : j.argsJson())
                    .append(" (id ")
                    .append(j.id())
                    .append(", run at ")
                    .append(j.runAt())
                    .append(')'));
    if (jobs.size() > MAX_LISTED) {
      s.append("\n  ... and ").append(jobs.size() - MAX_LISTED).append(" more");
    }
    return s.toString();
  }

  private static String excerpt(String text) {
    if (text == null) {
      return "null";
    }
    return '"' + (text.length() <= 60 ? text : text.substring(0, 60) + "...") + '"';
  }

  /** The pending jobs that matched an {@code assertEnqueued}, for further checks. Immutable. */
  public static final class EnqueuedJobs {
    private final String what;
    private final List<Job> jobs;
    private final List<Job> pending;

    private EnqueuedJobs(String what, List<Job> jobs, List<Job> pending) {
      this.what = what;
      this.jobs = jobs;
      this.pending = pending;
    }

    /**
     * Asserts that exactly this many pending jobs matched.
     *
     * @param expected the count
     * @return this
     * @throws AssertionError if another number did, listing the pending jobs
     */
    public EnqueuedJobs times(int expected) {
      if (jobs.size() != expected) {
        throw new AssertionError(
            "expected "
                + expected
                + " pending job"
                + (expected == 1 ? " " : "s ")
                + what
                + ", found "
                + jobs.size()
                + list(pending));
      }
      return this;
    }

    /**
     * Returns the matching jobs, oldest first.
     *
     * @return the jobs, at least one
     */
    public List<Job> jobs() {
      return jobs;
    }

    /**
     * Returns the only matching job.
     *
     * @return the job
     * @throws AssertionError if more than one matched
     */
    public Job job() {
      times(1);
      return jobs.get(0);
    }
  }
}
