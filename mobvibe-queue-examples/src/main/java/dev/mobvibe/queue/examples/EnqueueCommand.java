package dev.mobvibe.queue.examples;

import dev.mobvibe.queue.Job;
import dev.mobvibe.queue.JobQueue;
import dev.mobvibe.queue.NewJob;
import dev.mobvibe.queue.PlanTier;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The {@code enqueue} command: what the seed's {@code start-coding-session} function does, from the
 * shell. Each job gets its own new coding session; prints the job ids, one per line.
 */
@Command(
    name = "enqueue",
    mixinStandardHelpOptions = true,
    description = {
      "Creates coding sessions and their jobs, as the seed's start-coding-session function does,"
          + " and prints the job ids, one per line."
    })
final class EnqueueCommand implements Callable<Integer> {

  @Mixin Cli.DatabaseOptions database = new Cli.DatabaseOptions();

  @Option(
      names = "--prompt",
      paramLabel = "TEXT",
      description = "the prompt (default \"${DEFAULT-VALUE}\")")
  String prompt = "Build a todo app with React";

  @Option(
      names = "--tier",
      paramLabel = "TIER",
      description = "plan tier: pro (priority 10), starter (5) or free (0); default free")
  String tier = "free";

  @Option(
      names = "--count",
      paramLabel = "N",
      description = "how many jobs, 1 to 10000 (default ${DEFAULT-VALUE})")
  int count = 1;

  @Option(
      names = "--delay",
      paramLabel = "DURATION",
      description = "run no earlier than this from now: 500ms, 30s, 5m, 1h, 1d or PT1M")
  String delay;

  @Option(
      names = "--max-attempts",
      paramLabel = "N",
      description = "attempts before the dead letter, 1 to 100 (default ${DEFAULT-VALUE})")
  int maxAttempts = NewJob.DEFAULT_MAX_ATTEMPTS;

  private final Cli cli;

  EnqueueCommand(Cli cli) {
    this.cli = cli;
  }

  @Override
  public Integer call() {
    PlanTier planTier = parseTier(tier);
    Duration wait = delay == null ? Duration.ZERO : Cli.parseDuration("--delay", delay);
    if (count < 1 || count > JobQueue.MAX_BATCH_SIZE) {
      throw new CliException(
          2, "--count must be between 1 and " + JobQueue.MAX_BATCH_SIZE + ", was " + count);
    }
    List<NewJob> jobs = new ArrayList<>(count);
    try {
      for (int i = 0; i < count; i++) {
        jobs.add(
            NewJob.builder(prompt).tier(planTier).delay(wait).maxAttempts(maxAttempts).build());
      }
    } catch (IllegalArgumentException e) {
      throw new CliException(2, e.getMessage());
    }
    try (Cli.Opened opened = cli.openQueue(database)) {
      opened.queue().migrate();
      for (Job job : opened.queue().enqueueAll(jobs)) {
        cli.out().println(job.id());
      }
    }
    cli.out().flush();
    return 0;
  }

  static PlanTier parseTier(String value) {
    try {
      return PlanTier.valueOf(value.strip().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new CliException(2, "--tier must be pro, starter or free, was '" + value + "'");
    }
  }
}
