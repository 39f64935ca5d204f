package dev.mobvibe.queue.examples;

import dev.mobvibe.queue.dashboard.Dashboard;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The {@code dashboard} command: the web dashboard alone, on its own port, against DATABASE_URL,
 * until SIGTERM/SIGINT. It needs DASHBOARD_TOKEN and listens on 127.0.0.1 unless told otherwise.
 */
@Command(
    name = "dashboard",
    mixinStandardHelpOptions = true,
    description = {
      "Serves the web dashboard (counts, throughput, workers, jobs, dead letters with replay)"
          + " on its own port until SIGTERM/SIGINT.",
      "Needs DASHBOARD_TOKEN (at least 16 characters): the login and the Bearer token of"
          + " scripts. Listens on 127.0.0.1 unless --bind or DASHBOARD_BIND says otherwise."
    })
final class DashboardCommand implements Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger(DashboardCommand.class);

  /** The port unless {@code --port} says otherwise. */
  static final int DEFAULT_PORT = 8081;

  @Mixin Cli.DatabaseOptions database = new Cli.DatabaseOptions();

  @Option(
      names = "--port",
      description = "port to listen on (default " + DEFAULT_PORT + "; 0: any free port)")
  int port = DEFAULT_PORT;

  @Option(
      names = "--bind",
      description =
          "overrides DASHBOARD_BIND: address to listen on (default 127.0.0.1: this machine only)")
  String bind;

  private final Cli cli;
  private final CountDownLatch stopRequested = new CountDownLatch(1);
  private final CountDownLatch stopped = new CountDownLatch(1);
  private final CountDownLatch ready = new CountDownLatch(1);
  private volatile Dashboard.Server server;

  DashboardCommand(Cli cli) {
    this.cli = cli;
  }

  @Override
  public Integer call() throws InterruptedException {
    if (port < 0 || port > 65_535) {
      throw new CliException(2, "--port must be between 0 and 65535, was " + port);
    }
    Map<String, String> flags = database.flags();
    Cli.put(flags, Settings.DASHBOARD_BIND, bind);
    Settings settings = cli.settings(flags);
    String token =
        settings
            .dashboardToken()
            .orElseThrow(
                () ->
                    new CliException(
                        2, "DASHBOARD_TOKEN is required: the secret that opens the dashboard"));
    Thread hook = installHook();
    try (Cli.Opened opened = cli.openQueue(database)) {
      Dashboard dashboard = Dashboard.builder(opened.queue()).token(token).build();
      try (Dashboard.Server s = dashboard.start(settings.dashboardBind(), port)) {
        server = s;
        log.info("dashboard on http://{}:{}/", hostText(settings.dashboardBind()), s.port());
        cli.out()
            .println(
                "dashboard on http://" + hostText(settings.dashboardBind()) + ":" + s.port() + "/");
        cli.out().flush();
        ready.countDown();
        stopRequested.await();
      } catch (UncheckedIOException e) {
        throw new CliException(
            2,
            "DASHBOARD_BIND "
                + settings.dashboardBind()
                + " port "
                + port
                + " cannot be used: "
                + e.getCause().getMessage());
      }
      return 0;
    } finally {
      stopped.countDown();
      if (hook != null) {
        try {
          Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
          // shutting down: the hook is running
        }
      }
    }
  }

  private static String hostText(String host) {
    return host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
  }

  private Thread installHook() {
    if (!cli.ownsJvm()) {
      return null;
    }
    Thread t =
        new Thread(
            () -> {
              stopRequested.countDown();
              try {
                stopped.await(10, TimeUnit.SECONDS);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            },
            "mobvibe-dashboard-shutdown");
    Runtime.getRuntime().addShutdownHook(t);
    return t;
  }

  /**
   * Asks the command to stop, as SIGTERM would.
   *
   * @return this command
   */
  DashboardCommand requestStop() {
    stopRequested.countDown();
    return this;
  }

  /**
   * Waits until the dashboard listens.
   *
   * @param timeout how long to wait
   * @return true when listening
   * @throws InterruptedException if interrupted
   */
  boolean awaitReady(Duration timeout) throws InterruptedException {
    return ready.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /**
   * The running server, once ready.
   *
   * @return the server
   */
  Dashboard.Server server() {
    return server;
  }
}
