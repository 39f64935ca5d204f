package dev.mobvibe.queue.examples;

import dev.mobvibe.queue.Job;
import dev.mobvibe.queue.JobListener;
import dev.mobvibe.queue.JobProcessor;
import dev.mobvibe.queue.JobQueue;
import dev.mobvibe.queue.JobStatus;
import dev.mobvibe.queue.NewJob;
import dev.mobvibe.queue.PlanTier;
import dev.mobvibe.queue.QueueMonitor;
import dev.mobvibe.queue.QueueStats;
import dev.mobvibe.queue.RetryPolicy;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The {@code demo} command: with no configuration at all, brings up a database, enqueues a mix of
 * Free, Starter and Pro jobs (some fail once, some every time) and a few emails (a second kind, no
 * session), runs two workers and narrates which job runs when, where, in what order and why, ending
 * with the statistics block. Works in its own schema, dropped and recreated at the start, so every
 * run starts clean. Finishes by itself.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = {
      "Shows the queue at work in about 15 seconds, with no setup: a database (DATABASE_URL, else"
          + " PostgreSQL on 127.0.0.1:5432, else an embedded one), a mix of Free, Starter and Pro"
          + " jobs, a few send_email jobs of a second kind, two workers, retries with backoff and"
          + " the dead letter.",
      "Works in its own schema (default mobvibe_demo), dropped and recreated at each run."
    })
final class DemoCommand implements Callable<Integer> {
  private static final Pattern SCHEMA = Pattern.compile("[a-z_][a-z0-9_]{0,62}");
  private static final int CONCURRENCY = 2;
  private static final int EMAIL_PRIORITY = PlanTier.STARTER.priority();
  private static final List<String> PROMPTS =
      List.of(
          "Build a todo app with React",
          "Add dark mode to the settings page",
          "Fix the login redirect loop",
          "Write unit tests for the shopping cart",
          "Add pagination to the activity feed",
          "Create a landing page with a signup form",
          "Refactor the auth middleware",
          "Add a search bar to the header",
          "Set up CI for the repository",
          "Migrate the API client to TypeScript",
          "Add image upload to the profile page",
          "Speed up the dashboard queries");

  /** The emails enqueued beside the coding sessions: a second kind, which belongs to no session. */
  private static final List<SendEmail> EMAILS =
      List.of(
          new SendEmail("ada@example.com", "Welcome to MobVibe", "Your first app awaits."),
          new SendEmail("grace@example.com", "Your session finished", "The todo app is ready."),
          new SendEmail("linus@example.com", "Weekly summary", "12 sessions, 11 completed."));

  @Option(
      names = "--jobs",
      paramLabel = "N",
      description = "jobs to enqueue, 6 to 200 (default ${DEFAULT-VALUE})")
  int jobs = 16;

  @Option(
      names = "--work-ms",
      paramLabel = "MS",
      description = "simulated work per attempt (default ${DEFAULT-VALUE})")
  long workMs = 2000;

  @Option(
      names = "--schema",
      paramLabel = "NAME",
      description = "the demo's own schema, dropped and recreated (default ${DEFAULT-VALUE})")
  String schema = "mobvibe_demo";

  @Option(
      names = "--timeout",
      paramLabel = "DURATION",
      description = "give up after this long (default ${DEFAULT-VALUE})")
  String timeout = "3m";

  @Option(
      names = "--database-url",
      paramLabel = "URL",
      description = "overrides DATABASE_URL (prefer the variable: flags show in ps)")
  String databaseUrl;

  @Option(
      names = "--log-level",
      paramLabel = "LEVEL",
      description = "overrides LOG_LEVEL; the SDK's own logs stay quiet unless set")
  String logLevel;

  private final Cli cli;

  DemoCommand(Cli cli) {
    this.cli = cli;
  }

  /** One enqueued demo job and what the demo does to it. */
  private record Planned(
      String label, PlanTier tier, String prompt, Kind kind, Duration delay, int order) {}

  private enum Kind {
    NORMAL,
    FLAKY,
    POISON,
    DELAYED,
    FOLLOW_UP
  }

  /** The label of the job whose session gets a second prompt. */
  private static final String FIRST_PROMPT = "P1";

  @Override
  public Integer call() throws Exception {
    if (jobs < 6 || jobs > 200) {
      throw new CliException(2, "--jobs must be between 6 and 200, was " + jobs);
    }
    if (workMs < 0 || workMs > 60_000) {
      throw new CliException(2, "--work-ms must be between 0 and 60000, was " + workMs);
    }
    if (!SCHEMA.matcher(schema).matches() || schema.equals("public")) {
      throw new CliException(
          2,
          "--schema must be a lower-case SQL identifier other than public (the demo drops it),"
              + " was '"
              + schema
              + "'");
    }
    Duration limit = Cli.parseDuration("--timeout", timeout);
    Map<String, String> flags = new HashMap<>();
    Cli.put(flags, Settings.DATABASE_URL, databaseUrl);
    Cli.put(flags, Settings.LOG_LEVEL, logLevel);
    // The demo works in a scratch schema of the database it names on its first lines: the
    // worker's settings (SUPABASE_URL among them) are not its business.
    Settings settings = cli.settings(flags, Set.of(Settings.DATABASE_URL, Settings.LOG_LEVEL));
    if (logLevel == null && !cli.env().containsKey(Settings.LOG_LEVEL)) {
      Logging.quietQueueLogs(); // the narration says what happens; SDK logs would repeat it
    }
    PrintWriter out = cli.out();
    out.println("MobVibe queue demo");
    out.flush();
    try (Database db = Database.open(settings, cli.env(), true)) {
      Thread hook = cli.ownsJvm() ? new Thread(db::close, "mobvibe-demo-shutdown") : null;
      if (hook != null) {
        Runtime.getRuntime().addShutdownHook(hook);
      }
      try {
        return run(db, limit, out);
      } finally {
        if (hook != null) {
          try {
            Runtime.getRuntime().removeShutdownHook(hook);
          } catch (IllegalStateException e) {
            // shutting down: the hook stops the embedded database
          }
        }
      }
    }
  }

  private int run(Database db, Duration limit, PrintWriter out) throws Exception {
    out.println("  database: " + db.description());
    resetSchema(db);
    out.println("  schema:   " + schema + " (dropped and recreated: every run starts clean)");
    Duration base = Duration.ofMillis(Math.max(200, Math.min(1000, workMs)));
    RetryPolicy backoff = RetryPolicy.exponentialWithoutJitter(base, 2, Duration.ofSeconds(30));
    try (JobQueue queue =
        db.queueBuilder().schema(schema).retryPolicy(backoff).maxPoolSize(6).build()) {
      queue.migrate();
      List<Planned> plan = plan(jobs);
      List<NewJob> newJobs = new ArrayList<>();
      for (Planned p : plan) {
        newJobs.add(
            NewJob.builder(p.prompt())
                .tier(p.tier())
                .delay(p.delay())
                .idempotencyKey("demo-" + p.label())
                .build());
      }
      // One statement per job: each gets its own created_at, so "oldest first" is visible.
      List<Job> stored = new ArrayList<>();
      for (int i = 0; i < newJobs.size(); i++) {
        NewJob newJob = newJobs.get(i);
        if (plan.get(i).kind() == Kind.FOLLOW_UP) {
          // The same session as the first Pro prompt: it runs only once that one has finished.
          UUID session = stored.get(labelIndex(plan, FIRST_PROMPT)).sessionId();
          newJob =
              NewJob.builder(newJob.prompt())
                  .tier(plan.get(i).tier())
                  .sessionId(session)
                  .idempotencyKey("demo-" + plan.get(i).label())
                  .build();
        }
        stored.add(queue.enqueue(newJob));
      }
      Map<UUID, String> emails = new HashMap<>();
      for (int i = 0; i < EMAILS.size(); i++) {
        String label = "E" + (i + 1);
        NewJob email =
            NewJob.builder(EMAILS.get(i))
                .priority(EMAIL_PRIORITY)
                .idempotencyKey("demo-" + label)
                .build();
        emails.put(queue.enqueue(email).id(), label);
      }
      QueueMonitor monitor = QueueMonitor.builder(queue).build();
      monitor.checkNow(); // the baseline for the throughput in the closing statistics
      Duration fairness = Duration.ofMillis(Math.max(1000, workMs * 2));
      Narrator narrator = new Narrator(out, plan, stored, emails, queue, fairness);
      printPlan(out, plan, base, fairness);

      SimulatedCodingSession handler =
          new SimulatedCodingSession(
              Duration.ofMillis(workMs),
              0,
              job -> {
                Kind kind = narrator.kind(job.id());
                return kind == Kind.POISON || (kind == Kind.FLAKY && job.attempt() == 1);
              });
      List<JobProcessor> workers = new ArrayList<>();
      CountDownLatch firstClaim = new CountDownLatch(1);
      SimulatedEmailSender sender =
          new SimulatedEmailSender(Duration.ofMillis(Math.min(workMs, 200) / 2), 0);
      for (String name : List.of("worker-a", "worker-b")) {
        workers.add(
            JobProcessor.builder(queue, handler)
                .handler(SendEmail.KIND, SendEmail.class, sender)
                .workerId(name)
                .fairness(fairness)
                .concurrency(CONCURRENCY)
                .pollInterval(Duration.ofMillis(200))
                .leaseDuration(Duration.ofSeconds(30))
                .shutdownTimeout(Duration.ofSeconds(5))
                .listener(narrator.forWorker(name))
                .listener(
                    new JobListener() {
                      @Override
                      public void onClaim(int count) {
                        firstClaim.countDown();
                      }
                    })
                .build());
      }
      out.println();
      out.println(
          "Starting 2 workers (worker-a, worker-b), "
              + CONCURRENCY
              + " jobs at a time each, "
              + String.format(Locale.ROOT, "%.1f", workMs / 1000.0)
              + " s of simulated work per attempt:");
      out.println();
      out.flush();
      narrator.start();
      // worker-b starts once worker-a has made its first claim: two first claims racing could
      // commit in either order, and the story of "who claimed what first" would blur.
      workers.get(0).start();
      firstClaim.await(10, TimeUnit.SECONDS);
      workers.get(1).start();
      boolean settled;
      try {
        settled = awaitSettled(queue, limit);
      } finally {
        workers.forEach(JobProcessor::stop);
      }
      out.println();
      if (!settled) {
        out.println("The demo did not finish within " + timeout + "; stopped the workers.");
      }
      narrator.summary(settled);
      out.println();
      out.println(monitor.checkNow().format());
      out.flush();
      return settled ? 0 : 1;
    }
  }

  private boolean awaitSettled(JobQueue queue, Duration limit) throws InterruptedException {
    long deadline = System.nanoTime() + limit.toNanos();
    while (System.nanoTime() < deadline) {
      QueueStats s = queue.getQueueStats();
      if (s.pendingCount() == 0 && s.processingCount() == 0) {
        return true;
      }
      TimeUnit.MILLISECONDS.sleep(100); // a progress check, not a test wait
    }
    return false;
  }

  private void resetSchema(Database db) throws SQLException {
    try (Connection c = db.connect();
        Statement st = c.createStatement()) {
      st.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
    }
  }

  /**
   * The mix: Free jobs enqueued first, then Starter, then Pro, so priority visibly beats age. One
   * Free and one Starter job always fail (dead letter after 3 attempts), one Pro and one Free job
   * fail once, and one Pro job is delayed.
   */
  private static List<Planned> plan(int n) {
    int pro = Math.max(2, n * 3 / 10);
    int starter = Math.max(2, n * 3 / 10);
    int free = n - pro - starter;
    List<Planned> plan = new ArrayList<>();
    int order = 0;
    int prompt = 0;
    Map<PlanTier, Integer> counts =
        Map.of(PlanTier.FREE, free, PlanTier.STARTER, starter, PlanTier.PRO, pro);
    for (PlanTier tier : List.of(PlanTier.FREE, PlanTier.STARTER, PlanTier.PRO)) {
      int count = counts.get(tier);
      for (int i = 1; i <= count; i++) {
        Kind kind = Kind.NORMAL;
        Duration delay = Duration.ZERO;
        if (tier == PlanTier.FREE && i == 2 || tier == PlanTier.STARTER && i == 2) {
          kind = Kind.POISON;
        } else if (tier == PlanTier.FREE && i == 3 || tier == PlanTier.PRO && i == 2) {
          kind = Kind.FLAKY;
        } else if (tier == PlanTier.PRO && i == count && count >= 3) {
          kind = Kind.DELAYED;
          delay = Duration.ofSeconds(4);
        }
        String label = tier.name().charAt(0) + Integer.toString(i);
        plan.add(
            new Planned(label, tier, PROMPTS.get(prompt++ % PROMPTS.size()), kind, delay, order++));
      }
    }
    plan.add(
        new Planned(
            FIRST_PROMPT + "+",
            PlanTier.PRO,
            "Now add a delete button to each todo",
            Kind.FOLLOW_UP,
            Duration.ZERO,
            order));
    return plan;
  }

  private static int labelIndex(List<Planned> plan, String label) {
    for (int i = 0; i < plan.size(); i++) {
      if (plan.get(i).label().equals(label)) {
        return i;
      }
    }
    throw new IllegalStateException("no job " + label + " in the plan");
  }

  private static void printPlan(
      PrintWriter out, List<Planned> plan, Duration base, Duration fairness) {
    out.println();
    out.println(
        "Enqueued "
            + plan.size()
            + " jobs, oldest first, each in a new coding session but "
            + FIRST_PROMPT
            + "+:");
    for (Planned p : plan) {
      String note =
          switch (p.kind()) {
            case POISON -> "  <- fails every attempt: dead letter after 3";
            case FLAKY -> "  <- fails its first attempt, then succeeds";
            case DELAYED -> "  <- delayed " + p.delay().toSeconds() + " s";
            case FOLLOW_UP -> "  <- a second prompt in " + FIRST_PROMPT + "'s session";
            default -> "";
          };
      out.println(
          String.format(
                  Locale.ROOT,
                  "  %-4s %-8s priority %-3d %-42s%s",
                  p.label(),
                  tierName(p.tier()),
                  p.tier().priority(),
                  "\"" + p.prompt() + "\"",
                  note)
              .stripTrailing());
    }
    out.println(
        "And "
            + EMAILS.size()
            + " jobs of a second kind, "
            + SendEmail.KIND
            + " (no session; the same workers run it), priority "
            + EMAIL_PRIORITY
            + ":");
    for (int i = 0; i < EMAILS.size(); i++) {
      out.println(
          String.format(
              Locale.ROOT,
              "  E%-3d %-8s priority %-3d to %s: \"%s\"",
              i + 1,
              "email",
              EMAIL_PRIORITY,
              EMAILS.get(i).to(),
              EMAILS.get(i).subject()));
    }
    out.println();
    out.println(
        "Claim order: highest priority first (Pro 10, Starter 5, Free 0), oldest first within a"
            + " priority; a lower tier due for more than "
            + String.format(Locale.ROOT, "%.1f", fairness.toMillis() / 1000.0)
            + " s (the fairness bound) goes first; a session's prompts run one at a time.");
    out.printf(
        Locale.ROOT,
        "A failed attempt returns to pending after a backoff (%.1f s, then %.1f s); after 3 failed"
            + " attempts the job goes to the dead letter and its session fails.%n",
        base.toMillis() / 1000.0,
        base.toMillis() * 2 / 1000.0);
  }

  private static String tierName(PlanTier tier) {
    String n = tier.name().toLowerCase(Locale.ROOT);
    return Character.toUpperCase(n.charAt(0)) + n.substring(1);
  }

  /** Prints what the workers do, as it happens, with the reason for each start. */
  private static final class Narrator {
    private final PrintWriter out;
    private final JobQueue queue;
    private final Map<UUID, Planned> byId = new HashMap<>();
    private final Map<UUID, String> emails;
    private final Set<UUID> neverStarted = new LinkedHashSet<>();
    private final List<Job> startOrder = new ArrayList<>();
    private final Map<UUID, Instant> dueAt = new HashMap<>();
    private final Map<String, Integer> attemptsByWorker = new TreeMap<>();
    private final Duration fairness;
    private long startNanos;

    Narrator(
        PrintWriter out,
        List<Planned> plan,
        List<Job> stored,
        Map<UUID, String> emails,
        JobQueue queue,
        Duration fairness) {
      this.out = out;
      this.fairness = fairness;
      this.queue = queue;
      this.emails = Map.copyOf(emails);
      for (int i = 0; i < plan.size(); i++) {
        byId.put(stored.get(i).id(), plan.get(i));
        dueAt.put(stored.get(i).id(), stored.get(i).runAt());
        neverStarted.add(stored.get(i).id());
      }
    }

    Kind kind(UUID id) {
      Planned p = byId.get(id);
      return p == null ? Kind.NORMAL : p.kind();
    }

    synchronized void start() {
      startNanos = System.nanoTime();
    }

    JobListener forWorker(String worker) {
      return new JobListener() {
        @Override
        public void onJobStarted(Job job, Duration sinceClaim) {
          started(worker, job);
        }

        @Override
        public void onJobSucceeded(Job job, Duration runTime) {
          if (!job.isCodingSession()) {
            line(
                worker,
                "done ",
                job,
                String.format(
                    Locale.ROOT,
                    "sent in %.1f s (attempt %d/%d); no session to update",
                    runTime.toMillis() / 1000.0,
                    job.attempt(),
                    job.maxAttempts()));
            return;
          }
          line(
              worker,
              "done ",
              job,
              String.format(
                  Locale.ROOT,
                  "completed in %.1f s (attempt %d/%d); session completed",
                  runTime.toMillis() / 1000.0,
                  job.attempt(),
                  job.maxAttempts()));
        }

        @Override
        public void onJobRetried(Job job, Throwable error, Duration runTime) {
          String backoff =
              queue
                  .findJob(job.id())
                  .map(
                      j ->
                          String.format(
                              Locale.ROOT,
                              "%.1f s",
                              Math.max(0, Duration.between(Instant.now(), j.runAt()).toMillis())
                                  / 1000.0))
                  .orElse("a moment");
          line(
              worker,
              "FAIL ",
              job,
              "attempt "
                  + job.attempt()
                  + "/"
                  + job.maxAttempts()
                  + " failed ("
                  + error.getMessage()
                  + "); back to pending, retry in "
                  + backoff
                  + " (backoff)");
        }

        @Override
        public void onJobDeadLettered(Job job, Throwable error, Duration runTime) {
          line(
              worker,
              "DEAD ",
              job,
              "attempt "
                  + job.attempt()
                  + "/"
                  + job.maxAttempts()
                  + " failed, no attempts left: dead letter (status failed, session failed)");
        }

        @Override
        public void onJobLost(Job job, String reason) {
          line(worker, "LOST ", job, reason);
        }
      };
    }

    private synchronized void started(String worker, Job job) {
      attemptsByWorker.merge(worker, 1, Integer::sum);
      Planned p = byId.get(job.id());
      String why;
      if (!job.isCodingSession()) {
        why =
            "kind "
                + job.kind()
                + ", priority "
                + job.priority()
                + ": claimed with the coding sessions, by the same priority rule";
      } else if (job.attempt() > 1) {
        why = "retry: attempt " + job.attempt() + "/" + job.maxAttempts() + ", its backoff is over";
      } else {
        neverStarted.remove(job.id());
        startOrder.add(job);
        why = reason(job, p);
      }
      line(worker, "start", job, why);
    }

    /** Why this job ran now: its priority against the jobs still waiting. */
    private String reason(Job job, Planned p) {
      Instant now = Instant.now();
      Map<PlanTier, Integer> waiting = new EnumMap<>(PlanTier.class);
      for (UUID id : neverStarted) {
        if (!dueAt.get(id).isAfter(now)) {
          waiting.merge(byId.get(id).tier(), 1, Integer::sum);
        }
      }
      StringBuilder why = new StringBuilder();
      why.append("priority ").append(job.priority());
      if (p != null && p.kind() == Kind.DELAYED) {
        return why.append(": its ")
            .append(p.delay().toSeconds())
            .append(" s delay is over")
            .toString();
      }
      if (p != null && p.kind() == Kind.FOLLOW_UP) {
        return why.append(": the second prompt of ")
            .append(FIRST_PROMPT)
            .append("'s session, which waited for ")
            .append(FIRST_PROMPT)
            .append(" to finish")
            .toString();
      }
      Duration waited = Duration.between(dueAt.get(job.id()), now);
      List<String> higher = new ArrayList<>();
      for (PlanTier t : List.of(PlanTier.PRO, PlanTier.STARTER)) {
        if (t.priority() > job.priority() && waiting.getOrDefault(t, 0) > 0) {
          higher.add(waiting.get(t) + " " + tierName(t));
        }
      }
      if (!higher.isEmpty() && waited.compareTo(fairness) >= 0) {
        return why.append(
                String.format(
                    Locale.ROOT,
                    ": due for %.1f s, past the fairness bound, so ahead of ",
                    waited.toMillis() / 1000.0))
            .append(String.join(" and ", higher))
            .toString();
      }
      why.append(job.tier() == PlanTier.PRO ? ": highest" : ": no higher priority due");
      List<String> lower = new ArrayList<>();
      for (PlanTier t : List.of(PlanTier.STARTER, PlanTier.FREE)) {
        if (t.priority() < job.priority() && waiting.getOrDefault(t, 0) > 0) {
          lower.add(waiting.get(t) + " " + tierName(t));
        }
      }
      if (!lower.isEmpty()) {
        why.append(", ahead of ").append(String.join(" and ", lower));
      }
      int same = waiting.getOrDefault(job.tier(), 0);
      if (same > 0) {
        why.append("; oldest of its tier (").append(same).append(" more waiting)");
      }
      return why.toString();
    }

    private synchronized void line(String worker, String what, Job job, String text) {
      Planned p = byId.get(job.id());
      String email = emails.get(job.id());
      double at = (System.nanoTime() - startNanos) / 1e9;
      out.printf(
          Locale.ROOT,
          "[+%5.1fs] %-8s %s %-4s %-8s %s%n",
          at,
          worker,
          what,
          p != null ? p.label() : email != null ? email : "?",
          email != null ? "email" : tierName(job.tier()),
          text);
      out.flush();
    }

    /**
     * First attempts in the order they were claimed: by claim time, and within one claim statement
     * (one time) in the statement's order, priority then age.
     */
    private synchronized List<String> claimOrder() {
      List<Job> jobs = new ArrayList<>(startOrder);
      jobs.sort(
          Comparator.comparing(Job::startedAt, Comparator.nullsLast(Comparator.naturalOrder()))
              .thenComparing(Comparator.comparingInt(Job::priority).reversed())
              .thenComparing(Job::createdAt));
      List<String> labels = new ArrayList<>();
      for (Job j : jobs) {
        labels.add(byId.get(j.id()).label());
      }
      return labels;
    }

    void summary(boolean settled) {
      double seconds = (System.nanoTime() - startNanos) / 1e9;
      List<Job> dead = new ArrayList<>();
      int completed = 0;
      int sent = 0;
      // One read for every job: the demo's schema holds only the demo's jobs.
      for (Job j : queue.listJobs(null, byId.size() + emails.size())) {
        if (emails.containsKey(j.id()) && j.status() == JobStatus.COMPLETED) {
          sent++;
        }
        if (!byId.containsKey(j.id())) {
          continue;
        }
        if (j.status() == JobStatus.COMPLETED) {
          completed++;
        } else if (j.status() == JobStatus.FAILED) {
          dead.add(j);
        }
      }
      dead.sort(Comparator.comparing(j -> byId.get(j.id()).label()));
      out.printf(
          Locale.ROOT,
          "%s in %.1f s: %d completed, %d dead-lettered.%n",
          settled ? "All " + byId.size() + " jobs settled" : "Stopped",
          seconds,
          completed,
          dead.size());
      List<String> perWorker = new ArrayList<>();
      synchronized (this) {
        attemptsByWorker.forEach((w, n) -> perWorker.add(w + " ran " + n + " attempts"));
      }
      out.printf(
          Locale.ROOT,
          "Beside them, %d of %d %s jobs were sent by the same workers, with no session.%n",
          sent,
          emails.size(),
          SendEmail.KIND);
      out.println("Work was shared: " + String.join(", ", perWorker) + ".");
      out.println("Claim order of first attempts: " + String.join(" ", claimOrder()));
      out.println(
          "  Pro jobs ran first, then Starter, then Free, whatever the enqueue order; a delayed"
              + " job waits for its time whatever its priority; "
              + FIRST_PROMPT
              + "+ waited for "
              + FIRST_PROMPT
              + ", the prompt before it in its session.");
      dead.sort((a, b) -> byId.get(a.id()).order() - byId.get(b.id()).order());
      for (Job j : dead) {
        out.println(
            "Dead letter: "
                + byId.get(j.id()).label()
                + " "
                + j.id()
                + " after "
                + j.errors().size()
                + " attempts; last error: "
                + j.errorMessage());
      }
      if (!dead.isEmpty()) {
        out.println(
            "  Replay one: java -jar mobvibe-worker.jar jobs replay "
                + dead.get(0).id()
                + " --schema "
                + queue.schema());
      }
    }
  }
}
