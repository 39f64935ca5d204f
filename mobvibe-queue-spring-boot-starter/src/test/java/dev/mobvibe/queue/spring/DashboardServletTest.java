package dev.mobvibe.queue.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.jayway.jsonpath.JsonPath;
import dev.mobvibe.queue.JobHandler;
import dev.mobvibe.queue.JobNotifier;
import dev.mobvibe.queue.JobQueue;
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
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The dashboard in a real embedded servlet container on a random port, at {@code /ops/queue} below
 * the context path {@code /app}: the token, the login cookie, the CSRF check and the form body all
 * pass through the servlet adapter, and nothing is served at the default path.
 */
// Registered before SpringExtension: the database exists before the context and is dropped after
// the context is closed.
@ExtendWith(DashboardServletTest.DatabaseAroundContext.class)
@SpringBootTest(
    classes = DashboardServletTest.App.class,
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "server.servlet.context-path=/app",
      "mobvibe.queue.dashboard.enabled=true",
      "mobvibe.queue.dashboard.path=/ops/queue",
      "mobvibe.queue.dashboard.token=" + DashboardServletTest.TOKEN,
      "mobvibe.queue.dashboard.refresh-interval=2s",
      "mobvibe.queue.monitor.enabled=false"
    })
@DirtiesContext
class DashboardServletTest {
  static final String TOKEN = "spring-dashboard-token-0123456789";
  private static final TestDatabase db = new TestDatabase();
  private static final HttpClient http =
      HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();

  @LocalServerPort int port;
  @Autowired JobQueue queue;

  /**
   * The whole application: the auto-configuration, no component scan; a handler and a notifier, so
   * that there is a processor whose notifier the overview shows.
   */
  @SpringBootConfiguration
  @EnableAutoConfiguration
  static class App {
    @Bean
    JobHandler codingSession() {
      return (job, context) -> {};
    }

    @Bean
    JobNotifier pollingNotifier() {
      return JobNotifier.polling(Duration.ofSeconds(1));
    }
  }

  static final class DatabaseAroundContext implements BeforeAllCallback, AfterAllCallback {
    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
      db.open(DashboardServletTest.class);
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
  void withoutTheTokenPagesRedirectToLoginAndTheApiAnswers401() throws Exception {
    HttpResponse<String> page = get("/app/ops/queue/");
    HttpResponse<String> api = get("/app/ops/queue/api/overview");
    HttpResponse<String> wrong =
        get("/app/ops/queue/api/overview", "Authorization", "Bearer not-the-token-not-the-token");

    assertThat(page.statusCode()).isEqualTo(303);
    assertThat(page.headers().firstValue("Location")).hasValue("/app/ops/queue/login");
    assertThat(api.statusCode()).isEqualTo(401);
    assertThat(wrong.statusCode()).isEqualTo(401);
    assertThat(api.body()).doesNotContain(TOKEN);
  }

  @Test
  void theBearerTokenOpensTheOverview() throws Exception {
    HttpResponse<String> page = get("/app/ops/queue/", "Authorization", "Bearer " + TOKEN);

    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.headers().firstValue("Content-Type"))
        .hasValueSatisfying(t -> assertThat(t).startsWith("text/html"));
    assertThat(page.headers().firstValue("Content-Security-Policy"))
        .hasValueSatisfying(csp -> assertThat(csp).contains("frame-ancestors 'none'"));
    assertThat(page.body())
        .contains("<html")
        .contains("src=\"/app/ops/queue/assets/dashboard.js\"")
        .doesNotContain(TOKEN);
    assertThat(get("/app/ops/queue/assets/dashboard.css").statusCode()).isEqualTo(200);
  }

  @Test
  void theOverviewShowsTheProcessorsNotifier() {
    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () -> {
              HttpResponse<String> api =
                  get("/app/ops/queue/api/overview", "Authorization", "Bearer " + TOKEN);
              assertThat(api.statusCode()).isEqualTo(200);
              assertThat(JsonPath.<String>read(api.body(), "$.notifier")).isEqualTo("LISTENING");
            });
  }

  @Test
  void theQueryReachesTheDashboard() throws Exception {
    UUID id = UUID.randomUUID();

    HttpResponse<String> r =
        get("/app/ops/queue/jobs?job=" + id, "Authorization", "Bearer " + TOKEN);

    assertThat(r.statusCode()).isEqualTo(303);
    assertThat(r.headers().firstValue("Location")).hasValue("/app/ops/queue/jobs/" + id);
  }

  @Test
  void theLoginFormSetsAStrictHttpOnlyCookieThatOpensThePages() throws Exception {
    String cookie = login();

    HttpResponse<String> page = get("/app/ops/queue/", "Cookie", cookie);

    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.body()).contains("name=\"csrf\"");
  }

  @Test
  void anActionWithoutTheCsrfTokenIsRefusedAndWithItRuns() throws Exception {
    String cookie = login();
    String csrf = csrfOf(get("/app/ops/queue/", "Cookie", cookie).body());

    HttpResponse<String> noCsrf =
        post("/app/ops/queue/kinds/pause", "kind=dash_kind", "Cookie", cookie, "Origin", origin());
    HttpResponse<String> noLogin =
        post("/app/ops/queue/kinds/pause", "kind=dash_kind&csrf=" + csrf, "Origin", origin());

    assertThat(noCsrf.statusCode()).isEqualTo(403);
    assertThat(noLogin.statusCode()).isEqualTo(401);
    assertThat(queue.pausedKinds()).doesNotContainKey("dash_kind");

    HttpResponse<String> ok =
        post(
            "/app/ops/queue/kinds/pause",
            "kind=dash_kind&csrf=" + csrf,
            "Cookie",
            cookie,
            "Origin",
            origin());

    assertThat(ok.statusCode()).isEqualTo(303);
    assertThat(queue.pausedKinds()).containsKey("dash_kind");
    queue.resumeKind("dash_kind");
  }

  @Test
  void theDashboardIsAtItsPathOnly() throws Exception {
    HttpResponse<String> bare = get("/app/ops/queue");

    assertThat(bare.statusCode()).isEqualTo(303);
    assertThat(bare.headers().firstValue("Location")).hasValue("/app/ops/queue/");
    assertThat(get("/app/dashboard/", "Authorization", "Bearer " + TOKEN).statusCode())
        .isEqualTo(404);
    assertThat(get("/app/ops/queuex", "Authorization", "Bearer " + TOKEN).statusCode())
        .isEqualTo(404);
  }

  private String login() throws Exception {
    HttpResponse<String> r = post("/app/ops/queue/login", "token=" + TOKEN, "Origin", origin());
    assertThat(r.statusCode()).isEqualTo(303);
    assertThat(r.headers().firstValue("Location")).hasValue("/app/ops/queue/");
    String setCookie = r.headers().firstValue("Set-Cookie").orElseThrow();
    assertThat(setCookie)
        .startsWith("mobvibe_dashboard=")
        .contains("HttpOnly")
        .contains("SameSite=Strict")
        .contains("Path=/app/ops/queue/")
        .doesNotContain("Secure")
        .doesNotContain(TOKEN);
    return setCookie.substring(0, setCookie.indexOf(';'));
  }

  private static String csrfOf(String html) {
    String marker = "name=\"csrf\" value=\"";
    int at = html.indexOf(marker);
    assertThat(at).isPositive();
    int start = at + marker.length();
    return html.substring(start, html.indexOf('"', start));
  }

  private String origin() {
    return "http://127.0.0.1:" + port;
  }

  private HttpResponse<String> get(String path, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(origin() + path)).GET();
    if (headers.length > 0) {
      b.headers(headers);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> post(String path, String form, String... headers) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(origin() + path))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .POST(HttpRequest.BodyPublishers.ofString(form));
    if (headers.length > 0) {
      b.headers(headers);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }
}
