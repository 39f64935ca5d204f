package dev.mobvibe.queue.spring.example;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.jayway.jsonpath.JsonPath;
import dev.mobvibe.queue.JobQueue;
import dev.mobvibe.queue.JobStatus;
import dev.mobvibe.queue.testing.TestDatabase;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The example application on a real PostgreSQL database of its own: sign-ups over HTTP enqueue a
 * welcome e-mail that the auto-configured processor runs; a refused sign-up leaves neither row nor
 * job; Actuator shows the queue's health.
 */
// Registered before SpringExtension: the database exists before the context and is dropped after
// the context (with its processor and pool) is closed.
@ExtendWith(ExampleApplicationTest.DatabaseAroundContext.class)
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "spring.sql.init.mode=always",
      "spring.sql.init.schema-locations=classpath:example/schema.sql",
      "mobvibe.queue.poll-interval=200ms",
      "mobvibe.queue.monitor.interval=500ms",
      "mobvibe.queue.processor.shutdown-timeout=5s",
      "management.endpoint.health.show-details=always"
    })
@DirtiesContext
class ExampleApplicationTest {
  private static final TestDatabase db = new TestDatabase();
  private static final HttpClient http = HttpClient.newHttpClient();

  @LocalServerPort int port;
  @Autowired JobQueue queue;
  @Autowired JdbcTemplate jdbc;
  @Autowired WelcomeEmailHandler handler;

  static final class DatabaseAroundContext implements BeforeAllCallback, AfterAllCallback {
    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
      db.open(ExampleApplicationTest.class);
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
      db.close();
    }
  }

  @DynamicPropertySource
  static void database(DynamicPropertyRegistry registry) {
    registry.add("spring.datasource.url", db::jdbcUrl);
    if (db.user() != null) {
      registry.add("spring.datasource.username", db::user);
    }
    if (db.password() != null) {
      registry.add("spring.datasource.password", db::password);
    }
  }

  @Test
  void aSignupOverHttpRunsItsWelcomeEmail() throws Exception {
    HttpResponse<String> response = post("/signups?email=ada@example.com");

    assertThat(response.statusCode()).isEqualTo(202);
    UUID jobId = UUID.fromString(response.body().replaceAll(".*\"jobId\":\"([^\"]+)\".*", "$1"));
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> queue.findJob(jobId).orElseThrow().status() == JobStatus.COMPLETED);
    assertThat(handler.sent).contains("ada@example.com");
  }

  @Test
  void aRefusedSignupLeavesNeitherRowNorJob() throws Exception {
    long jobsBefore = countJobs();

    HttpResponse<String> response = post("/signups?email=bob@example.invalid");

    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(
            jdbc.queryForObject(
                "SELECT count(*) FROM signups WHERE email = 'bob@example.invalid'", Long.class))
        .isZero();
    assertThat(countJobs()).isEqualTo(jobsBefore);
    assertThat(handler.sent).doesNotContain("bob@example.invalid");
  }

  @Test
  void actuatorShowsTheQueuesHealth() {
    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () -> {
              HttpResponse<String> health = get("/actuator/health");
              assertThat(health.statusCode()).isEqualTo(200);
              String body = health.body();
              assertThat(JsonPath.<String>read(body, "$.components.mobVibeQueue.status"))
                  .isEqualTo("UP");
              assertThat(JsonPath.<String>read(body, "$.components.mobVibeQueue.details.verdict"))
                  .isEqualTo("HEALTHY");
              assertThat(JsonPath.<String>read(body, "$.components.mobVibeQueue.details.processor"))
                  .isEqualTo("RUNNING");
            });
  }

  @Test
  void theDashboardIsNotServedUnlessEnabled() throws Exception {
    assertThat(get("/dashboard/login").statusCode()).isEqualTo(404);
  }

  private long countJobs() {
    return jdbc.queryForObject(
        "SELECT count(*) FROM coding_jobs WHERE kind = '" + WelcomeEmail.KIND + "'", Long.class);
  }

  private HttpResponse<String> post(String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .POST(HttpRequest.BodyPublishers.noBody())
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> get(String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
