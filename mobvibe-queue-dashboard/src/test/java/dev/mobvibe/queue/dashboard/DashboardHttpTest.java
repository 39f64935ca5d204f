package dev.mobvibe.queue.dashboard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import dev.mobvibe.queue.Job;
import dev.mobvibe.queue.JobArgs;
import dev.mobvibe.queue.JobProcessor;
import dev.mobvibe.queue.JobQueue;
import dev.mobvibe.queue.JobStatus;
import dev.mobvibe.queue.MigrationScript;
import dev.mobvibe.queue.NewJob;
import dev.mobvibe.queue.NotifierState;
import dev.mobvibe.queue.PlanTier;
import dev.mobvibe.queue.RegisteredSchedule;
import dev.mobvibe.queue.Schedule;
import dev.mobvibe.queue.test.MobVibeQueueExtension;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.ZoneId;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The dashboard over plain HTTP, mounted on a server of the test's own at {@code /dash}: the
 * credentials, the CSRF and origin checks, the security headers, escaping, the actions, and the
 * builder's checks.
 */
class DashboardHttpTest {
  @RegisterExtension static final MobVibeQueueExtension mvq = MobVibeQueueExtension.create();

  static final String TOKEN = "test-token-0123456789abcdef";

  record SendEmail(String to) implements JobArgs {
    @Override
    public String kind() {
      return "send_email";
    }
  }

  record Digest(String period) implements JobArgs {
    @Override
    public String kind() {
      return "digest";
    }
  }

  static HttpServer server;
  static ExecutorService pool;
  static String root;
  static final HttpClient http =
      HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();

  @BeforeAll
  static void start() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    pool = Executors.newFixedThreadPool(2);
    server.setExecutor(pool);
    Dashboard.builder(mvq.queue())
        .token(TOKEN)
        .notifierState(() -> NotifierState.LISTENING)
        .build()
        .mount(server, "/dash");
    server.start();
    root = "http://127.0.0.1:" + server.getAddress().getPort() + "/dash";
  }

  @AfterAll
  static void stop() {
    server.stop(0);
    pool.shutdownNow();
  }

  static HttpResponse<String> get(String path, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(root + path)).GET();
    if (headers.length > 0) {
      b.headers(headers);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  static HttpResponse<String> post(String path, String form, String... headers) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(root + path))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .POST(HttpRequest.BodyPublishers.ofString(form));
    if (headers.length > 0) {
      b.headers(headers);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  static String bearer() {
    return "Bearer " + TOKEN;
  }

  /** Logs in through the form; returns the cookie header value. */
  static String login() throws Exception {
    HttpResponse<String> r =
        post(
            "/login",
            "token=" + TOKEN,
            "Origin",
            "http://127.0.0.1:" + server.getAddress().getPort());
    assertThat(r.statusCode()).isEqualTo(303);
    String setCookie = r.headers().firstValue("Set-Cookie").orElseThrow();
    assertThat(setCookie).contains("HttpOnly").contains("SameSite=Strict").contains("Path=/dash/");
    return setCookie.substring(0, setCookie.indexOf(';'));
  }

  static String origin() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  static String csrfOf(String html) {
    int at = html.indexOf("name=\"csrf\" value=\"");
    assertThat(at).isPositive();
    int start = at + "name=\"csrf\" value=\"".length();
    return html.substring(start, html.indexOf('"', start));
  }

  @Test
  void aSchemaWithoutTheMigrationsGetsA503ThatSaysWhatToRun() throws Exception {
    // A schema no worker has migrated (the seed's tables would lack the newer columns alike).
    try (JobQueue old =
        JobQueue.builder().dataSource(mvq.dataSource()).schema("never_migrated").build()) {
      Dashboard.builder(old).token(TOKEN).build().mount(server, "/old");
      HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(URI.create(root.replace("/dash", "/old") + "/api/overview"))
                  .header("Authorization", bearer())
                  .GET()
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(503);
      assertThat(r.body())
          .contains("never_migrated is at version 0")
          .contains("needs version " + latestSchemaVersion())
          .contains("migrate");
    } finally {
      server.removeContext("/old");
    }
  }

  /** The newest schema version, as the migration scripts list it. */
  static int latestSchemaVersion() {
    List<MigrationScript> all = MigrationScript.all("x");
    return all.get(all.size() - 1).version();
  }

  @Test
  void withoutTheTokenPagesRedirectToLoginAndTheApiAnswers401() throws Exception {
    HttpResponse<String> page = get("/");
    assertThat(page.statusCode()).isEqualTo(303);
    assertThat(page.headers().firstValue("Location")).hasValue("/dash/login");
    assertThat(get("/api/overview").statusCode()).isEqualTo(401);
    assertThat(get("/api/overview", "Authorization", "Bearer wrong-token-wrong-token").statusCode())
        .isEqualTo(401);
    assertThat(get("/jobs", "Cookie", DashboardHandler.COOKIE + "=forged.value").statusCode())
        .isEqualTo(303);
    assertThat(get("/api/overview", "Authorization", bearer()).statusCode()).isEqualTo(200);
  }

  @Test
  void aWrongTokenDoesNotLogIn() throws Exception {
    HttpResponse<String> r = post("/login", "token=not-the-token-at-all", "Origin", origin());
    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(r.headers().firstValue("Set-Cookie")).isEmpty();
    assertThat(r.body()).doesNotContain(TOKEN);
  }

  @Test
  void everyAnswerCarriesTheSecurityHeaders() throws Exception {
    for (HttpResponse<String> r :
        List.of(get("/login"), get("/", "Authorization", bearer()), get("/assets/dashboard.js"))) {
      assertThat(r.headers().firstValue("Content-Security-Policy").orElseThrow())
          .contains("script-src 'self'")
          .contains("frame-ancestors 'none'")
          .doesNotContain("unsafe-inline");
      assertThat(r.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
    }
    assertThat(get("/", "Authorization", bearer()).body())
        .doesNotContain("<script>")
        .contains("src=\"/dash/assets/dashboard.js\"");
  }

  @Test
  void aPostWithoutTheCsrfTokenOrFromAnotherSiteIsRefused() throws Exception {
    Job failed = deadLetter("csrf victim");
    String cookie = login();
    String csrf = csrfOf(get("/jobs/" + failed.id(), "Cookie", cookie).body());

    assertThat(
            post("/jobs/" + failed.id() + "/replay", "", "Cookie", cookie, "Origin", origin())
                .statusCode())
        .isEqualTo(403);
    assertThat(
            post(
                    "/jobs/" + failed.id() + "/replay",
                    "csrf=" + csrf,
                    "Cookie",
                    cookie,
                    "Origin",
                    "http://evil.example")
                .statusCode())
        .isEqualTo(403);
    assertThat(
            post("/jobs/" + failed.id() + "/replay", "csrf=" + csrf, "Cookie", cookie).statusCode())
        .isEqualTo(403);
    assertThat(post("/jobs/" + failed.id() + "/replay", "csrf=" + csrf).statusCode())
        .isEqualTo(401);
    assertThat(mvq.queue().findJob(failed.id()).orElseThrow().status()).isEqualTo(JobStatus.FAILED);

    HttpResponse<String> ok =
        post(
            "/jobs/" + failed.id() + "/replay",
            "csrf=" + csrf,
            "Cookie",
            cookie,
            "Origin",
            origin());
    assertThat(ok.statusCode()).isEqualTo(303);
    assertThat(mvq.queue().findJob(failed.id()).orElseThrow().status())
        .isEqualTo(JobStatus.PENDING);
  }

  @Test
  void actionsAreRefusedOverGet() throws Exception {
    Job failed = deadLetter("get is not an action");
    HttpResponse<String> r = get("/jobs/" + failed.id() + "/replay", "Authorization", bearer());
    assertThat(r.statusCode()).isEqualTo(404);
    assertThat(mvq.queue().findJob(failed.id()).orElseThrow().status()).isEqualTo(JobStatus.FAILED);
  }

  @Test
  void scriptsActWithTheBearerToken() throws Exception {
    Job pending = mvq.queue().enqueue(NewJob.of("cancel me"));
    assertThat(
            post("/jobs/" + pending.id() + "/cancel", "", "Authorization", bearer()).statusCode())
        .isEqualTo(303);
    assertThat(mvq.queue().findJob(pending.id()).orElseThrow().status())
        .isEqualTo(JobStatus.CANCELLED);
  }

  @Test
  void whatUsersWroteIsEscaped() throws Exception {
    String evil = "<script>window.pwned=1</script><img src=x onerror=alert(1)>";
    Job job = mvq.queue().enqueue(NewJob.of(evil));
    String page = get("/jobs/" + job.id(), "Authorization", bearer()).body();
    assertThat(page).doesNotContain("<script>window").doesNotContain("<img src=x");
    assertThat(page).contains("&lt;script&gt;window.pwned=1&lt;/script&gt;");
    String list = get("/jobs", "Authorization", bearer()).body();
    assertThat(list).doesNotContain("<script>window").contains("&lt;script&gt;");
    String kindFilter = get("/jobs?kind=%3Cb%3Ex", "Authorization", bearer()).body();
    assertThat(kindFilter).doesNotContain("<b>x").contains("&lt;b&gt;x");
  }

  @Test
  void theSchedulesPageListsWhatWorkersRegisteredEscaped() throws Exception {
    Schedule nightly = Schedule.cron("0 3 * * *", ZoneId.of("Europe/Paris"));
    try (JobProcessor p =
        JobProcessor.builder(mvq.queue())
            .workerId("scheduler-1")
            .handler("digest", (job, ctx) -> {})
            .schedule("nightly-digest", nightly, () -> NewJob.of(new Digest("daily")))
            .schedule(
                "refresh-cache",
                Schedule.every(Duration.ofMinutes(5)),
                () -> NewJob.of(new Digest("cache")))
            .noRetention()
            .build()) {
      p.start();
      await().atMost(Duration.ofSeconds(10)).until(() -> mvq.queue().schedules().size() >= 2);
    }
    // The builder refuses such a name; a row written by hand (or by another client) can hold one.
    Job last = mvq.queue().enqueue(NewJob.of(new Digest("by hand")));
    try (Connection c = mvq.queue().dataSource().getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "INSERT INTO "
                    + mvq.queue().schema()
                    + ".coding_job_schedules (name, kind, expression, time_zone, last_tick,"
                    + " last_job_id, next_tick, updated_by)"
                    + " VALUES (?, ?, '@every PT1H', 'UTC', now(), ?, now() + interval '1 hour',"
                    + " ?)")) {
      ps.setString(1, "<script>window.pwned=1</script>");
      ps.setString(2, "<b>kind</b>");
      ps.setObject(3, last.id());
      ps.setString(4, "<img src=x onerror=alert(1)>");
      ps.executeUpdate();
    }

    assertThat(get("/schedules").statusCode()).isEqualTo(303);
    assertThat(get("/schedules", "Authorization", "Bearer wrong-token-0123456789").statusCode())
        .isEqualTo(303);
    HttpResponse<String> r = get("/schedules", "Authorization", bearer());
    assertThat(r.statusCode()).isEqualTo(200);
    String page = r.body();
    assertThat(page)
        .contains("nightly-digest")
        .contains("0 3 * * *")
        .contains("Europe/Paris")
        .contains("refresh-cache")
        .contains("@every PT5M")
        .contains("scheduler-1")
        .contains("digest");
    RegisteredSchedule registered =
        mvq.queue().schedules().stream()
            .filter(x -> x.name().equals("nightly-digest"))
            .findFirst()
            .orElseThrow();
    assertThat(page).contains(Html.time(registered.nextTick()));
    assertThat(page)
        .doesNotContain("<script>window")
        .doesNotContain("<b>kind")
        .doesNotContain("<img src=x")
        .contains("&lt;script&gt;window.pwned=1&lt;/script&gt;")
        .contains("&lt;b&gt;kind&lt;/b&gt;")
        .contains("href=\"/dash/jobs/" + last.id() + "\"");
    assertThat(get("/", "Authorization", bearer()).body()).contains("href=\"/dash/schedules\"");
  }

  @Test
  void bulkReplayTakesSelectedIdsOrAKind() throws Exception {
    Job a = deadLetter("a");
    Job b = deadLetter("b");
    Job c = deadLetter("c");
    Job email = mvq.queue().enqueue(NewJob.of(new SendEmail("ada@example.com")));
    mvq.queue().claimJobs(List.of("send_email"), 1);
    mvq.queue().failJobPermanently(email.id(), "smtp down");

    HttpResponse<String> r =
        post("/dead/replay", "id=" + a.id() + "&id=" + b.id(), "Authorization", bearer());
    assertThat(r.statusCode()).isEqualTo(303);
    assertThat(r.headers().firstValue("Location").orElseThrow()).contains("replayed+2");
    assertThat(status(a)).isEqualTo(JobStatus.PENDING);
    assertThat(status(b)).isEqualTo(JobStatus.PENDING);
    assertThat(status(c)).isEqualTo(JobStatus.FAILED);

    post("/dead/replay", "kind=send_email", "Authorization", bearer());
    assertThat(status(email)).isEqualTo(JobStatus.PENDING);
    assertThat(status(c)).isEqualTo(JobStatus.FAILED);
  }

  @Test
  void theJobListFiltersAndPagesByKeyset() throws Exception {
    for (int i = 0; i < 60; i++) {
      mvq.queue()
          .enqueue(
              NewJob.builder("page job " + i)
                  .tier(i % 2 == 0 ? PlanTier.PRO : PlanTier.FREE)
                  .build());
    }
    Job email = mvq.queue().enqueue(NewJob.of(new SendEmail("grace@example.com")));
    String first = get("/jobs", "Authorization", bearer()).body();
    assertThat(first).contains("page job 59").doesNotContain("page job 9<");
    int at = first.indexOf("id=\"older\" href=\"");
    assertThat(at).isPositive();
    String next = first.substring(at + 17, first.indexOf('"', at + 17)).replace("&amp;", "&");
    String second = get(next.substring("/dash".length()), "Authorization", bearer()).body();
    assertThat(second).contains("page job 0<").doesNotContain("page job 59");

    String pro = get("/jobs?tier=pro&status=pending", "Authorization", bearer()).body();
    assertThat(pro).contains("page job 58").doesNotContain("page job 59");
    String kind = get("/jobs?kind=send_email", "Authorization", bearer()).body();
    assertThat(kind).contains(email.id().toString()).doesNotContain("page job");
    HttpResponse<String> byId = get("/jobs?job=" + email.id(), "Authorization", bearer());
    assertThat(byId.headers().firstValue("Location")).hasValue("/dash/jobs/" + email.id());
  }

  @Test
  void theOverviewJsonCountsTheJobs() throws Exception {
    mvq.queue().enqueue(NewJob.builder("p1").tier(PlanTier.PRO).build());
    mvq.queue().enqueue(NewJob.builder("p2").tier(PlanTier.STARTER).build());
    deadLetter("d1");
    Job done = mvq.queue().enqueue(NewJob.of("done"));
    mvq.queue().claimJobs(List.of("coding_session"), 10);
    mvq.queue().completeJob(done.id());
    String json = get("/api/overview", "Authorization", bearer()).body();
    assertThat(json)
        .contains("\"notifier\":\"LISTENING\"")
        .contains("\"failed\":{\"total\":1")
        .contains("\"completed\":{\"total\":1");
  }

  @Test
  void aKindIsPausedAndResumed() throws Exception {
    HttpResponse<String> paused =
        post("/kinds/pause", "kind=send_email", "Authorization", bearer());
    assertThat(paused.statusCode()).isEqualTo(303);
    assertThat(mvq.queue().pausedKinds()).containsKey("send_email");
    assertThat(get("/api/overview", "Authorization", bearer()).body())
        .contains("\"paused\":[{")
        .contains("\"kind\":\"send_email\"");
    assertThat(get("/", "Authorization", bearer()).body()).contains("send_email");
    post("/kinds/resume", "kind=send_email", "Authorization", bearer());
    assertThat(mvq.queue().pausedKinds()).isEmpty();
    assertThat(post("/kinds/pause", "kind=", "Authorization", bearer()).statusCode())
        .isEqualTo(400);
  }

  @Test
  void theOverviewWeighsUnder200Kilobytes() throws Exception {
    for (int i = 0; i < 50; i++) {
      mvq.queue().enqueue(NewJob.of(new SendEmail("user" + i + "@example.com")));
    }
    long bytes = 0;
    for (String path :
        List.of("/", "/assets/dashboard.css", "/assets/dashboard.js", "/api/overview")) {
      HttpResponse<byte[]> r =
          http.send(
              HttpRequest.newBuilder(URI.create(root + path))
                  .header("Authorization", bearer())
                  .build(),
              HttpResponse.BodyHandlers.ofByteArray());
      assertThat(r.statusCode()).as(path).isEqualTo(200);
      bytes += r.body().length;
    }
    System.out.println("overview page weight: " + bytes + " bytes");
    assertThat(bytes).isLessThan(200 * 1024);
  }

  @Test
  void theBuilderChecksItsOptionsWithoutShowingTheToken() {
    JobQueue q = mvq.queue();
    assertThatThrownBy(() -> Dashboard.builder(q).build()).hasMessageContaining("token");
    assertThatThrownBy(() -> Dashboard.builder(q).token("short-secret").build())
        .hasMessageContaining("at least 16")
        .hasMessageNotContaining("short-secret");
    assertThatThrownBy(() -> Dashboard.builder(q).token(TOKEN).build().mount(server, "dash/"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void theStandaloneServerBindsWhereTold() throws Exception {
    try (Dashboard.Server s =
        Dashboard.builder(mvq.queue()).token(TOKEN).build().start("127.0.0.1", 0)) {
      assertThat(s.address().isLoopbackAddress()).isTrue();
      HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.port() + "/jobs"))
                  .header("Authorization", bearer())
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(200);
    }
  }

  static JobStatus status(Job job) {
    return mvq.queue().findJob(job.id()).orElseThrow().status();
  }

  /** A coding-session job that ended in the dead-letter state. */
  static Job deadLetter(String prompt) {
    return deadLetterIn(mvq.queue(), prompt);
  }

  /** A coding-session job of a queue that ended in the dead-letter state. */
  static Job deadLetterIn(JobQueue queue, String prompt) {
    Job job = queue.enqueue(NewJob.builder(prompt).maxAttempts(1).build());
    UUID id = job.id();
    while (queue.findJob(id).orElseThrow().status() == JobStatus.PENDING) {
      queue.claimJobs(List.of("coding_session"), 100);
    }
    queue.failJobPermanently(id, "gave up on " + prompt);
    return queue.findJob(id).orElseThrow();
  }
}
