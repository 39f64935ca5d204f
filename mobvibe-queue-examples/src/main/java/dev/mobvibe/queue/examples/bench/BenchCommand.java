package dev.mobvibe.queue.examples.bench;

import dev.mobvibe.queue.DatabaseUrl;
import dev.mobvibe.queue.JobProcessor;
import dev.mobvibe.queue.SessionTracking;
import dev.mobvibe.queue.examples.Settings;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** The {@code bench} command: runs {@link Benchmark} and prints a table and one JSON line. */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = {
      "Measures drain throughput (B1; with --kind also for a job kind without sessions), pickup latency (B2), memory (B3), enqueue rate (B4),"
          + " the bare-SQL limit (L) and the idle cost, in a scratch database it creates and drops.",
      "Uses DATABASE_URL (a database whose user may create databases), else 127.0.0.1:5432 as"
          + " user postgres (password from PGPASSWORD)."
    })
public final class BenchCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Option(names = "--jobs", description = "B1 jobs per run (default ${DEFAULT-VALUE})")
  int jobs = Benchmark.Options.DEFAULT_JOBS;

  @Option(
      names = "--concurrency",
      split = ",",
      description = "B1 concurrencies (default ${DEFAULT-VALUE})")
  List<Integer> concurrencies = Benchmark.Options.DEFAULT_CONCURRENCIES;

  @Option(
      names = "--runs",
      description = "B1 runs per concurrency, median (default ${DEFAULT-VALUE})")
  int runs = Benchmark.Options.DEFAULT_RUNS;

  @Option(names = "--pickup-jobs", description = "B2 jobs (default ${DEFAULT-VALUE})")
  int pickupJobs = Benchmark.Options.DEFAULT_PICKUP_JOBS;

  @Option(names = "--pickup-rate", description = "B2 inserts per second (default ${DEFAULT-VALUE})")
  int pickupRate = Benchmark.Options.DEFAULT_PICKUP_RATE;

  @Option(names = "--enqueue-jobs", description = "B4 batch rows (default ${DEFAULT-VALUE})")
  int enqueueJobs = Benchmark.Options.DEFAULT_ENQUEUE_JOBS;

  @Option(
      names = "--no-sessions",
      description = "B1 worker without session tracking (--session-tracking OFF)")
  boolean noSessions;

  @Option(
      names = "--session-tracking",
      description =
          "B1 worker's session tracking: ${COMPLETION-CANDIDATES} (default: the processor's,"
              + " ${DEFAULT-VALUE})")
  SessionTracking sessionTracking = JobProcessor.DEFAULT_SESSION_TRACKING;

  @Option(
      names = "--prefetch",
      description = "B1 worker fixed prefetch, 0 to 1000 (default: the processor's auto prefetch)")
  int prefetch = -1;

  @Option(
      names = "--kind",
      description =
          "B1 also with jobs of kind "
              + Benchmark.BENCH_KIND
              + ": typed arguments, no sessions, no session bookkeeping (rows B1k, B3k)")
  boolean kind;

  @Option(
      names = "--shared-keys",
      paramLabel = "N",
      description =
          "B1 prompts share N concurrency keys, round robin (default 0: each prompt has its own"
              + " session, so its own key)")
  int sharedKeys;

  @Option(names = "--no-pickup", description = "skip B2")
  boolean noPickup;

  @Option(names = "--json-out", description = "also write the JSON line to this file")
  Path jsonOut;

  @Option(names = "--chart", description = "also draw drain and pickup charts to this PNG")
  Path chart;

  private final Map<String, String> env;
  private final Benchmark.NotifierFactory notifierFactory;

  /**
   * Creates the command.
   *
   * @param env the environment to read DATABASE_URL from
   * @param notifierFactory the LISTEN/NOTIFY notifier used by B2
   */
  public BenchCommand(Map<String, String> env, Benchmark.NotifierFactory notifierFactory) {
    this.env = env;
    this.notifierFactory = notifierFactory;
  }

  @Override
  public Integer call() throws Exception {
    String url = env.getOrDefault("DATABASE_URL", "");
    DatabaseUrl admin;
    if (url.isBlank()) {
      String pgPassword = env.get("PGPASSWORD");
      admin =
          DatabaseUrl.parse("jdbc:postgresql://127.0.0.1:5432/postgres")
              .withCredentials(
                  "postgres", pgPassword == null || pgPassword.isEmpty() ? null : pgPassword);
    } else {
      try {
        admin = DatabaseUrl.parse(url);
      } catch (IllegalArgumentException e) {
        throw new Settings.Invalid("DATABASE_URL: " + e.getMessage());
      }
    }
    var out = spec.commandLine().getOut();
    Benchmark.Options options;
    try {
      options =
          new Benchmark.Options(
              admin.jdbcUrl(),
              admin.user().orElse(null),
              admin.password().orElse(null),
              jobs,
              concurrencies,
              runs,
              pickupJobs,
              pickupRate,
              enqueueJobs,
              noSessions ? SessionTracking.OFF : sessionTracking,
              prefetch,
              kind,
              sharedKeys,
              noPickup ? null : notifierFactory);
    } catch (IllegalArgumentException e) {
      throw new Settings.Invalid(e.getMessage()); // exit code 2, as for every bad argument
    }
    var progress = new PrintStream(System.err, true, StandardCharsets.UTF_8);
    progress.println("bench against " + DatabaseUrl.redact(admin.jdbcUrl()));
    BenchResult result = new Benchmark(options, progress).run();
    out.println();
    out.print(result.table());
    String json = result.json();
    out.println(json);
    out.flush();
    if (jsonOut != null) {
      Files.writeString(jsonOut, json + "\n", StandardCharsets.UTF_8);
    }
    if (chart != null) {
      BenchChart.write(result, chart);
    }
    return 0;
  }
}
