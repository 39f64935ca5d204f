package dev.mobvibe.queue.dashboard;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mobvibe.queue.Job;
import dev.mobvibe.queue.JobError;
import dev.mobvibe.queue.JobStatus;
import dev.mobvibe.queue.PlanTier;
import dev.mobvibe.queue.RegisteredSchedule;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Renders the pages. Markup only comes from here; every value goes through {@link Html#text}. No
 * page holds an inline script: the behaviour is {@code assets/dashboard.js}, allowed by the
 * Content-Security-Policy.
 */
final class Pages {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final String base;
  private final Duration refresh;

  Pages(String base, Duration refresh) {
    this.base = base;
    this.refresh = refresh;
  }

  String login(String problem) {
    Html h = head("Sign in", "login", "");
    h.raw("<main class=\"login\"><h1>MobVibe Queue</h1>");
    if (problem != null) {
      h.raw("<p class=\"problem\" id=\"problem\">").text(problem).raw("</p>");
    }
    h.raw("<form method=\"post\" action=\"")
        .text(base + "/login")
        .raw("\"><label for=\"token\">Dashboard token</label>")
        .raw(
            "<input type=\"password\" id=\"token\" name=\"token\" autocomplete=\"current-password\"")
        .raw(" required autofocus><button type=\"submit\" id=\"sign-in\">Sign in</button>")
        .raw("</form></main></body></html>");
    return h.toString();
  }

  String message(String csrf, String title, String text) {
    Html h = frame(title, "message", csrf);
    h.raw("<h1>").text(title).raw("</h1><p>").text(text).raw("</p>");
    return end(h);
  }

  String overview(String csrf, Overview o, String done) {
    Html h = frame("Overview", "overview", csrf);
    h.raw("<h1>Overview <small>updated <span id=\"updated-at\">")
        .text(Html.time(o.at()))
        .raw("</span></small></h1>");
    if (done != null) {
      h.raw("<p class=\"done\" id=\"done\">").text(done).raw("</p>");
    }
    h.raw("<section class=\"cards\">");
    for (JobStatus s : JobStatus.values()) {
      String name = s.name().toLowerCase(Locale.ROOT);
      DashboardData.StatusCount c = o.counts().get(s);
      h.raw("<a class=\"card status-")
          .raw(name)
          .raw("\" href=\"")
          .text(base + "/jobs?status=" + name)
          .raw("\"><span class=\"label\">")
          .text(s == JobStatus.FAILED ? "failed (dead letters)" : name)
          .raw("</span><span class=\"value\" id=\"count-")
          .raw(name)
          .raw("\">")
          .text(c.total().shown())
          .raw("</span></a>");
    }
    h.raw("<div class=\"card\"><span class=\"label\">oldest pending</span>")
        .raw("<span class=\"value\" id=\"oldest-pending\">")
        .text(Html.age(o.oldestPendingAge()))
        .raw("</span></div>");
    if (o.notifier() != null) {
      h.raw("<div class=\"card\"><span class=\"label\">notifier</span>")
          .raw("<span class=\"value\" id=\"notifier\">")
          .text(o.notifier().name())
          .raw("</span></div>");
    }
    h.raw("</section>");

    h.raw("<section><h2>Last hour</h2><div id=\"chart\" class=\"chart\"")
        .raw(" aria-label=\"completions and failed attempts per minute\"></div>")
        .raw("<p class=\"legend\"><span class=\"key completed\"></span>completed")
        .raw(" <span class=\"key failed\"></span>failed attempts (per minute)</p></section>");

    h.raw("<div class=\"columns\"><section><h2>By plan tier</h2><table id=\"tiers\"><thead><tr>")
        .raw("<th>tier</th>");
    for (JobStatus s : JobStatus.values()) {
      h.raw("<th>").text(s.name().toLowerCase(Locale.ROOT)).raw("</th>");
    }
    h.raw("</tr></thead><tbody>");
    for (PlanTier t : Overview.tiersShown()) {
      h.raw("<tr><th>").text(t.name().toLowerCase(Locale.ROOT)).raw("</th>");
      for (JobStatus s : JobStatus.values()) {
        String name = s.name().toLowerCase(Locale.ROOT);
        h.raw("<td class=\"num\" id=\"tier-")
            .raw(name)
            .raw("-")
            .raw(t.name())
            .raw("\">")
            .text(o.counts().get(s).byTier().get(t).shown())
            .raw("</td>");
      }
      h.raw("</tr>");
    }
    h.raw("</tbody></table></section>");

    h.raw("<section><h2>By kind <small>(open jobs and dead letters)</small></h2>")
        .raw("<table><thead><tr><th>kind</th><th>pending</th><th>processing</th>")
        .raw("<th>failed</th></tr></thead><tbody id=\"kinds\">");
    o.kinds()
        .forEach(
            (kind, counts) -> {
              h.raw("<tr><td>").text(kind).raw("</td>");
              for (JobStatus s : DashboardData.KIND_STATUSES) {
                h.raw("<td class=\"num\">")
                    .text(counts.getOrDefault(s, DashboardData.Count.NONE).shown())
                    .raw("</td>");
              }
              h.raw("</tr>");
            });
    h.raw("</tbody></table></section></div>");

    h.raw("<section><h2>Workers <small>(holding jobs now)</small></h2>")
        .raw("<table><thead><tr><th>worker</th><th>jobs held</th><th>next lease expiry</th>")
        .raw("<th>jobs</th></tr></thead><tbody id=\"workers\">");
    o.workers()
        .forEach(
            (owner, worker) -> {
              h.raw("<tr><td>").text(owner).raw("</td><td class=\"num\">").text(worker.held());
              h.raw("</td><td>").text(Html.time(worker.nextLeaseExpiry())).raw("</td><td>");
              for (DashboardData.HeldJob j : worker.jobs()) {
                h.raw("<a href=\"")
                    .text(base + "/jobs/" + j.id())
                    .raw("\">")
                    .text(j.kind())
                    .raw("</a> ");
              }
              if (worker.held() > worker.jobs().size()) {
                h.text("\u2026 and " + (worker.held() - worker.jobs().size()) + " more");
              }
              h.raw("</td></tr>");
            });
    h.raw("</tbody></table></section>");

    h.raw("<section><h2>Paused kinds <small>(no worker claims their jobs)</small></h2>")
        .raw("<table><thead><tr><th>kind</th><th>paused since</th><th></th></tr></thead>")
        .raw("<tbody id=\"paused\">");
    o.paused()
        .forEach(
            (kind, since) -> {
              h.raw("<tr><td>").text(kind).raw("</td><td>").text(Html.time(since)).raw("</td><td>");
              kindAction(h, csrf, "resume", kind, "Resume");
              h.raw("</td></tr>");
            });
    h.raw("</tbody></table>");
    if (!csrf.isEmpty()) {
      h.raw("<form method=\"post\" class=\"inline\" action=\"")
          .text(base + "/kinds/pause")
          .raw("\">");
      csrfField(h, csrf);
      h.raw("<label>pause kind <input name=\"kind\" id=\"pause-kind\" required></label> ")
          .raw("<button type=\"submit\" id=\"pause-go\">Pause</button></form>");
    }
    h.raw("</section>");
    return end(h);
  }

  private void kindAction(Html h, String csrf, String action, String kind, String label) {
    if (csrf.isEmpty()) {
      return;
    }
    h.raw("<form method=\"post\" class=\"inline\" action=\"")
        .text(base + "/kinds/" + action)
        .raw("\">");
    csrfField(h, csrf);
    h.raw("<input type=\"hidden\" name=\"kind\" value=\"")
        .text(kind)
        .raw("\"><button type=\"submit\" class=\"")
        .raw(action)
        .raw("\">")
        .text(label)
        .raw("</button></form>");
  }

  String schedules(String csrf, List<RegisteredSchedule> schedules) {
    Html h = frame("Schedules", "schedules", csrf);
    h.raw("<h1>Schedules <small>(recurring jobs the workers registered)</small></h1>");
    if (schedules.isEmpty()) {
      h.raw("<p id=\"empty\">No schedule is registered. A worker registers the schedules of its")
          .raw(" builder (<code>JobProcessorBuilder.schedule</code>) when it starts.</p>");
      return end(h);
    }
    h.raw("<table id=\"schedules\"><thead><tr><th>name</th><th>kind</th><th>schedule</th>")
        .raw("<th>time zone</th><th>last tick</th><th>last job</th><th>next tick</th>")
        .raw("<th>updated by</th><th>updated</th></tr></thead><tbody>");
    for (RegisteredSchedule s : schedules) {
      h.raw("<tr><td class=\"schedule-name\">")
          .text(s.name())
          .raw("</td><td>")
          .text(s.kind())
          .raw("</td><td><code>")
          .text(s.expression())
          .raw("</code></td><td>")
          .text(s.timeZone())
          .raw("</td><td class=\"time\">")
          .text(Html.time(s.lastTick()))
          .raw("</td><td>");
      if (s.lastJobId() == null) {
        h.text("\u2013");
      } else {
        h.raw("<a class=\"job-link\" href=\"")
            .text(base + "/jobs/" + s.lastJobId())
            .raw("\">")
            .text(s.lastJobId().toString().substring(0, 8))
            .raw("\u2026</a>");
      }
      h.raw("</td><td class=\"time\">")
          .text(Html.time(s.nextTick()))
          .raw("</td><td>")
          .text(s.updatedBy() == null ? "\u2013" : s.updatedBy())
          .raw("</td><td class=\"time\">")
          .text(Html.time(s.updatedAt()))
          .raw("</td></tr>");
    }
    h.raw("</tbody></table>")
        .raw("<p class=\"legend\">A cron schedule's fields are read in its time zone; an interval")
        .raw(" (<code>@every</code> and an ISO-8601 duration) counts from 1970-01-01T00:00Z. The")
        .raw(" next tick is as the last worker to register or tick the schedule computed it.</p>");
    return end(h);
  }

  String jobList(
      String csrf, boolean dead, DashboardData.Filter f, DashboardData.Page page, String done) {
    Html h = frame(dead ? "Dead letters" : "Jobs", dead ? "dead" : "jobs", csrf);
    h.raw("<h1>").text(dead ? "Dead letters" : "Jobs").raw("</h1>");
    if (done != null) {
      h.raw("<p class=\"done\" id=\"done\">").text(done).raw("</p>");
    }
    h.raw("<form class=\"filters\" method=\"get\" action=\"")
        .text(base + (dead ? "/dead" : "/jobs"))
        .raw("\">");
    if (!dead) {
      h.raw(
          "<label>status <select name=\"status\" id=\"f-status\"><option value=\"\">any</option>");
      for (JobStatus s : JobStatus.values()) {
        String name = s.name().toLowerCase(Locale.ROOT);
        h.raw("<option value=\"").raw(name).raw("\"").raw(s == f.status() ? " selected" : "");
        h.raw(">").text(name).raw("</option>");
      }
      h.raw("</select></label>");
    }
    h.raw("<label>kind <input name=\"kind\" id=\"f-kind\" value=\"")
        .text(f.kind())
        .raw("\"></label>");
    h.raw("<label>tier <select name=\"tier\" id=\"f-tier\"><option value=\"\">any</option>");
    for (PlanTier t : Overview.tiersShown()) {
      String name = t.name().toLowerCase(Locale.ROOT);
      h.raw("<option value=\"").raw(name).raw("\"").raw(t == f.tier() ? " selected" : "");
      h.raw(">").text(name).raw("</option>");
    }
    h.raw("</select></label>");
    h.raw("<label>session <input name=\"session\" id=\"f-session\" size=\"36\" value=\"")
        .text(f.sessionId())
        .raw("\"></label>");
    h.raw("<label>job id <input name=\"job\" id=\"f-job\" size=\"36\"></label>")
        .raw("<button type=\"submit\" id=\"f-apply\">Filter</button></form>");

    if (dead) {
      h.raw("<form method=\"post\" class=\"inline\" action=\"")
          .text(base + "/dead/replay")
          .raw("\">");
      csrfField(h, csrf);
      h.raw("<label>replay every dead letter of kind <input name=\"kind\" id=\"replay-kind\"")
          .raw(" required value=\"")
          .text(f.kind())
          .raw("\"></label> <button type=\"submit\" id=\"replay-kind-go\">Replay kind</button>")
          .raw(" <small>(at most ")
          .text(DashboardHandler.BULK_LIMIT)
          .raw(" per click)</small></form>");
      h.raw("<form method=\"post\" id=\"bulk\" action=\"").text(base + "/dead/replay").raw("\">");
      csrfField(h, csrf);
    }
    h.raw("<table class=\"jobs\" id=\"job-table\"><thead><tr>");
    if (dead) {
      h.raw("<th></th>");
    }
    h.raw("<th>created</th><th>job</th><th>kind</th><th>status</th><th>tier</th>")
        .raw("<th>attempts</th><th>worker</th><th>prompt / arguments</th><th>error</th>")
        .raw("</tr></thead><tbody>");
    for (DashboardData.JobRow r : page.rows()) {
      h.raw("<tr>");
      if (dead) {
        h.raw("<td><input type=\"checkbox\" name=\"id\" value=\"").text(r.id()).raw("\"></td>");
      }
      h.raw("<td class=\"time\">").text(Html.time(r.createdAt())).raw("</td>");
      h.raw("<td><a class=\"job-link\" href=\"")
          .text(base + "/jobs/" + r.id())
          .raw("\">")
          .text(r.id().toString().substring(0, 8))
          .raw("\u2026</a></td><td>")
          .text(r.kind())
          .raw("</td><td class=\"status-")
          .raw(r.status().name().toLowerCase(Locale.ROOT))
          .raw("\">")
          .text(r.status().name().toLowerCase(Locale.ROOT))
          .raw("</td><td>")
          .text(PlanTier.ofPriority(r.priority()).name().toLowerCase(Locale.ROOT))
          .raw("</td><td class=\"num\">")
          .text(r.retryCount() + "/" + r.maxAttempts())
          .raw("</td><td>")
          .text(r.leaseOwner())
          .raw("</td><td class=\"summary\">")
          .text(r.summary())
          .raw("</td><td class=\"summary\">")
          .text(r.errorMessage())
          .raw("</td></tr>");
    }
    h.raw("</tbody></table>");
    if (page.rows().isEmpty()) {
      h.raw("<p id=\"empty\">No jobs match.</p>");
    }
    if (dead) {
      h.raw("<button type=\"submit\" id=\"replay-selected\">Replay selected</button></form>");
    }
    h.raw("<p class=\"paging\"><a href=\"").text(listUrl(dead, f, null)).raw("\">newest</a>");
    if (page.next() != null) {
      h.raw(" <a id=\"older\" href=\"")
          .text(listUrl(dead, f, page.next().encode()))
          .raw("\">older \u2192</a>");
    }
    h.raw("</p>");
    return end(h);
  }

  private String listUrl(boolean dead, DashboardData.Filter f, String after) {
    StringBuilder u = new StringBuilder(base).append(dead ? "/dead?" : "/jobs?");
    if (!dead && f.status() != null) {
      u.append("status=").append(f.status().name().toLowerCase(Locale.ROOT)).append('&');
    }
    if (f.kind() != null) {
      u.append("kind=").append(DashboardHandler.enc(f.kind())).append('&');
    }
    if (f.tier() != null) {
      u.append("tier=").append(f.tier().name().toLowerCase(Locale.ROOT)).append('&');
    }
    if (f.sessionId() != null) {
      u.append("session=").append(f.sessionId()).append('&');
    }
    if (after != null) {
      u.append("after=").append(DashboardHandler.enc(after));
    }
    return u.toString();
  }

  String job(
      String csrf,
      Job j,
      DashboardData.Session session,
      List<DashboardData.Event> events,
      String done) {
    Html h = frame("Job " + j.id(), "job", csrf);
    h.raw("<h1>Job <code>").text(j.id()).raw("</code></h1>");
    if (done != null) {
      h.raw("<p class=\"done\" id=\"done\">").text(done).raw("</p>");
    }
    h.raw("<div class=\"actions\">");
    if (j.status() == JobStatus.FAILED) {
      action(h, csrf, j, "replay", "Replay");
    }
    if (j.status() == JobStatus.PENDING || j.status() == JobStatus.PROCESSING) {
      action(h, csrf, j, "cancel", "Cancel");
    }
    h.raw("</div><dl class=\"facts\">");
    fact(h, "status", j.status().name().toLowerCase(Locale.ROOT), "job-status");
    fact(h, "kind", j.kind(), "job-kind");
    fact(
        h,
        "tier",
        j.tier().name().toLowerCase(Locale.ROOT) + " (priority " + j.priority() + ")",
        null);
    fact(h, "attempts", j.retryCount() + " failed of at most " + j.maxAttempts(), null);
    fact(h, "created", Html.time(j.createdAt()), null);
    fact(h, "runs at", Html.time(j.runAt()), null);
    fact(h, "started", Html.time(j.startedAt()), null);
    fact(h, "finished", Html.time(j.completedAt()), null);
    fact(h, "lease owner", j.leaseOwner() == null ? "\u2013" : j.leaseOwner(), "lease-owner");
    fact(h, "lease expires", Html.time(j.leaseExpiresAt()), null);
    if (j.idempotencyKey() != null) {
      fact(h, "idempotency key", j.idempotencyKey(), null);
    }
    if (j.sessionId() != null) {
      h.raw("<dt>session</dt><dd><a href=\"")
          .text(base + "/jobs?session=" + j.sessionId())
          .raw("\">")
          .text(j.sessionId())
          .raw("</a>");
      if (session != null) {
        h.raw(" (").text(session.status()).raw(")");
      }
      h.raw("</dd>");
    }
    if (j.errorMessage() != null) {
      fact(h, "last error", j.errorMessage(), "last-error");
    }
    h.raw("</dl>");
    if (j.prompt() != null) {
      h.raw("<h2>Prompt</h2><pre id=\"prompt\">").text(j.prompt()).raw("</pre>");
    }
    if (!j.isCodingSession() || !"{}".equals(j.argsJson())) {
      h.raw("<h2>Arguments</h2><pre id=\"args\">").text(pretty(j.argsJson())).raw("</pre>");
    }
    if (j.outputJson() != null) {
      h.raw("<h2>Output</h2><pre>").text(pretty(j.outputJson())).raw("</pre>");
    }
    if (!j.metadata().isEmpty()) {
      h.raw("<h2>Metadata</h2><dl class=\"facts\">");
      for (Map.Entry<String, String> e : j.metadata().entrySet()) {
        fact(h, e.getKey(), e.getValue(), null);
      }
      h.raw("</dl>");
    }
    h.raw("<h2>Attempts</h2>");
    if (j.errors().isEmpty()) {
      h.raw("<p>No failed attempt.</p>");
    } else {
      h.raw("<table id=\"errors\"><thead><tr><th>attempt</th><th>at</th><th>worker</th>")
          .raw("<th>error</th></tr></thead><tbody>");
      for (JobError e : j.errors()) {
        h.raw("<tr><td class=\"num\">")
            .text(e.attempt())
            .raw("</td><td class=\"time\">")
            .text(Html.time(e.at()))
            .raw("</td><td>")
            .text(e.worker())
            .raw("</td><td><pre>")
            .text(e.error())
            .raw("</pre></td></tr>");
      }
      h.raw("</tbody></table>");
    }
    if (j.sessionId() != null) {
      h.raw("<h2>Session events</h2>");
      if (events.isEmpty()) {
        h.raw("<p>No events.</p>");
      } else {
        h.raw("<ol class=\"timeline\" id=\"events\">");
        for (DashboardData.Event e : events) {
          h.raw("<li><span class=\"time\">")
              .text(Html.time(e.at()))
              .raw("</span> <span class=\"event-type\">")
              .text(e.type())
              .raw("</span><pre>")
              .text(pretty(e.dataJson()))
              .raw("</pre></li>");
        }
        h.raw("</ol>");
        if (events.size() >= DashboardData.EVENTS_LIMIT) {
          h.raw("<p>Only the first ").text(DashboardData.EVENTS_LIMIT).raw(" events.</p>");
        }
      }
    }
    return end(h);
  }

  private void action(Html h, String csrf, Job j, String action, String label) {
    h.raw("<form method=\"post\" class=\"inline\" action=\"")
        .text(base + "/jobs/" + j.id() + "/" + action)
        .raw("\">");
    csrfField(h, csrf);
    h.raw("<button type=\"submit\" id=\"")
        .raw(action)
        .raw("\">")
        .text(label)
        .raw("</button></form>");
  }

  private static void fact(Html h, String name, String value, String id) {
    h.raw("<dt>").text(name).raw("</dt><dd");
    if (id != null) {
      h.raw(" id=\"").raw(id).raw("\"");
    }
    h.raw(">").text(value).raw("</dd>");
  }

  private static void csrfField(Html h, String csrf) {
    h.raw("<input type=\"hidden\" name=\"csrf\" value=\"").text(csrf).raw("\">");
  }

  private static String pretty(String json) {
    if (json == null) {
      return "";
    }
    try {
      return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(JSON.readTree(json));
    } catch (JsonProcessingException e) {
      return json;
    }
  }

  private Html head(String title, String page, String csrf) {
    Html h = new Html();
    h.raw("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">")
        .raw("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
        .raw("<title>")
        .text(title + " \u00b7 MobVibe Queue")
        .raw("</title><link rel=\"stylesheet\" href=\"")
        .text(base + "/assets/dashboard.css")
        .raw("\"><script src=\"")
        .text(base + "/assets/dashboard.js")
        .raw("\" defer></script></head><body data-page=\"")
        .raw(page)
        .raw("\" data-base=\"")
        .text(base)
        .raw("\" data-refresh-ms=\"")
        .text(refresh.toMillis())
        .raw("\" data-csrf=\"")
        .text(csrf)
        .raw("\">");
    return h;
  }

  private Html frame(String title, String page, String csrf) {
    Html h = head(title, page, csrf);
    h.raw("<header><nav><strong>MobVibe Queue</strong> <a href=\"")
        .text(base + "/")
        .raw("\">Overview</a> <a href=\"")
        .text(base + "/jobs")
        .raw("\">Jobs</a> <a href=\"")
        .text(base + "/dead")
        .raw("\">Dead letters</a> <a href=\"")
        .text(base + "/schedules")
        .raw("\">Schedules</a></nav>");
    if (!csrf.isEmpty()) {
      h.raw("<form method=\"post\" class=\"inline\" action=\"").text(base + "/logout").raw("\">");
      csrfField(h, csrf);
      h.raw("<button type=\"submit\" id=\"logout\">Sign out</button></form>");
    }
    h.raw("</header><main>");
    return h;
  }

  private static String end(Html h) {
    return h.raw("</main></body></html>").toString();
  }
}
