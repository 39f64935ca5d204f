package dev.mobvibe.queue.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mobvibe.queue.JobArgs;
import dev.mobvibe.queue.JobQueue;
import dev.mobvibe.queue.NewJob;
import dev.mobvibe.queue.PlanTier;
import dev.mobvibe.queue.testing.TestDatabase;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@code GET /health} and {@code GET /metrics} of a running worker, over HTTP. */
class HealthEndpointTest {
  /** A kind the example worker has no handler for. */
  record Reindex(String index) implements JobArgs {
    @Override
    public String kind() {
      return "reindex";
    }
  }

  @RegisterExtension static final TestDatabase db = new TestDatabase();

  private static final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private static HttpResponse<String> get(String url) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void healthAndMetricsShowTheWorkersRealFigures() throws Exception {
    JobQueue queue = db.migratedQueue();
    try (BackgroundWorker worker =
        BackgroundWorker.start(
            CliRunner.env(db), "--work-ms", "30", "--worker-id", "health-test")) {
      HttpResponse<String> first = get(worker.url("/health"));
      assertThat(first.statusCode()).isEqualTo(200);
      assertThat(first.headers().firstValue("Content-Type")).contains("application/json");

      for (PlanTier tier : new PlanTier[] {PlanTier.PRO, PlanTier.PRO, PlanTier.FREE}) {
        queue.enqueue(NewJob.builder("Health check job").tier(tier).build());
      }
      await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> queue.getQueueStats().completedCount() == 3);
      // The monitor (every 100 ms) has read the statistics after the jobs completed.
      await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(
              () -> {
                JsonNode h = new ObjectMapper().readTree(get(worker.url("/health")).body());
                assertThat(h.get("queue").get("completed").asLong()).isEqualTo(3);
              });
      HttpResponse<String> health = get(worker.url("/health"));
      assertThat(health.statusCode()).isEqualTo(200);
      JsonNode json = new ObjectMapper().readTree(health.body());
      assertThat(json.get("workerId").asText()).isEqualTo("health-test");
      assertThat(json.get("status").asText()).isEqualTo("running");
      assertThat(json.get("database").asText()).isEqualTo("up");
      assertThat(json.get("runningJobs").asInt()).isZero();
      assertThat(json.get("notifier").asText()).isEqualTo("pg"); // the database accepts LISTEN
      assertThat(json.get("notifierState").asText()).isEqualTo("LISTENING");
      assertThat(json.get("lastSuccessfulPoll").asText()).matches("\\d{4}-\\d\\d-\\d\\dT.*Z");
      assertThat(json.get("queueHealth").asText()).isEqualTo("HEALTHY");

      HttpResponse<String> metrics = get(worker.url("/metrics"));
      assertThat(metrics.statusCode()).isEqualTo(200);
      assertThat(metrics.headers().firstValue("Content-Type").orElse("")).startsWith("text/plain");
      String text = metrics.body();
      assertThat(text)
          .contains("mobvibe_jobs_started_total{tier=\"pro\"} 2.0")
          .contains("mobvibe_jobs_succeeded_total{tier=\"pro\"} 2.0")
          .contains("mobvibe_jobs_succeeded_total{tier=\"free\"} 1.0")
          .contains("mobvibe_jobs_dead_lettered_total{tier=\"free\"} 0.0")
          .contains("mobvibe_jobs_lost_total{tier=\"pro\"} 0.0")
          .contains("mobvibe_job_duration_seconds_bucket{outcome=\"succeeded\",tier=\"pro\",le=")
          .contains("mobvibe_job_duration_seconds_count{outcome=\"succeeded\",tier=\"pro\"} 2")
          .contains("mobvibe_job_claim_to_start_seconds_bucket{tier=\"free\",le=")
          .contains("mobvibe_queue_jobs{status=\"completed\"} 3.0")
          .contains("mobvibe_queue_jobs{status=\"pending\"} 0.0")
          .contains("mobvibe_queue_pending{tier=\"pro\"} 0.0")
          .contains("mobvibe_worker_running_jobs 0.0")
          .contains("mobvibe_worker_concurrency 10.0");
      assertThat(text)
          .contains("mobvibe_notifier_state{state=\"listening\"} 1.0")
          .contains("mobvibe_notifier_reconnects_total 0.0")
          .contains("jvm_memory_used_bytes");
      // A kind this worker has no handler for waits, counted under its own name.
      queue.enqueue(NewJob.of(new Reindex("docs")));
      await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(
              () -> {
                JsonNode kinds =
                    new ObjectMapper().readTree(get(worker.url("/health")).body()).get("kinds");
                assertThat(kinds.get("coding_session").get("completed").asLong()).isEqualTo(3);
                assertThat(kinds.get("reindex").get("pending").asLong()).isEqualTo(1);
              });
      await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(
              () ->
                  assertThat(get(worker.url("/metrics")).body())
                      .contains("mobvibe_queue_kind_jobs{kind=\"reindex\",status=\"pending\"} 1.0")
                      .contains(
                          "mobvibe_queue_kind_jobs{kind=\"coding_session\",status=\"pending\"} 0.0"));

      assertThat(get(worker.url("/nothing")).statusCode()).isEqualTo(404);

      // Cut the listener's connection: the notifier reconnects and the metric counts it.
      db.execute(
          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
              + " WHERE application_name = 'mobvibe-worker-listener' AND datname = current_database()");
      await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(
              () ->
                  assertThat(get(worker.url("/metrics")).body())
                      .contains("mobvibe_notifier_reconnects_total 1.0"));
    }
  }

  @Test
  void aClientThatSendsHalfARequestDoesNotStopTheNextOne() throws Exception {
    db.migratedQueue();
    try (BackgroundWorker worker =
            BackgroundWorker.start(CliRunner.env(db), "--notifier", "poll", "--no-migrate");
        Socket stalled = new Socket()) {
      assertThat(worker.command().healthAddress().isLoopbackAddress()).isTrue();
      stalled.connect(
          new InetSocketAddress(worker.command().healthAddress(), worker.command().healthPort()),
          5_000);
      stalled
          .getOutputStream()
          .write("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n".getBytes(StandardCharsets.US_ASCII));
      stalled.getOutputStream().flush();
      // With one thread, this waited for the stalled client for ever.
      HttpResponse<String> answer =
          http.send(
              HttpRequest.newBuilder(URI.create(worker.url("/health")))
                  .timeout(Duration.ofSeconds(5))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(answer.statusCode()).isEqualTo(200);
    }
  }

  @Test
  void anAddressOfAnotherMachineStopsTheWorkerWithExitCodeTwo() {
    db.migratedQueue();
    // 192.0.2.1 is reserved for documentation: never an address of this machine.
    CliRunner.Result r =
        CliRunner.run(
            CliRunner.env(db), "worker", "--health-bind-address", "192.0.2.1", "--no-migrate");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err())
        .startsWith("error: HEALTH_CHECK_PORT 0 on HEALTH_BIND_ADDRESS 192.0.2.1 cannot be used: ");
    assertThat(r.err().lines()).hasSize(1);
  }

  @Test
  void healthAnswers503WhenTheDatabaseIsUnreachable() throws Exception {
    Map<String, String> env = new HashMap<>(CliRunner.env(db));
    // Nothing listens on port 1: every connection attempt fails.
    env.put("DATABASE_URL", "postgresql://nobody:secret-pw@127.0.0.1:1/nothing");
    try (BackgroundWorker worker =
        BackgroundWorker.start(
            env, "--no-migrate", "--notifier", "poll", "--shutdown-timeout-ms", "0")) {
      HttpResponse<String> health = get(worker.url("/health"));
      assertThat(health.statusCode()).isEqualTo(503);
      JsonNode json = new ObjectMapper().readTree(health.body());
      assertThat(json.get("database").asText()).isEqualTo("down");
      assertThat(json.get("status").asText()).isEqualTo("database_unreachable");
      // No host, user or server message for whoever reaches the port: the log has them.
      assertThat(json.get("databaseError").asText()).isEqualTo(WorkerCommand.DATABASE_ERROR);
      assertThat(health.body())
          .doesNotContain("secret-pw")
          .doesNotContain("127.0.0.1")
          .doesNotContain("nobody");
      assertThat(get(worker.url("/metrics")).statusCode()).isEqualTo(200);
    }
  }

  @Test
  void theReasonGoesToTheLogOncePerChangeNeverToTheCallerAndNeverWithThePassword()
      throws Exception {
    db.migratedQueue();
    URI server = URI.create(db.jdbcUrl().substring("jdbc:".length()));
    try (TcpRelay relay =
            new TcpRelay(server.getHost(), server.getPort() < 0 ? 5432 : server.getPort());
        LogCapture logs = LogCapture.start()) {
      String url =
          CliRunner.databaseUrl(db).replaceFirst("//[^/]+/", "//127.0.0.1:" + relay.port() + "/");
      // The server's password, or one a trusting server ignores: either way, a secret.
      String password = db.password();
      if (password == null) {
        password = "pw-" + UUID.randomUUID();
        url += (url.contains("?") ? "&" : "?") + "password=" + password;
      }
      Map<String, String> env = new HashMap<>(CliRunner.env(db));
      env.put("DATABASE_URL", url);
      String warning = "the database does not answer";
      try (BackgroundWorker worker =
          BackgroundWorker.start(
              env, "--no-migrate", "--notifier", "poll", "--worker-id", "relay-test")) {
        assertThat(get(worker.url("/health")).statusCode()).isEqualTo(200);

        relay.cut();
        await()
            .atMost(Duration.ofSeconds(30))
            .until(() -> get(worker.url("/health")).statusCode() == 503);
        HttpResponse<String> down = get(worker.url("/health"));
        JsonNode json = new ObjectMapper().readTree(down.body());
        assertThat(json.get("databaseError").asText()).isEqualTo(WorkerCommand.DATABASE_ERROR);
        assertThat(down.body()).doesNotContain(password).doesNotContain("127.0.0.1");
        assertThat(logs.warnings(warning))
            .singleElement()
            .asString()
            .contains("/health reports 503 until it does: ");

        // Probed again and again while it stays down: still the one line.
        await()
            .during(Duration.ofSeconds(3))
            .atMost(Duration.ofSeconds(20))
            .until(
                () ->
                    get(worker.url("/health")).statusCode() == 503
                        && logs.warnings(warning).size() == 1);

        relay.restore();
        await()
            .atMost(Duration.ofSeconds(60))
            .until(() -> get(worker.url("/health")).statusCode() == 200);
        assertThat(get(worker.url("/health")).statusCode()).isEqualTo(200);
        assertThat(logs.lines())
            .filteredOn(l -> l.contains("the database answers again"))
            .singleElement()
            .asString()
            .startsWith("INFO ");
      }
      // At most one more line for the outage: the pool's own reason, once it was known.
      assertThat(logs.warnings(warning).size() + logs.warnings("still does not answer").size())
          .isBetween(1, 2);
      // (A short password of a server that asks for one could be part of any word: unchecked.)
      final String secret = password;
      if (secret.length() >= 12) {
        assertThat(logs.lines()).noneMatch(l -> l.contains(secret));
      }
    }
  }
}
