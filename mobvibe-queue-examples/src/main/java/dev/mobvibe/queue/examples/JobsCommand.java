package dev.mobvibe.queue.examples;

import dev.mobvibe.queue.Job;
import dev.mobvibe.queue.JobError;
import dev.mobvibe.queue.JobNotFoundException;
import dev.mobvibe.queue.JobQueue;
import dev.mobvibe.queue.JobStatus;
import dev.mobvibe.queue.RegisteredSchedule;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.function.BiPredicate;
import java.util.function.ToLongBiFunction;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The {@code jobs} command: lists recent jobs of every kind; {@code jobs show ID} shows one with
 * its kind, arguments and error history; {@code jobs replay ID} returns a dead-lettered job to
 * pending; {@code jobs cancel ID} cancels a pending or processing one; {@code jobs prune
 * --older-than AGE} deletes old completed and cancelled jobs. Exit code 1 when a job is missing or
 * not in a state the action applies to. {@code jobs pause KIND} and {@code jobs resume KIND} stop
 * and restart the claiming of a kind across every worker.
 */
@Command(
    name = "jobs",
    mixinStandardHelpOptions = true,
    description = {
      "Lists the most recent jobs of every kind, newest first.",
      "Subcommands: show ID (with its kind, arguments and error history), replay ID (a dead-lettered job back to"
          + " pending), cancel ID, pause KIND, resume KIND, prune --older-than AGE,"
          + " prune-dead-letters --older-than AGE, schedules (the recurring jobs)."
    })
final class JobsCommand implements Callable<Integer> {

  @Mixin Cli.DatabaseOptions database = new Cli.DatabaseOptions();

  @Option(
      names = "--status",
      paramLabel = "STATUS",
      description = "only pending, processing, completed, failed or cancelled jobs")
  String status;

  @Option(
      names = "--limit",
      paramLabel = "N",
      description = "how many, 1 to 1000 (default ${DEFAULT-VALUE})")
  int limit = 20;

  private final Cli cli;

  JobsCommand(Cli cli) {
    this.cli = cli;
  }

  @Override
  public Integer call() {
    JobStatus only = null;
    if (status != null) {
      try {
        only = JobStatus.fromDb(status.strip().toLowerCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new CliException(
            2,
            "--status must be pending, processing, completed, failed or cancelled, was '"
                + status
                + "'");
      }
    }
    if (limit < 1 || limit > 1000) {
      throw new CliException(2, "--limit must be between 1 and 1000, was " + limit);
    }
    try (Cli.Opened opened = cli.openQueue(database)) {
      List<Job> jobs = opened.queue().listJobs(only, limit);
      PrintWriter out = cli.out();
      out.printf(
          Locale.ROOT,
          "%-36s  %-14s  %-10s  %-7s  %-7s  %-20s  %s%n",
          "ID",
          "KIND",
          "STATUS",
          "TIER",
          "ATTEMPT",
          "CREATED",
          "PROMPT OR ARGS / LAST ERROR");
      for (Job job : jobs) {
        out.printf(
            Locale.ROOT,
            "%-36s  %-14s  %-10s  %-7s  %-7s  %-20s  %s%n",
            job.id(),
            job.kind(),
            job.status().dbValue(),
            job.tier().name().toLowerCase(Locale.ROOT),
            attempts(job),
            job.createdAt() == null ? "-" : job.createdAt().truncatedTo(ChronoUnit.SECONDS),
            Cli.excerpt(showsError(job) ? job.errorMessage() : input(job), 60));
      }
      if (jobs.isEmpty()) {
        out.println("(no jobs)");
      }
    }
    cli.out().flush();
    return 0;
  }

  private static boolean showsError(Job job) {
    return job.errorMessage() != null
        && (job.status() == JobStatus.FAILED || job.status() == JobStatus.PENDING);
  }

  /** What the job works on: a coding session's prompt, else its arguments as JSON. */
  private static String input(Job job) {
    return job.prompt() != null ? job.prompt() : String.valueOf(job.argsJson());
  }

  /** Attempts used and allowed: {@code 2/3}. */
  private static String attempts(Job job) {
    int used =
        switch (job.status()) {
          case PENDING -> job.retryCount();
          case FAILED -> Math.max(job.retryCount(), 1);
          case CANCELLED -> job.startedAt() == null ? job.retryCount() : job.retryCount() + 1;
          default -> job.retryCount() + 1;
        };
    return used + "/" + job.maxAttempts();
  }

  private static UUID parseId(String id) {
    try {
      return UUID.fromString(id.strip());
    } catch (IllegalArgumentException e) {
      throw new CliException(2, "ID must be a job id (a UUID), was '" + id + "'");
    }
  }

  /** {@code jobs show ID}. */
  @Command(
      name = "show",
      mixinStandardHelpOptions = true,
      description = "Shows one job with its kind, arguments (other kinds) and error history.")
  int show(
      @Mixin Cli.DatabaseOptions database,
      @Parameters(paramLabel = "ID", description = "the job id") String id) {
    UUID jobId = parseId(id);
    try (Cli.Opened opened = cli.openQueue(database)) {
      Job job = opened.queue().findJob(jobId).orElse(null);
      if (job == null) {
        return jobMissing(jobId);
      }
      print(cli.out(), job);
    }
    cli.out().flush();
    return 0;
  }

  /** {@code jobs replay ID}. */
  @Command(
      name = "replay",
      mixinStandardHelpOptions = true,
      description = "Returns a dead-lettered (failed) job to pending with fresh attempts.")
  int replay(
      @Mixin Cli.DatabaseOptions database,
      @Parameters(paramLabel = "ID", description = "the job id") String id) {
    return act(database, id, "replayed", "failed", JobQueue::replayJob);
  }

  /** {@code jobs cancel ID}. */
  @Command(
      name = "cancel",
      mixinStandardHelpOptions = true,
      description = "Cancels a pending or processing job.")
  int cancel(
      @Mixin Cli.DatabaseOptions database,
      @Parameters(paramLabel = "ID", description = "the job id") String id) {
    return act(database, id, "cancelled", "pending or processing", JobQueue::cancelJob);
  }

  /** {@code jobs pause KIND}. */
  @Command(
      name = "pause",
      mixinStandardHelpOptions = true,
      description = {
        "Pauses a kind across every worker: its jobs wait, pending, until resumed; running ones"
            + " finish. Enqueueing goes on."
      })
  int pause(
      @Mixin Cli.DatabaseOptions database,
      @Parameters(paramLabel = "KIND", description = "the kind, for example coding_session")
          String kind) {
    try (Cli.Opened opened = cli.openQueue(database)) {
      boolean newly = opened.queue().pauseKind(kind);
      cli.out().println(newly ? "paused " + kind : kind + " was paused already");
    }
    cli.out().flush();
    return 0;
  }

  /** {@code jobs resume KIND}. */
  @Command(
      name = "resume",
      mixinStandardHelpOptions = true,
      description = "Resumes a paused kind: workers claim its jobs again at their next claim.")
  int resume(
      @Mixin Cli.DatabaseOptions database,
      @Parameters(paramLabel = "KIND", description = "the kind") String kind) {
    try (Cli.Opened opened = cli.openQueue(database)) {
      boolean was = opened.queue().resumeKind(kind);
      cli.out().println(was ? "resumed " + kind : kind + " was not paused");
    }
    cli.out().flush();
    return 0;
  }

  /** {@code jobs prune --older-than AGE}. */
  @Command(
      name = "prune",
      mixinStandardHelpOptions = true,
      description = {
        "Deletes completed and cancelled jobs that finished more than AGE ago, in batches, to"
            + " keep the hot table small. Failed jobs stay for replay; statistics then count only"
            + " the jobs kept."
      })
  int prune(
      @Mixin Cli.DatabaseOptions database,
      @Option(
              names = "--older-than",
              required = true,
              paramLabel = "AGE",
              description = "for example 7d, 12h or PT30M")
          String olderThan) {
    return prune(database, olderThan, JobQueue::pruneFinishedJobs, "finished jobs");
  }

  private static void print(PrintWriter out, Job job) {
    out.println("job          " + job.id());
    out.println("kind         " + job.kind());
    out.println("session      " + (job.sessionId() == null ? "-" : job.sessionId()));
    out.println("status       " + job.status().dbValue());
    out.println(
        "tier         "
            + job.tier().name().toLowerCase(Locale.ROOT)
            + " (priority "
            + job.priority()
            + ")");
    out.println(
        "attempts     "
            + attempts(job)
            + " ("
            + job.retryCount()
            + " failed, "
            + job.maxAttempts()
            + " allowed)");
    if (job.prompt() != null) {
      out.println("prompt       " + Cli.excerpt(job.prompt(), 200));
    }
    if (!job.isCodingSession()) {
      out.println("args         " + job.argsJson());
    }
    out.println("created      " + job.createdAt());
    out.println("run at       " + job.runAt());
    out.println("started      " + (job.startedAt() == null ? "-" : job.startedAt()));
    out.println("finished     " + (job.completedAt() == null ? "-" : job.completedAt()));
    if (job.leaseOwner() != null) {
      out.println("held by      " + job.leaseOwner() + " until " + job.leaseExpiresAt());
    }
    if (job.idempotencyKey() != null) {
      out.println("key          " + job.idempotencyKey());
    }
    if (job.concurrencyKey() != null) {
      out.println("runs after   earlier unfinished jobs of key " + job.concurrencyKey());
    }
    out.println("last error   " + (job.errorMessage() == null ? "-" : job.errorMessage()));
    out.println("errors       " + (job.errors().isEmpty() ? "none" : ""));
    for (JobError e : job.errors()) {
      out.println(
          "  attempt "
              + e.attempt()
              + " at "
              + e.at()
              + (e.worker() == null ? "" : " on " + e.worker())
              + ": "
              + e.error());
    }
  }

  /**
   * Runs a state change on one job: 0 when it changed, 1 (with the job's current status) when the
   * job is missing or not in a state the change applies to.
   */
  private int act(
      Cli.DatabaseOptions database,
      String id,
      String done,
      String needs,
      BiPredicate<JobQueue, UUID> change) {
    UUID jobId = parseId(id);
    try (Cli.Opened opened = cli.openQueue(database)) {
      boolean changed;
      try {
        changed = change.test(opened.queue(), jobId);
      } catch (JobNotFoundException e) {
        return jobMissing(jobId);
      }
      if (!changed) {
        String now = opened.queue().findJob(jobId).map(j -> j.status().dbValue()).orElse("gone");
        cli.err()
            .println("error: job " + jobId + " is " + now + ", not " + needs + "; nothing changed");
        cli.err().flush();
        return 1;
      }
      cli.out().println(done + " " + jobId);
    }
    cli.out().flush();
    return 0;
  }

  private int jobMissing(UUID jobId) {
    cli.err().println("error: job " + jobId + " does not exist");
    cli.err().flush();
    return 1;
  }

  /** {@code jobs schedules}. */
  @Command(
      name = "schedules",
      mixinStandardHelpOptions = true,
      description = {
        "Lists the recurring jobs the workers registered: name, kind, expression and time zone,"
            + " the newest tick enqueued with its job, and the next tick."
      })
  int schedules(@Mixin Cli.DatabaseOptions database) {
    try (Cli.Opened opened = cli.openQueue(database)) {
      List<RegisteredSchedule> all = opened.queue().schedules();
      PrintWriter out = cli.out();
      if (all.isEmpty()) {
        out.println("no schedules");
      }
      for (RegisteredSchedule s : all) {
        out.println(
            s.name()
                + "  kind "
                + s.kind()
                + "  "
                + s.expression()
                + " ("
                + s.timeZone()
                + ")  last "
                + (s.lastTick() == null ? "-" : s.lastTick())
                + (s.lastJobId() == null ? "" : " job " + s.lastJobId())
                + "  next "
                + (s.nextTick() == null ? "-" : s.nextTick())
                + "  by "
                + (s.updatedBy() == null ? "-" : s.updatedBy()));
      }
    }
    cli.out().flush();
    return 0;
  }

  /** {@code jobs prune-dead-letters --older-than AGE}. */
  @Command(
      name = "prune-dead-letters",
      mixinStandardHelpOptions = true,
      description = {
        "Deletes dead letters (failed jobs) that failed more than AGE ago, in batches. Their"
            + " sessions and session events are kept."
      })
  int pruneDeadLetters(
      @Mixin Cli.DatabaseOptions database,
      @Option(
              names = "--older-than",
              required = true,
              paramLabel = "AGE",
              description = "for example 30d, 12h or PT30M")
          String olderThan) {
    return prune(database, olderThan, JobQueue::pruneDeadLetters, "dead letters");
  }

  /** Deletes what {@code prune} deletes that is older than the option says, and reports it. */
  private int prune(
      Cli.DatabaseOptions database,
      String olderThan,
      ToLongBiFunction<JobQueue, Duration> prune,
      String what) {
    Duration age = Cli.parseDuration("--older-than", olderThan);
    try (Cli.Opened opened = cli.openQueue(database)) {
      long deleted = prune.applyAsLong(opened.queue(), age);
      cli.out().println("pruned " + deleted + " " + what + " older than " + olderThan.strip());
    }
    cli.out().flush();
    return 0;
  }
}
