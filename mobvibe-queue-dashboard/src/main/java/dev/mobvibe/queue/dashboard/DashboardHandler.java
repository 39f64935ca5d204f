package dev.mobvibe.queue.dashboard;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import dev.mobvibe.queue.Job;
import dev.mobvibe.queue.JobNotFoundException;
import dev.mobvibe.queue.JobQueue;
import dev.mobvibe.queue.JobStatus;
import dev.mobvibe.queue.MigrationScript;
import dev.mobvibe.queue.PlanTier;
import dev.mobvibe.queue.QueueException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves one mount of the dashboard: checks the credentials, routes, and runs the actions.
 *
 * <p>Who may do what: {@code /login} and the static {@code /assets/} are open; every other request
 * needs the login cookie or {@code Authorization: Bearer <token>}. Actions are POST only; with the
 * cookie they also need the login's CSRF token (form field {@code csrf} or header {@code
 * X-CSRF-Token}) and an {@code Origin} naming this host, so another site cannot make a logged-in
 * browser act. The bearer token is never sent by a browser on its own, so it needs neither.
 */
final class DashboardHandler implements HttpHandler {
  private static final Logger log = LoggerFactory.getLogger(DashboardHandler.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  static final String COOKIE = "mobvibe_dashboard";
  static final String CSRF_HEADER = "X-CSRF-Token";

  /** The most ids one bulk replay takes, and the most jobs a replay of a kind replays. */
  static final int BULK_LIMIT = 500;

  /** Rows per page of the job list. */
  static final int PAGE_SIZE = 50;

  private static final int MAX_BODY = 64 * 1024;
  private static final Pattern JOB_PATH =
      Pattern.compile("/jobs/([0-9a-fA-F-]{36})(/replay|/cancel)?");

  static final String CSP =
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self';"
          + " form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

  private final DashboardSettings settings;
  private final JobQueue queue;
  private final DashboardData data;
  private final Pages pages;
  private final String base;

  DashboardHandler(DashboardSettings settings, String base) {
    this.settings = settings;
    this.queue = settings.queue();
    this.data = new DashboardData(queue.dataSource(), queue.schema());
    this.base = base;
    this.pages = new Pages(base, settings.refreshInterval());
  }

  /** Who made a request: through the cookie (with its login) or the bearer token. */
  private record Caller(String session, boolean bearer) {}

  /** A page to send or a redirect. */
  private record Reply(int status, String type, byte[] body, String location) {
    static Reply html(int status, String html) {
      return new Reply(
          status, "text/html; charset=utf-8", html.getBytes(StandardCharsets.UTF_8), null);
    }

    static Reply redirect(String location) {
      return new Reply(303, null, new byte[0], location);
    }

    static Reply text(int status, String text) {
      return new Reply(
          status, "text/plain; charset=utf-8", text.getBytes(StandardCharsets.UTF_8), null);
    }
  }

  @Override
  public void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      Headers h = exchange.getResponseHeaders();
      h.set("Content-Security-Policy", CSP);
      h.set("X-Content-Type-Options", "nosniff");
      h.set("X-Frame-Options", "DENY");
      h.set("Referrer-Policy", "same-origin");
      h.set("Cache-Control", "no-store");
      Reply reply;
      try {
        reply = route(exchange);
      } catch (IllegalArgumentException e) {
        reply = Reply.text(400, "bad request: " + e.getMessage() + "\n");
      } catch (RuntimeException e) {
        log.warn(
            "dashboard request {} failed: {}", exchange.getRequestURI().getPath(), e.toString());
        reply =
            schemaBehind(e)
                .orElse(
                    Reply.text(
                        500, "the dashboard could not answer; the server log has the reason\n"));
      }
      send(exchange, reply);
    }
  }

  /**
   * When a statement failed on a missing schema, table or column, and the queue's schema lacks
   * migrations this build knows (a seed-era database, or one a newer worker has not upgraded yet):
   * a 503 that says which version it is and what to run, rather than a 500.
   */
  private Optional<Reply> schemaBehind(RuntimeException failure) {
    boolean missing = false;
    for (Throwable t = failure; t != null; t = t.getCause()) {
      // undefined table, undefined column, no such schema
      if (t instanceof SQLException sql
          && Set.of("42P01", "42703", "3F000").contains(sql.getSQLState())) {
        missing = true;
      }
    }
    if (!missing) {
      return Optional.empty();
    }
    List<MigrationScript> scripts = MigrationScript.all(queue.schema());
    int needed = scripts.get(scripts.size() - 1).version();
    int version;
    try {
      version = queue.schemaVersion();
    } catch (RuntimeException e) {
      return Optional.empty();
    }
    if (version >= needed) {
      return Optional.empty();
    }
    return Optional.of(
        Reply.text(
            503,
            "the queue's schema "
                + queue.schema()
                + " is at version "
                + version
                + " and this dashboard needs version "
                + needed
                + ": apply the migrations (queue.migrate(), mobvibe-worker migrate, or the scripts"
                + " of MigrationScript.all) and reload\n"));
  }

  private Reply route(HttpExchange exchange) throws IOException {
    String full = exchange.getRequestURI().getRawPath();
    String path = full.substring(Math.min(base.length(), full.length()));
    String method = exchange.getRequestMethod();
    if (path.isEmpty()) {
      return Reply.redirect(base + "/");
    }
    if (!path.startsWith("/")) {
      return Reply.text(404, "not found\n");
    }
    if (path.startsWith("/assets/")) {
      return asset(path.substring("/assets/".length()), method);
    }
    if (path.equals("/login")) {
      return login(exchange, method);
    }
    Optional<Caller> caller = caller(exchange);
    boolean post = "POST".equals(method);
    if (caller.isEmpty()) {
      if (!post && !path.startsWith("/api/")) {
        return Reply.redirect(base + "/login");
      }
      return Reply.text(401, "the dashboard token is required\n");
    }
    Map<String, List<String>> form = Map.of();
    if (post) {
      form = readForm(exchange);
      String refusal = refuseAction(exchange, caller.get(), form);
      if (refusal != null) {
        return Reply.text(403, refusal + "\n");
      }
    } else if (!"GET".equals(method) && !"HEAD".equals(method)) {
      exchange.getResponseHeaders().set("Allow", "GET, POST");
      return Reply.text(405, "method not allowed\n");
    }
    String csrf = caller.get().bearer() ? "" : settings.auth().csrfToken(caller.get().session());
    Map<String, String> query = parseQuery(exchange.getRequestURI().getRawQuery());
    Matcher job = JOB_PATH.matcher(path);
    if (post) {
      if (path.equals("/logout")) {
        exchange.getResponseHeaders().add("Set-Cookie", cookie(exchange, "", 0));
        return Reply.redirect(base + "/login");
      }
      if (job.matches() && job.group(2) != null) {
        return jobAction(UUID.fromString(job.group(1)), job.group(2));
      }
      if (path.equals("/dead/replay")) {
        return bulkReplay(form);
      }
      if (path.equals("/kinds/pause") || path.equals("/kinds/resume")) {
        return pauseOrResume(path.endsWith("/pause"), first(form, "kind"));
      }
      return Reply.text(404, "not found\n");
    }
    if (path.equals("/")) {
      return Reply.html(200, pages.overview(csrf, overview(), query.get("done")));
    }
    if (path.equals("/api/overview")) {
      return new Reply(
          200,
          "application/json",
          JSON.writeValueAsBytes(overview().toJson(settings.refreshInterval())),
          null);
    }
    if (path.equals("/jobs")) {
      return jobList(csrf, query, false);
    }
    if (path.equals("/dead")) {
      return jobList(csrf, query, true);
    }
    if (path.equals("/schedules")) {
      return Reply.html(200, pages.schedules(csrf, queue.schedules()));
    }
    if (job.matches() && job.group(2) == null) {
      UUID id = UUID.fromString(job.group(1));
      Optional<Job> found = queue.findJob(id);
      if (found.isEmpty()) {
        return Reply.html(404, pages.message(csrf, "No job", "No job has the id " + id + "."));
      }
      Job j = found.get();
      DashboardData.Session session = j.sessionId() == null ? null : data.session(j.sessionId());
      List<DashboardData.Event> events =
          j.sessionId() == null ? List.of() : data.events(j.sessionId());
      return Reply.html(200, pages.job(csrf, j, session, events, query.get("done")));
    }
    return Reply.text(404, "not found\n");
  }

  private Overview overview() {
    Map<JobStatus, DashboardData.StatusCount> counts = data.countsByStatus();
    return new Overview(
        counts,
        data.countsByKind(counts),
        data.recentActivity(),
        data.heldJobs(),
        settings.notifierState().get(),
        queue.pausedKinds(),
        java.time.Instant.now());
  }

  private Reply jobList(String csrf, Map<String, String> query, boolean dead) {
    String jobId = blankToNull(query.get("job"));
    if (jobId != null) {
      return Reply.redirect(base + "/jobs/" + UUID.fromString(jobId));
    }
    JobStatus status = dead ? JobStatus.FAILED : parseStatus(query.get("status"));
    String kind = blankToNull(query.get("kind"));
    String tierText = blankToNull(query.get("tier"));
    PlanTier tier = tierText == null ? null : PlanTier.valueOf(tierText.toUpperCase(Locale.ROOT));
    String session = blankToNull(query.get("session"));
    DashboardData.Filter filter =
        new DashboardData.Filter(
            status, kind, tier, session == null ? null : UUID.fromString(session));
    DashboardData.Cursor cursor = DashboardData.Cursor.decode(query.get("after"));
    DashboardData.Page page = data.jobs(filter, cursor, PAGE_SIZE);
    return Reply.html(200, pages.jobList(csrf, dead, filter, page, query.get("done")));
  }

  private Reply jobAction(UUID id, String action) {
    boolean changed;
    try {
      changed = "/replay".equals(action) ? queue.replayJob(id) : queue.cancelJob(id);
    } catch (JobNotFoundException e) {
      return Reply.text(404, "no job has the id " + id + "\n");
    } catch (QueueException e) {
      if (e.isUniqueViolation()) {
        return Reply.redirect(base + "/jobs/" + id + "?done=" + enc("not replayed: key taken"));
      }
      throw e;
    }
    String what = "/replay".equals(action) ? "replayed" : "cancelled";
    String done = changed ? what : "not " + what + ": its status had changed";
    return Reply.redirect(base + "/jobs/" + id + "?done=" + enc(done));
  }

  private Reply pauseOrResume(boolean pause, String kind) {
    String k = blankToNull(kind);
    if (k == null) {
      throw new IllegalArgumentException("kind is required");
    }
    boolean changed = pause ? queue.pauseKind(k) : queue.resumeKind(k);
    String done =
        (pause
                ? (changed ? "paused " : "already paused: ")
                : (changed ? "resumed " : "not paused: "))
            + k;
    return Reply.redirect(base + "/?done=" + enc(done));
  }

  private Reply bulkReplay(Map<String, List<String>> form) {
    List<UUID> ids = new ArrayList<>();
    String kind = blankToNull(first(form, "kind"));
    if (kind != null) {
      DashboardData.Page page =
          data.jobs(
              new DashboardData.Filter(JobStatus.FAILED, kind, null, null),
              DashboardData.Cursor.FIRST,
              BULK_LIMIT);
      page.rows().forEach(r -> ids.add(r.id()));
    } else {
      List<String> given = form.getOrDefault("id", List.of());
      if (given.size() > BULK_LIMIT) {
        throw new IllegalArgumentException("at most " + BULK_LIMIT + " ids per replay");
      }
      given.forEach(s -> ids.add(UUID.fromString(s)));
    }
    int replayed = 0;
    int skipped = 0;
    for (UUID id : ids) {
      try {
        if (queue.replayJob(id)) {
          replayed++;
        } else {
          skipped++;
        }
      } catch (QueueException e) {
        // A job deleted meanwhile, or a unique job whose key another job holds now: count it and
        // go on with the rest.
        skipped++;
      }
    }
    String done = "replayed " + replayed + (skipped > 0 ? ", skipped " + skipped : "");
    return Reply.redirect(base + "/dead?done=" + enc(done));
  }

  private Reply login(HttpExchange exchange, String method) throws IOException {
    if ("POST".equals(method)) {
      Map<String, List<String>> form = readForm(exchange);
      if (!sameOrigin(exchange)) {
        return Reply.text(403, "refused: the request does not come from this site\n");
      }
      if (!settings.auth().tokenMatches(first(form, "token"))) {
        return Reply.html(401, pages.login("That token is not right."));
      }
      exchange
          .getResponseHeaders()
          .add(
              "Set-Cookie",
              cookie(
                  exchange, settings.auth().newSession(), settings.auth().lifetime().toSeconds()));
      return Reply.redirect(base + "/");
    }
    if (!"GET".equals(method) && !"HEAD".equals(method)) {
      return Reply.text(405, "method not allowed\n");
    }
    return Reply.html(200, pages.login(null));
  }

  private Optional<Caller> caller(HttpExchange exchange) {
    String authorization = exchange.getRequestHeaders().getFirst("Authorization");
    if (authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return settings.auth().tokenMatches(authorization.substring(7).trim())
          ? Optional.of(new Caller(null, true))
          : Optional.empty();
    }
    return settings.auth().verifySession(cookieValue(exchange)).map(s -> new Caller(s, false));
  }

  /** Why an action is refused, or null to allow it. */
  private String refuseAction(
      HttpExchange exchange, Caller caller, Map<String, List<String>> form) {
    if (caller.bearer()) {
      return null;
    }
    if (!sameOrigin(exchange)) {
      return "refused: the request does not come from this site";
    }
    String presented = exchange.getRequestHeaders().getFirst(CSRF_HEADER);
    if (presented == null) {
      presented = first(form, "csrf");
    }
    if (!settings.auth().csrfMatches(caller.session(), presented)) {
      return "refused: the form's CSRF token is missing or wrong; reload the page";
    }
    return null;
  }

  /** Whether the request's Origin (required) names the host the request was sent to. */
  private static boolean sameOrigin(HttpExchange exchange) {
    String origin = exchange.getRequestHeaders().getFirst("Origin");
    String host = exchange.getRequestHeaders().getFirst("Host");
    if (origin == null || host == null) {
      return false;
    }
    String o = origin.toLowerCase(Locale.ROOT);
    String hostPart;
    if (o.startsWith("http://")) {
      hostPart = o.substring(7);
    } else if (o.startsWith("https://")) {
      hostPart = o.substring(8);
    } else {
      return false;
    }
    return hostPart.equals(host.toLowerCase(Locale.ROOT));
  }

  private String cookie(HttpExchange exchange, String value, long maxAgeSeconds) {
    String forwarded = exchange.getRequestHeaders().getFirst("X-Forwarded-Proto");
    boolean secure =
        exchange instanceof com.sun.net.httpserver.HttpsExchange
            || "https".equalsIgnoreCase(forwarded);
    return COOKIE
        + "="
        + value
        + "; Path="
        + base
        + "/; Max-Age="
        + maxAgeSeconds
        + "; HttpOnly; SameSite=Strict"
        + (secure ? "; Secure" : "");
  }

  private static String cookieValue(HttpExchange exchange) {
    List<String> headers = exchange.getRequestHeaders().get("Cookie");
    if (headers == null) {
      return null;
    }
    for (String header : headers) {
      for (String part : header.split(";")) {
        String p = part.trim();
        if (p.startsWith(COOKIE + "=")) {
          return p.substring(COOKIE.length() + 1);
        }
      }
    }
    return null;
  }

  private Reply asset(String name, String method) {
    if (!"GET".equals(method) && !"HEAD".equals(method)) {
      return Reply.text(405, "method not allowed\n");
    }
    String type =
        switch (name) {
          case "dashboard.js" -> "text/javascript; charset=utf-8";
          case "dashboard.css" -> "text/css; charset=utf-8";
          default -> null;
        };
    if (type == null) {
      return Reply.text(404, "not found\n");
    }
    try (InputStream in = DashboardHandler.class.getResourceAsStream(name)) {
      if (in == null) {
        return Reply.text(404, "not found\n");
      }
      return new Reply(200, type, in.readAllBytes(), null);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void send(HttpExchange exchange, Reply reply) throws IOException {
    Headers h = exchange.getResponseHeaders();
    if (reply.location() != null) {
      h.set("Location", reply.location());
    }
    if (reply.type() != null) {
      h.set("Content-Type", reply.type());
    }
    if ("HEAD".equals(exchange.getRequestMethod()) || reply.body().length == 0) {
      exchange.sendResponseHeaders(reply.status(), -1);
      return;
    }
    exchange.sendResponseHeaders(reply.status(), reply.body().length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(reply.body());
    }
  }

  private static Map<String, List<String>> readForm(HttpExchange exchange) throws IOException {
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    try (InputStream in = exchange.getRequestBody()) {
      byte[] chunk = new byte[8192];
      int n;
      while ((n = in.read(chunk)) > 0) {
        buffer.write(chunk, 0, n);
        if (buffer.size() > MAX_BODY) {
          throw new IllegalArgumentException("the form is larger than " + MAX_BODY + " bytes");
        }
      }
    }
    Map<String, List<String>> form = new LinkedHashMap<>();
    String body = buffer.toString(StandardCharsets.UTF_8);
    for (String pair : body.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
      String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      form.computeIfAbsent(k, x -> new ArrayList<>()).add(v);
    }
    return form;
  }

  private static Map<String, String> parseQuery(String raw) {
    Map<String, String> q = new LinkedHashMap<>();
    if (raw == null) {
      return q;
    }
    for (String pair : raw.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
      String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      q.putIfAbsent(k, v);
    }
    return q;
  }

  private static String first(Map<String, List<String>> form, String key) {
    List<String> v = form.get(key);
    return v == null || v.isEmpty() ? null : v.get(0);
  }

  private static JobStatus parseStatus(String s) {
    String v = blankToNull(s);
    return v == null ? null : JobStatus.valueOf(v.toUpperCase(Locale.ROOT));
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s.trim();
  }

  static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  static String json(Object value) {
    try {
      return JSON.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }
}
