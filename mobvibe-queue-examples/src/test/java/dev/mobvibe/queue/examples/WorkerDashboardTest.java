package dev.mobvibe.queue.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mobvibe.queue.NewJob;
import dev.mobvibe.queue.test.MobVibeQueueExtension;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import picocli.CommandLine;

/**
 * The dashboard in the reference worker: at {@code /dashboard} on the health port when
 * DASHBOARD_TOKEN is set, and alone with the {@code dashboard} command.
 */
class WorkerDashboardTest {
  @RegisterExtension static final MobVibeQueueExtension mvq = MobVibeQueueExtension.create();

  static final String TOKEN = "worker-dashboard-token-0123456789";

  static final HttpClient http =
      HttpClient.newBuilder()
          .connectTimeout(Duration.ofSeconds(5))
          .followRedirects(HttpClient.Redirect.NEVER)
          .build();

  static HttpResponse<String> get(String url, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10));
    if (headers.length > 0) {
      b.headers(headers);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** The worker's environment on the extension's database. */
  static Map<String, String> env() throws SQLException {
    String url;
    String user;
    try (Connection c = mvq.dataSource().getConnection()) {
      url = c.getMetaData().getURL();
      user = c.getMetaData().getUserName();
    }
    Map<String, String> env = new HashMap<>();
    env.put("DATABASE_URL", url + (url.contains("?") ? "&" : "?") + "user=" + user);
    env.put("POLL_INTERVAL_MS", "50");
    env.put("MONITOR_INTERVAL_MS", "100");
    env.put("HEALTH_CHECK_PORT", "0");
    env.put("HEALTH_BIND_ADDRESS", "127.0.0.1");
    env.put("SHUTDOWN_TIMEOUT_MS", "5000");
    return env;
  }

  @Test
  void theWorkerServesTheDashboardWhenTheTokenIsSet() throws Exception {
    mvq.queue().enqueue(NewJob.builder("dashboard job").delay(Duration.ofHours(1)).build());
    Map<String, String> env = env();
    env.put("DASHBOARD_TOKEN", TOKEN);
    try (BackgroundWorker worker = BackgroundWorker.start(env, "--work-ms", "10")) {
      assertThat(get(worker.url("/dashboard/api/overview")).statusCode()).isEqualTo(401);
      HttpResponse<String> page = get(worker.url("/dashboard/"));
      assertThat(page.statusCode()).isEqualTo(303);
      assertThat(page.headers().firstValue("Location")).hasValue("/dashboard/login");
      HttpResponse<String> overview =
          get(worker.url("/dashboard/api/overview"), "Authorization", "Bearer " + TOKEN);
      assertThat(overview.statusCode()).isEqualTo(200);
      assertThat(overview.body())
          .contains("\"pending\":{\"total\":1")
          .contains("\"notifier\":\"LISTENING\"");
      assertThat(get(worker.url("/health")).statusCode()).isEqualTo(200);
      assertThat(worker.err().toString()).doesNotContain(TOKEN);
    }
  }

  @Test
  void withoutTheTokenTheWorkerServesNoDashboard() throws Exception {
    try (BackgroundWorker worker = BackgroundWorker.start(env(), "--work-ms", "10")) {
      assertThat(get(worker.url("/dashboard/")).statusCode()).isEqualTo(404);
    }
  }

  @Test
  void theDashboardCommandListensOnThisMachineOnly() throws Exception {
    Map<String, String> env = env();
    env.put("DASHBOARD_TOKEN", TOKEN);
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    DashboardCommand command = new DashboardCommand(CliRunner.cli(env, out, err));
    CommandLine cl = new CommandLine(command);
    cl.setErr(new PrintWriter(err, true));
    CompletableFuture<Integer> exit =
        CompletableFuture.supplyAsync(() -> cl.execute("--port", "0"));
    boolean ready = false;
    while (!ready && !exit.isDone()) {
      ready = command.awaitReady(Duration.ofMillis(100));
    }
    assertThat(ready).as("dashboard did not start: %s", err).isTrue();
    try {
      assertThat(command.server().address().isLoopbackAddress()).isTrue();
      String root = "http://127.0.0.1:" + command.server().port();
      assertThat(get(root + "/jobs").statusCode()).isEqualTo(303);
      assertThat(get(root + "/jobs", "Authorization", "Bearer " + TOKEN).statusCode())
          .isEqualTo(200);
      assertThat(out.toString()).contains("dashboard on http://127.0.0.1:").doesNotContain(TOKEN);
    } finally {
      command.requestStop();
    }
    assertThat(exit.get(30, TimeUnit.SECONDS)).isZero();
  }

  @Test
  void theDashboardCommandNeedsAGoodToken() throws Exception {
    Map<String, String> env = env();
    CliRunner.Result missing = CliRunner.run(env, "dashboard", "--port", "0");
    assertThat(missing.code()).isEqualTo(2);
    assertThat(missing.err()).contains("DASHBOARD_TOKEN is required");

    env.put("DASHBOARD_TOKEN", "too-short-7");
    CliRunner.Result shortToken = CliRunner.run(env, "dashboard", "--port", "0");
    assertThat(shortToken.code()).isEqualTo(2);
    assertThat(shortToken.err()).contains("DASHBOARD_TOKEN").doesNotContain("too-short-7");
  }
}
