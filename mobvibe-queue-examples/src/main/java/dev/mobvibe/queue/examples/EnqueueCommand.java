package dev.mobvibe.queue.examples;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mobvibe.queue.Job;
import dev.mobvibe.queue.JobQueue;
import dev.mobvibe.queue.NewJob;
import dev.mobvibe.queue.PlanTier;
import dev.mobvibe.queue.QueueException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The {@code enqueue} command: what the seed's {@code start-coding-session} function does, from the
 * shell. Each job gets its own new coding session, or joins the one {@code --session} names; with
 * {@code --kind} and {@code --args} it enqueues jobs of another kind with raw JSON arguments.
 * Prints the job ids, one per line.
 */
@Command(
    name = "enqueue",
    mixinStandardHelpOptions = true,
    description = {
      "Creates coding sessions and their jobs, as the seed's start-coding-session function does,"
          + " and prints the job ids, one per line.",
      "With --session the jobs join an existing session (needed on a database whose"
          + " coding_sessions requires columns such as user_id). With --kind (and --args) they are"
          + " jobs of another kind, such as send_email, with a JSON object as arguments."
    })
final class EnqueueCommand implements Callable<Integer> {

  /** The prompt of a coding-session job when {@code --prompt} is not given. */
  static final String DEFAULT_PROMPT = "Build a todo app with React";

  /** Reads {@code --args}; text after the object is an error, not ignored. */
  private static final ObjectMapper JSON =
      JsonMapper.builder().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).build();

  @Mixin Cli.DatabaseOptions database = new Cli.DatabaseOptions();

  @Option(
      names = "--prompt",
      paramLabel = "TEXT",
      description = "the prompt of a coding session (default \"" + DEFAULT_PROMPT + "\")")
  String prompt;

  @Option(
      names = "--session",
      paramLabel = "UUID",
      description = "an existing coding session the jobs join (default: a new one per job)")
  String session;

  @Option(
      names = "--kind",
      paramLabel = "KIND",
      description =
          "the jobs' kind (default coding_session); another kind, such as send_email, takes"
              + " --args instead of a prompt and belongs to no session")
  String kind;

  @Option(
      names = "--args",
      paramLabel = "JSON",
      description = "the arguments of a job of --kind, a JSON object (default {})")
  String args;

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
    UUID sessionId = session == null ? null : parseSession(session);
    RawJsonArgs jobArgs = jobArgs(sessionId);
    List<NewJob> jobs = new ArrayList<>(count);
    try {
      for (int i = 0; i < count; i++) {
        NewJob.Builder b =
            jobArgs == null
                ? NewJob.builder(prompt == null ? DEFAULT_PROMPT : prompt).sessionId(sessionId)
                : NewJob.builder(jobArgs);
        jobs.add(b.tier(planTier).delay(wait).maxAttempts(maxAttempts).build());
      }
    } catch (IllegalArgumentException e) {
      throw new CliException(2, e.getMessage());
    }
    try (Cli.Opened opened = cli.openQueue(database)) {
      opened.queue().migrate();
      for (Job job : opened.queue().enqueueAll(jobs)) {
        cli.out().println(job.id());
      }
    } catch (QueueException e) {
      if ("23502".equals(e.sqlState()) && jobArgs == null && sessionId == null) {
        // A database whose sessions need more than the queue can fill (the seed's user_id).
        throw new CliException(1, e.getMessage() + "; here: enqueue --session <id>");
      }
      throw e;
    }
    cli.out().flush();
    return 0;
  }

  /**
   * The raw arguments of a job of {@code --kind}, or null for a coding session; refuses the
   * combinations that make no sense.
   */
  private RawJsonArgs jobArgs(UUID sessionId) {
    boolean codingSession = kind == null || kind.strip().equals(NewJob.CODING_SESSION_KIND);
    if (codingSession) {
      if (args != null) {
        throw new CliException(
            2,
            "--args belongs to a job of another --kind; a "
                + NewJob.CODING_SESSION_KIND
                + " job takes --prompt");
      }
      return null;
    }
    if (prompt != null) {
      throw new CliException(
          2,
          "--prompt belongs to a "
              + NewJob.CODING_SESSION_KIND
              + " job; a job of --kind "
              + kind
              + " takes --args");
    }
    if (sessionId != null) {
      throw new CliException(
          2,
          "--session belongs to a "
              + NewJob.CODING_SESSION_KIND
              + " job; a job of --kind "
              + kind
              + " belongs to no session");
    }
    return new RawJsonArgs(kind.strip(), parseArgs(args == null ? "{}" : args));
  }

  static ObjectNode parseArgs(String value) {
    JsonNode node;
    try {
      node = JSON.readTree(value);
    } catch (JsonProcessingException e) {
      node = null;
    }
    if (node instanceof ObjectNode object) {
      return object;
    }
    throw new CliException(
        2,
        "--args must be a JSON object such as {\"to\": \"ada@example.com\"}, was '" + value + "'");
  }

  static UUID parseSession(String value) {
    try {
      return UUID.fromString(value.strip());
    } catch (IllegalArgumentException e) {
      throw new CliException(2, "--session must be a session id (a UUID), was '" + value + "'");
    }
  }

  static PlanTier parseTier(String value) {
    try {
      return PlanTier.valueOf(value.strip().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new CliException(2, "--tier must be pro, starter or free, was '" + value + "'");
    }
  }
}
