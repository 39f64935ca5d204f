package dev.mobvibe.queue.examples;

import dev.mobvibe.queue.examples.bench.BenchCommand;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The reference worker's entry point, {@code java -jar mobvibe-worker.jar [COMMAND] [OPTIONS]}.
 * With no command, or with options only, it runs {@code worker}.
 *
 * <p>Exit codes: 0 success (also a graceful stop on SIGTERM/SIGINT), 1 failure, 2 bad configuration
 * or usage; the error is one line on standard error and never holds a secret.
 */
@Command(
    name = "mobvibe-worker",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = {
      "MobVibe queue: the reference worker and its tools, on PostgreSQL.",
      "Without a command it runs the worker. Start with: demo"
    },
    footer = {
      "",
      "Environment: DATABASE_URL, PGPASSWORD, SUPABASE_URL, SUPABASE_SERVICE_ROLE_KEY,"
          + " POLL_INTERVAL_MS, MONITOR_INTERVAL_MS, MAX_CONCURRENT_JOBS, SHUTDOWN_TIMEOUT_MS,"
          + " HEALTH_CHECK_PORT, HEALTH_BIND_ADDRESS, LOG_LEVEL, JOB_LEASE_MS, REAP_GRACE_MS,"
          + " JOB_TIMEOUT_MS, FAIRNESS_BOUND_MS, MAX_RUNNING_SESSIONS,"
          + " QUEUE_SCHEMA, WORKER_ID, DASHBOARD_TOKEN, DASHBOARD_BIND."
    })
public final class Main implements Runnable {

  private static final Set<String> TOP_LEVEL_FLAGS = Set.of("-h", "--help", "-V", "--version");

  private Main() {}

  /**
   * Runs the CLI and exits with its code.
   *
   * @param args the arguments
   */
  public static void main(String[] args) {
    PrintWriter out =
        new PrintWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), true);
    PrintWriter err =
        new PrintWriter(new OutputStreamWriter(System.err, StandardCharsets.UTF_8), true);
    int code = run(new Cli(System.getenv(), out, err, true), args);
    out.flush();
    err.flush();
    System.exit(code);
  }

  /**
   * Runs the CLI in this JVM and returns its exit code (what tests call).
   *
   * @param cli the environment and streams
   * @param args the arguments
   * @return the exit code
   */
  static int run(Cli cli, String... args) {
    return commandLine(cli).execute(withDefaultCommand(args));
  }

  /**
   * The command line with every subcommand. To add one, add one line here.
   *
   * @param cli the environment and streams the commands use
   * @return the command line, ready to execute
   */
  static CommandLine commandLine(Cli cli) {
    CommandLine cl = new CommandLine(new Main());
    cl.addSubcommand(new WorkerCommand(cli));
    cl.addSubcommand(new EnqueueCommand(cli));
    cl.addSubcommand(new StatsCommand(cli));
    cl.addSubcommand(new MigrateCommand(cli));
    cl.addSubcommand(new JobsCommand(cli));
    cl.addSubcommand(new DemoCommand(cli));
    cl.addSubcommand(new DashboardCommand(cli));
    cl.addSubcommand(new BenchCommand(cli.env(), Notifiers::postgres));
    cl.setOut(cli.out());
    cl.setErr(cli.err());
    cl.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          if (e instanceof Settings.Invalid) {
            return fail(cli, 2, e.getMessage());
          }
          if (e instanceof CliException c) {
            return fail(cli, c.exitCode(), c.getMessage());
          }
          LoggerFactory.getLogger(Main.class).debug("command failed", e);
          return fail(cli, 1, e.getClass().getSimpleName() + ": " + e.getMessage());
        });
    return cl;
  }

  private static int fail(Cli cli, int code, String message) {
    cli.err().println("error: " + message);
    cli.err().flush();
    return code;
  }

  /** With no command (nothing, or options only), the command is {@code worker}. */
  static String[] withDefaultCommand(String[] args) {
    if (args.length == 0 || (args[0].startsWith("-") && !TOP_LEVEL_FLAGS.contains(args[0]))) {
      List<String> list = new ArrayList<>(args.length + 1);
      list.add("worker");
      list.addAll(Arrays.asList(args));
      return list.toArray(String[]::new);
    }
    return args;
  }

  @Override
  public void run() {
    // Unreachable: withDefaultCommand always names a subcommand.
    throw new CommandLine.ParameterException(
        new CommandLine(this),
        "name a command: worker, enqueue, stats, migrate, jobs, demo or bench");
  }

  /** The version from the jar's manifest, when there is one. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Main.class.getPackage().getImplementationVersion();
      return new String[] {"mobvibe-worker " + (v == null ? "(development build)" : v)};
    }
  }
}
