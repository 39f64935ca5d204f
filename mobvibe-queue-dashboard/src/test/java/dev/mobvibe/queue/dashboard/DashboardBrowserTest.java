package dev.mobvibe.queue.dashboard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mobvibe.queue.Job;
import dev.mobvibe.queue.JobArgs;
import dev.mobvibe.queue.JobStatus;
import dev.mobvibe.queue.NewJob;
import dev.mobvibe.queue.PlanTier;
import dev.mobvibe.queue.test.MobVibeQueueExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.By;
import org.openqa.selenium.NoAlertPresentException;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The dashboard in a real headless Chromium: login, the overview's figures against the database and
 * their refresh without a reload, filtering, replay from a job page, escaping of a hostile prompt
 * and of a hostile schedule name, refusals, and the screenshot in {@code docs/dashboard.png}. One
 * browser for the class.
 */
class DashboardBrowserTest {
  @RegisterExtension static final MobVibeQueueExtension mvq = MobVibeQueueExtension.create();

  static final String TOKEN = "browser-token-0123456789abcdef";

  record SendEmail(String to) implements JobArgs {
    @Override
    public String kind() {
      return "send_email";
    }
  }

  record ResizeImage(String url) implements JobArgs {
    @Override
    public String kind() {
      return "resize_image";
    }
  }

  static Dashboard.Server server;
  static ChromeDriver browser;
  static String root;
  static WebDriverWait wait;

  @BeforeAll
  static void start() {
    server =
        Dashboard.builder(mvq.queue())
            .token(TOKEN)
            .refreshInterval(Duration.ofMillis(500))
            .build()
            .start("127.0.0.1", 0);
    root = "http://127.0.0.1:" + server.port();
    browser = Browser.start();
    wait = new WebDriverWait(browser, Duration.ofSeconds(15));
    // Pages are replaced by the actions' redirects and rows by the overview's refresh.
    wait.ignoring(StaleElementReferenceException.class);
    browser.get(root + "/");
    wait.until(d -> d.getCurrentUrl().endsWith("/login"));
    browser.findElement(By.id("token")).sendKeys(TOKEN);
    browser.findElement(By.id("sign-in")).click();
    wait.until(d -> "overview".equals(d.findElement(By.tagName("body")).getAttribute("data-page")));
  }

  @AfterAll
  static void stop() {
    if (browser != null) {
      browser.quit();
    }
    if (server != null) {
      server.close();
    }
  }

  @BeforeEach
  void noAlertLeft() {
    assertThatThrownBy(() -> browser.switchTo().alert())
        .isInstanceOf(NoAlertPresentException.class);
  }

  @Test
  void theOverviewShowsTheDatabasesCounts() throws SQLException {
    seed();
    browser.get(root + "/");
    waitForRefresh();
    for (JobStatus s : JobStatus.values()) {
      String name = s.name().toLowerCase(Locale.ROOT);
      long expected = count("SELECT count(*) FROM coding_jobs WHERE status = '" + name + "'");
      wait.until(d -> d.findElement(By.id("count-" + name)).getText().equals("" + expected));
      long pro =
          count(
              "SELECT count(*) FROM coding_jobs WHERE status = '" + name + "' AND priority >= 10");
      assertThat(browser.findElement(By.id("tier-" + name + "-PRO")).getText()).isEqualTo("" + pro);
    }
    assertThat(browser.findElement(By.id("kinds")).getText()).contains("send_email");
    assertThat(browser.findElement(By.id("workers")).getText()).contains("worker-a");
  }

  @Test
  void theOverviewUpdatesWithoutAReloadWhenAJobCompletes() {
    Job job = mvq.queue().enqueue(NewJob.of("finish me"));
    browser.get(root + "/");
    wait.until(d -> d.findElement(By.id("count-pending")).getText().equals("1"));
    browser.executeScript("window.sameDocument = 'yes';");
    mvq.queue().claimJobs(List.of("coding_session"), 1);
    mvq.queue().completeJob(job.id());
    wait.until(d -> d.findElement(By.id("count-completed")).getText().equals("1"));
    assertThat(browser.findElement(By.id("count-pending")).getText()).isEqualTo("0");
    assertThat(browser.executeScript("return window.sameDocument;")).isEqualTo("yes");
  }

  @Test
  void filteringFindsAJob() {
    for (int i = 0; i < 5; i++) {
      mvq.queue().enqueue(NewJob.of("noise " + i));
    }
    Job email = mvq.queue().enqueue(NewJob.of(new SendEmail("ada@example.com")));
    browser.get(root + "/jobs");
    browser.findElement(By.id("f-kind")).sendKeys("send_email");
    browser.findElement(By.id("f-apply")).click();
    wait.until(d -> d.getCurrentUrl().contains("kind=send_email"));
    List<String> links =
        browser.findElements(By.cssSelector("a.job-link")).stream()
            .map(a -> a.getAttribute("href"))
            .toList();
    assertThat(links).containsExactly(root + "/jobs/" + email.id());

    browser.findElement(By.id("f-job")).sendKeys(email.id().toString());
    browser.findElement(By.id("f-apply")).click();
    wait.until(d -> d.getCurrentUrl().endsWith("/jobs/" + email.id()));
    assertThat(browser.findElement(By.id("job-kind")).getText()).isEqualTo("send_email");
  }

  @Test
  void replayingADeadLetterFromItsPageMakesItPending() {
    Job dead = DashboardHttpTest.deadLetterIn(mvq.queue(), "please replay me");
    browser.get(root + "/jobs/" + dead.id());
    assertThat(browser.findElement(By.id("job-status")).getText()).isEqualTo("failed");
    assertThat(browser.findElement(By.id("errors")).getText()).contains("gave up on");
    browser.findElement(By.id("replay")).click();
    wait.until(d -> d.findElement(By.id("done")).getText().equals("replayed"));
    assertThat(browser.findElement(By.id("job-status")).getText()).isEqualTo("pending");
    assertThat(mvq.queue().findJob(dead.id()).orElseThrow().status()).isEqualTo(JobStatus.PENDING);
  }

  @Test
  void aKindIsPausedAndResumedFromTheOverview() {
    browser.get(root + "/");
    browser.findElement(By.id("pause-kind")).sendKeys("send_email");
    browser.findElement(By.id("pause-go")).click();
    wait.until(d -> d.findElement(By.id("done")).getText().equals("paused send_email"));
    assertThat(mvq.queue().pausedKinds()).containsOnlyKeys("send_email");
    wait.until(d -> d.findElement(By.id("paused")).getText().contains("send_email"));
    browser.findElement(By.cssSelector("#paused button.resume")).click();
    wait.until(d -> d.findElement(By.id("done")).getText().equals("resumed send_email"));
    assertThat(mvq.queue().pausedKinds()).isEmpty();
  }

  @Test
  void aHostilePromptRunsNoScriptAndShowsAsText() {
    String prompt =
        "<script>window.pwned = 1; alert('x')</script>"
            + "<img src=x onerror=\"window.pwned = 2; alert('y')\">";
    Job job = mvq.queue().enqueue(NewJob.of(prompt));
    browser.get(root + "/jobs/" + job.id());
    assertThat(browser.findElement(By.id("prompt")).getText()).isEqualTo(prompt);
    browser.get(root + "/jobs");
    assertThat(browser.findElement(By.id("job-table")).getText()).contains("<script>window.pwned");
    assertThat(browser.executeScript("return typeof window.pwned;")).isEqualTo("undefined");
    assertThatThrownBy(() -> browser.switchTo().alert())
        .isInstanceOf(NoAlertPresentException.class);
  }

  @Test
  void theSchedulesPageIsReachedFromTheNavigationAndShowsAHostileNameAsText() throws SQLException {
    String name = "<script>window.pwned = 3; alert('s')</script>";
    try (Connection c = mvq.queue().dataSource().getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "INSERT INTO coding_job_schedules (name, kind, expression, time_zone, next_tick)"
                    + " VALUES (?, 'digest', '0 3 * * *', 'Europe/Paris', now())")) {
      ps.setString(1, name);
      ps.executeUpdate();
    }
    browser.get(root + "/");
    browser.findElement(By.linkText("Schedules")).click();
    wait.until(
        d -> "schedules".equals(d.findElement(By.tagName("body")).getAttribute("data-page")));
    assertThat(browser.findElement(By.id("schedules")).getText())
        .contains(name)
        .contains("0 3 * * *")
        .contains("Europe/Paris");
    assertThat(browser.executeScript("return typeof window.pwned;")).isEqualTo("undefined");
    assertThatThrownBy(() -> browser.switchTo().alert())
        .isInstanceOf(NoAlertPresentException.class);
  }

  @Test
  void aPostWithoutTheCsrfTokenIsRefusedEvenFromTheLoggedInBrowser() {
    Job dead = DashboardHttpTest.deadLetterIn(mvq.queue(), "no csrf");
    browser.get(root + "/");
    Object status =
        browser.executeAsyncScript(
            "var done = arguments[arguments.length - 1];"
                + "fetch('/jobs/"
                + dead.id()
                + "/replay', {method: 'POST', credentials: 'same-origin'})"
                + ".then(function (r) { done(r.status); });");
    assertThat(status).isEqualTo(403L);
    assertThat(mvq.queue().findJob(dead.id()).orElseThrow().status()).isEqualTo(JobStatus.FAILED);
  }

  @Test
  void writesTheScreenshotOfTheOverview() throws Exception {
    seed();
    browser.get(root + "/");
    waitForRefresh();
    wait.until(d -> d.findElement(By.cssSelector("#chart svg")) != null);
    // The module's directory is the working directory of its tests; docs/ is beside it.
    Path target = Path.of("").toAbsolutePath().getParent().resolve("docs").resolve("dashboard.png");
    Files.createDirectories(target.getParent());
    Files.write(target, browser.getScreenshotAs(OutputType.BYTES));
    assertThat(Files.size(target)).isPositive();
  }

  private static void waitForRefresh() {
    wait.until(d -> d.findElement(By.tagName("body")).getAttribute("data-refreshed") != null);
  }

  /** Jobs in every status, three kinds, three tiers, two workers holding jobs. */
  static void seed() throws SQLException {
    var q = mvq.queue();
    for (int i = 0; i < 12; i++) {
      PlanTier tier = PlanTier.values()[i % 3];
      q.enqueue(NewJob.builder("Build feature " + i).tier(tier).build());
      q.enqueue(NewJob.builder(new SendEmail("user" + i + "@example.com")).tier(tier).build());
      if (i % 2 == 0) {
        q.enqueue(NewJob.builder(new ResizeImage("https://example.com/" + i + ".png")).build());
      }
    }
    List<Job> claimed = q.claimJobs(List.of("coding_session", "send_email"), 14);
    for (int i = 0; i < 8; i++) {
      q.completeJob(claimed.get(i).id());
    }
    q.failJobPermanently(claimed.get(8).id(), "sandbox crashed");
    q.failJobPermanently(claimed.get(9).id(), "smtp refused");
    q.cancelJob(claimed.get(10).id());
    try (Connection c = q.dataSource().getConnection();
        Statement st = c.createStatement()) {
      st.executeUpdate(
          "UPDATE coding_jobs SET lease_owner = CASE WHEN id = '"
              + claimed.get(11).id()
              + "' THEN 'worker-b' ELSE 'worker-a' END WHERE status = 'processing'");
    }
  }

  static long count(String sql) throws SQLException {
    try (Connection c = mvq.queue().dataSource().getConnection();
        PreparedStatement ps = c.prepareStatement(sql);
        ResultSet rs = ps.executeQuery()) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
