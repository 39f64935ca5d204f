package dev.mobvibe.queue.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mobvibe.queue.Job;
import dev.mobvibe.queue.JobStatus;
import dev.mobvibe.queue.NewJob;
import dev.mobvibe.queue.PlanTier;
import dev.mobvibe.queue.QueueStats;
import dev.mobvibe.queue.SessionTracking;
import dev.mobvibe.queue.UniqueViolationException;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;

/**
 * Runs the statements of {@link JobsSql}: one method per state change, each one statement and one
 * round trip. Thread-safe. Internal API: use {@code JobQueue}.
 */
public final class JobStore {

  /** Errors longer than this many characters are truncated before they are stored. */
  public static final int MAX_ERROR_LENGTH = 10_000;

  /** The longest arguments accepted, in characters of JSON: 1,048,576. */
  public static final int MAX_ARGS_CHARS = 1 << 20;

  /** The kinds the claims without a kind list take: the seed's prompt jobs. */
  public static final List<String> CODING_SESSION_ONLY = List.of(NewJob.CODING_SESSION_KIND);

  /**
   * The outcome of a conditional state change.
   *
   * @param previous the status before, or {@code null} when the job does not exist
   * @param changed whether this call changed it
   */
  public record Change(JobStatus previous, boolean changed) {}

  /**
   * The outcome of recording a failure.
   *
   * @param previous the status before, or {@code null} when the job does not exist
   * @param next the status after, or {@code null} when nothing matched (not processing, lease lost)
   */
  public record FailOutcome(JobStatus previous, JobStatus next) {}

  /**
   * A job returned by the reaper.
   *
   * @param id the job
   * @param status its new status: pending (will retry) or failed (dead letter)
   */
  public record Reaped(UUID id, JobStatus status) {}

  /**
   * A session event to append.
   *
   * @param sessionId the session
   * @param type the event type
   * @param json the data as a JSON object text
   * @param at when it was emitted
   * @param jobId the job whose handler emitted it, for log lines (not stored)
   */
  public record SessionEvent(UUID sessionId, String type, String json, Instant at, UUID jobId) {}

  private final Jdbc jdbc;
  private final JobsSql sql;
  private final ObjectMapper json;

  /**
   * Creates a store.
   *
   * @param jdbc where statements run
   * @param schema a schema name, validated here
   */
  public JobStore(Jdbc jdbc, String schema) {
    this(jdbc, schema, JsonMappers.standard());
  }

  /**
   * Creates a store that writes job arguments with the given mapper.
   *
   * @param jdbc where statements run
   * @param schema a schema name, validated here
   * @param json writes the arguments of enqueued jobs
   */
  public JobStore(Jdbc jdbc, String schema, ObjectMapper json) {
    this.jdbc = jdbc;
    this.sql = new JobsSql(schema);
    this.json = json;
  }

  /**
   * Returns the JDBC helper.
   *
   * @return the helper
   */
  public Jdbc jdbc() {
    return jdbc;
  }

  /**
   * Inserts jobs (and new sessions for jobs without one) in one statement on the given connection,
   * without committing. Jobs whose idempotency key already exists, or whose unique key ({@link
   * dev.mobvibe.queue.UniqueOptions}) a job in its unique states holds, are not inserted; the
   * existing job is returned in their place.
   *
   * @param c the connection
   * @param jobs the jobs
   * @return one job per input, in input order
   * @throws SQLException from JDBC
   * @throws IllegalArgumentException if a unique job's arguments lack a chosen field
   */
  public List<Job> insert(Connection c, List<NewJob> jobs) throws SQLException {
    // A key repeated within the batch is inserted once; its later occurrences get that job.
    int n = jobs.size();
    List<NewJob> unique = new ArrayList<>(n);
    int[] slot = new int[n];
    Map<String, Integer> firstByKey = new HashMap<>();
    // Only a batch that holds a unique job pays for unique keys.
    List<String> uniqueKeys = null;
    Map<String, Integer> firstByUniqueKey = null;
    Instant now = null;
    for (int i = 0; i < n; i++) {
      NewJob job = jobs.get(i);
      String uniqueKey = null;
      if (job.unique() != null) {
        if (uniqueKeys == null) {
          uniqueKeys = new ArrayList<>(n);
          firstByUniqueKey = new HashMap<>();
          now = Instant.now();
          for (int k = 0; k < unique.size(); k++) {
            uniqueKeys.add(null);
          }
        }
        uniqueKey = uniqueKey(job, now);
      }
      Integer first = job.idempotencyKey() == null ? null : firstByKey.get(job.idempotencyKey());
      if (first == null && uniqueKey != null) {
        first = firstByUniqueKey.get(uniqueKey);
      }
      if (first != null) {
        slot[i] = first;
      } else {
        slot[i] = unique.size();
        if (job.idempotencyKey() != null) {
          firstByKey.put(job.idempotencyKey(), unique.size());
        }
        if (uniqueKey != null) {
          firstByUniqueKey.put(uniqueKey, unique.size());
        }
        if (uniqueKeys != null) {
          uniqueKeys.add(uniqueKey);
        }
        unique.add(job);
      }
    }
    if (unique.size() == n) {
      return insertUnique(c, jobs, uniqueKeys);
    }
    List<Job> stored = insertUnique(c, unique, uniqueKeys);
    List<Job> result = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      result.add(stored.get(slot[i]));
    }
    return result;
  }

  /**
   * Computes a unique job's key from its arguments as the store's mapper writes them and its time:
   * its run-at time when set, else {@code now}, this JVM's clock at the enqueue.
   */
  private String uniqueKey(NewJob job, Instant now) {
    JsonNode args =
        job.args() == null ? UniqueKeys.promptArgs(job.prompt(), job.sessionId()) : argsTree(job);
    return UniqueKeys.key(job.kind(), args, job.unique(), job.runAt() != null ? job.runAt() : now);
  }

  /**
   * Inserts jobs whose idempotency keys and unique keys are distinct within the batch.
   *
   * @param uniqueKeys the unique key of each job (null for a job that is not unique), or {@code
   *     null} when no job is unique: then the statement without unique columns runs
   */
  private List<Job> insertUnique(Connection c, List<NewJob> jobs, List<String> uniqueKeys)
      throws SQLException {
    int n = jobs.size();
    UUID[] newSessionIds = new UUID[n];
    UUID[] ids = new UUID[n];
    UUID[] sessionIds = new UUID[n];
    String[] prompts = new String[n];
    Integer[] priorities = new Integer[n];
    Integer[] maxAttempts = new Integer[n];
    // Instants travel as ISO-8601 text with their zone: a java.sql.Timestamp array would be read
    // in the session's time zone and shift every value by its offset.
    String[] runAts = new String[n];
    Double[] delays = new Double[n];
    String[] keys = new String[n];
    String[] kinds = new String[n];
    String[] args = new String[n];
    String[] metadata = new String[n];
    String[] concurrencyKeys = new String[n];
    for (int i = 0; i < n; i++) {
      NewJob job = jobs.get(i);
      kinds[i] = job.kind();
      args[i] = job.args() == null ? "{}" : argsText(job.kind(), argsTree(job));
      metadata[i] = job.metadata().isEmpty() ? "{}" : json.valueToTree(job.metadata()).toString();
      ids[i] = TimeOrderedIds.next();
      sessionIds[i] = job.sessionId();
      // A coding session without a session gets a new one; other kinds belong to no session.
      newSessionIds[i] =
          job.sessionId() == null && job.args() == null ? TimeOrderedIds.next() : null;
      // A coding session's key is its session: set here, so the database's trigger (there for
      // other clients' inserts) has nothing to do for the SDK's rows.
      concurrencyKeys[i] =
          job.concurrencyKey() != null || job.args() != null
              ? job.concurrencyKey()
              : (sessionIds[i] != null ? sessionIds[i] : newSessionIds[i]).toString();
      prompts[i] = job.prompt();
      priorities[i] = job.priority();
      maxAttempts[i] = job.maxAttempts();
      runAts[i] = job.runAt() == null ? null : job.runAt().toString();
      delays[i] = job.delay().toNanos() / 1e9;
      keys[i] = job.idempotencyKey();
    }
    String[] uniqueKeyArray = uniqueKeys == null ? null : uniqueKeys.toArray(new String[0]);
    String[] uniqueStates = null;
    if (uniqueKeys != null) {
      uniqueStates = new String[n];
      for (int i = 0; i < n; i++) {
        NewJob job = jobs.get(i);
        uniqueStates[i] = job.unique() == null ? null : UniqueKeys.statesLiteral(job.unique());
      }
    }
    String[] statesArray = uniqueStates;
    List<Job> inserted =
        jdbc.queryOn(
            c,
            uniqueKeys == null ? sql.jobsInsertBatch : sql.jobsInsertBatchUnique,
            ps -> {
              ps.setArray(1, c.createArrayOf("uuid", newSessionIds));
              ps.setArray(2, c.createArrayOf("uuid", ids));
              ps.setArray(3, c.createArrayOf("uuid", sessionIds));
              ps.setArray(4, c.createArrayOf("text", prompts));
              ps.setArray(5, c.createArrayOf("int4", priorities));
              ps.setArray(6, c.createArrayOf("int4", maxAttempts));
              ps.setArray(7, c.createArrayOf("timestamptz", runAts));
              ps.setArray(8, c.createArrayOf("float8", delays));
              ps.setArray(9, c.createArrayOf("text", keys));
              ps.setArray(10, c.createArrayOf("text", kinds));
              ps.setArray(11, c.createArrayOf("jsonb", args));
              ps.setArray(12, c.createArrayOf("jsonb", metadata));
              if (uniqueKeyArray != null) {
                ps.setArray(13, c.createArrayOf("text", uniqueKeyArray));
                ps.setArray(14, c.createArrayOf("text", statesArray));
                ps.setArray(15, c.createArrayOf("text", concurrencyKeys));
              } else {
                ps.setArray(13, c.createArrayOf("text", concurrencyKeys));
              }
            },
            JobRows::map);
    Map<UUID, Job> byId = new HashMap<>(inserted.size() * 2);
    for (Job job : inserted) {
      byId.put(job.id(), job);
    }
    Map<String, Job> byKey = new HashMap<>();
    Map<String, Job> byUniqueKey = new HashMap<>();
    if (inserted.size() < n) {
      Set<String> missingKeys = new HashSet<>();
      Set<String> missingUniqueKeys = new HashSet<>();
      for (int i = 0; i < n; i++) {
        if (!byId.containsKey(ids[i])) {
          if (keys[i] != null) {
            missingKeys.add(keys[i]);
          }
          if (uniqueKeyArray != null && uniqueKeyArray[i] != null) {
            missingUniqueKeys.add(uniqueKeyArray[i]);
          }
        }
      }
      for (Job job : selectByKeys(c, missingKeys)) {
        byKey.put(job.idempotencyKey(), job);
      }
      if (!missingUniqueKeys.isEmpty()) {
        for (Map.Entry<String, Job> e :
            jdbc.queryOn(
                c,
                sql.jobsSelectByUniqueKeys,
                ps -> ps.setArray(1, c.createArrayOf("text", missingUniqueKeys.toArray())),
                rs -> Map.entry(rs.getString("unique_key"), JobRows.map(rs)))) {
          byUniqueKey.put(e.getKey(), e.getValue());
        }
      }
    }
    List<Job> result = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      Job job = byId.get(ids[i]);
      if (job == null && keys[i] != null) {
        job = byKey.get(keys[i]);
      }
      String uniqueKey = uniqueKeyArray == null ? null : uniqueKeyArray[i];
      if (job == null && uniqueKey != null) {
        job = byUniqueKey.get(uniqueKey);
      }
      if (job == null) {
        // Another transaction inserted the same key and has not committed yet, or the job holding
        // the unique key left its unique states since the insert skipped this one.
        throw new SQLException(
            "job with "
                + (keys[i] != null ? "idempotency key '" + keys[i] + "'" : "")
                + (keys[i] != null && uniqueKey != null ? " and " : "")
                + (uniqueKey != null ? "unique key " + uniqueKey : "")
                + " is being inserted or changed by a concurrent transaction; retry",
            "40001");
      }
      result.add(job);
    }
    return result;
  }

  /**
   * Writes a job's arguments as a JSON tree with the store's mapper.
   *
   * @throws IllegalArgumentException when they cannot be written, or are not a JSON object
   */
  private JsonNode argsTree(NewJob job) {
    JsonNode tree;
    try {
      tree = json.valueToTree(job.args());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "cannot write the arguments of kind " + job.kind() + " as JSON: " + e.getMessage(), e);
    }
    if (tree == null || !tree.isObject()) {
      throw new IllegalArgumentException(
          "the arguments of kind "
              + job.kind()
              + " must be written as a JSON object, got "
              + (tree == null ? "null" : tree.getNodeType()));
    }
    return tree;
  }

  /**
   * The text of a job's arguments, as stored.
   *
   * @throws IllegalArgumentException when jsonb cannot store them or they are too long
   */
  private static String argsText(String kind, JsonNode tree) {
    String text = tree.toString();
    if (text.indexOf("\\u0000") >= 0) {
      throw new IllegalArgumentException(
          "the arguments of kind " + kind + " hold a NUL character, which jsonb cannot store");
    }
    if (text.length() > MAX_ARGS_CHARS) {
      throw new IllegalArgumentException(
          "the arguments of kind "
              + kind
              + " are "
              + text.length()
              + " characters of JSON, the limit is "
              + MAX_ARGS_CHARS);
    }
    return text;
  }

  private List<Job> selectByKeys(Connection c, Collection<String> keys) throws SQLException {
    if (keys.isEmpty()) {
      return List.of();
    }
    return jdbc.queryOn(
        c,
        sql.jobsSelectByIdempotencyKeys,
        ps -> ps.setArray(1, c.createArrayOf("text", keys.toArray())),
        JobRows::map);
  }

  /**
   * Claims up to {@code limit} due jobs for {@code owner}, highest priority first, marking their
   * sessions active with events ({@link SessionTracking#STATUS_AND_EVENTS}).
   *
   * @param owner the lease owner
   * @param limit how many at most
   * @param lease how long the lease lasts
   * @return the claimed jobs in claim order
   */
  public List<Job> claim(String owner, int limit, Duration lease) {
    return claim(owner, CODING_SESSION_ONLY, limit, lease, SessionTracking.STATUS_AND_EVENTS);
  }

  /**
   * Claims up to {@code limit} due jobs for {@code owner}, highest priority first.
   *
   * @param owner the lease owner
   * @param limit how many at most
   * @param lease how long the lease lasts
   * @param sessions what the claim writes to the jobs' sessions
   * @return the claimed jobs in claim order
   */
  public List<Job> claim(String owner, int limit, Duration lease, SessionTracking sessions) {
    return claim(owner, CODING_SESSION_ONLY, limit, lease, sessions);
  }

  /**
   * Claims up to {@code limit} due jobs of the given kinds for {@code owner}, highest priority
   * first, with no limits and no fairness bound (paused kinds and concurrency keys still apply).
   *
   * @param owner the lease owner
   * @param kinds the kinds to claim
   * @param limit how many at most
   * @param lease how long the lease lasts
   * @param sessions what the claim writes to the jobs' sessions
   * @return the claimed jobs in claim order
   */
  public List<Job> claim(
      String owner, Collection<String> kinds, int limit, Duration lease, SessionTracking sessions) {
    return claim(owner, kinds, FlowRules.NONE, limit, lease, sessions);
  }

  /**
   * Claims up to {@code limit} due jobs of the given kinds for {@code owner} under flow-control
   * rules: paused kinds are skipped, a job runs only on its concurrency key's turn, jobs due longer
   * than the fairness bound go first, and running-job and rate limits hold across every worker.
   * With limits, the claim takes their locks first, in a transaction of its own.
   *
   * @param owner the lease owner
   * @param kinds the kinds to claim
   * @param flow the limits and the fairness bound
   * @param limit how many at most
   * @param lease how long the lease lasts
   * @param sessions what the claim writes to the jobs' sessions
   * @return the claimed jobs in claim order
   */
  public List<Job> claim(
      String owner,
      Collection<String> kinds,
      FlowRules flow,
      int limit,
      Duration lease,
      SessionTracking sessions) {
    String statement =
        switch (sessions) {
          case OFF -> sql.jobsClaimBatchJobsOnly;
          case STATUS -> sql.jobsClaimBatchWithoutEvents;
          case STATUS_AND_EVENTS -> sql.jobsClaimBatch;
        };
    return runClaim(
        statement, flow, ps -> bindClaim(ps, 1, kinds, flow, limit, owner, lease), JobRows::map);
  }

  /**
   * Pauses a kind across the cluster.
   *
   * @param kind the kind
   * @param by who paused it, kept for operators
   * @return whether it was running before (false: it was paused already)
   */
  public boolean pauseKind(String kind, String by) {
    return jdbc.query(
            "pause kind " + kind,
            sql.kindsPause,
            ps -> {
              ps.setString(1, kind);
              ps.setString(2, kind);
              ps.setString(3, by);
            },
            rs -> rs.getBoolean("newly"))
        .get(0);
  }

  /**
   * Resumes a paused kind.
   *
   * @param kind the kind
   * @return whether it was paused
   */
  public boolean resumeKind(String kind) {
    return jdbc.update("resume kind " + kind, sql.kindsResume, ps -> ps.setString(1, kind)) == 1;
  }

  /**
   * The paused kinds and since when, in kind order.
   *
   * @return kind to the time it was paused
   */
  public Map<String, Instant> pausedKinds() {
    Map<String, Instant> paused = new TreeMap<>();
    jdbc.query(
        "read paused kinds",
        sql.kindsSelectPaused,
        ps -> {},
        rs -> paused.put(rs.getString("kind"), JobRows.instant(rs, "paused_at")));
    return Collections.unmodifiableMap(paused);
  }

  /**
   * Limits and fairness of a claim.
   *
   * @param limits running-job limits that hold across every worker
   * @param rates start-rate limits that hold across every worker
   * @param fairness how long a due job may wait before it goes ahead of higher priorities, or
   *     {@code null} for strict priority order
   */
  public record FlowRules(List<Limit> limits, List<Rate> rates, Duration fairness) {
    /** No limits and strict priority order. */
    public static final FlowRules NONE = new FlowRules(List.of(), List.of(), null);

    /** Copies the lists. */
    public FlowRules {
      limits = List.copyOf(limits);
      rates = List.copyOf(rates);
    }

    /**
     * At most {@code most} running jobs of a kind, or of the jobs of the kind whose concurrency key
     * starts with a prefix.
     *
     * @param kind the kind
     * @param keyPrefix the key prefix, or {@code null} for every job of the kind
     * @param most the most running at once
     */
    public record Limit(String kind, String keyPrefix, int most) {}

    /**
     * At most {@code starts} jobs of a kind start per window of length {@code per}; windows are
     * aligned to the epoch on the database's clock.
     *
     * @param kind the kind
     * @param starts the most starts per window
     * @param per the window
     */
    public record Rate(String kind, int starts, Duration per) {}

    /** The kinds whose limits the claim must lock, in lock order. */
    List<String> lockedKinds() {
      java.util.TreeSet<String> kinds = new TreeSet<>();
      limits.forEach(l -> kinds.add(l.kind()));
      rates.forEach(r -> kinds.add(r.kind()));
      return List.copyOf(kinds);
    }
  }

  /**
   * Runs a claim statement: alone, or after the locks of its limits in a transaction of its own, so
   * that it counts what every earlier claimer committed.
   */
  private <T> List<T> runClaim(
      String statement, FlowRules flow, Jdbc.Binder binder, Jdbc.RowMapper<T> mapper) {
    List<String> locked = flow.lockedKinds();
    if (locked.isEmpty()) {
      return jdbc.queryWithoutJit("claim jobs", statement, binder, mapper);
    }
    return jdbc.inTransaction(
        "claim jobs",
        c -> {
          jdbc.queryOn(
              c,
              sql.jobsClaimLock,
              ps -> ps.setArray(1, c.createArrayOf("text", locked.toArray())),
              rs -> rs.getLong(1));
          return jdbc.queryWithoutJitOn(c, statement, binder, mapper);
        });
  }

  /** Binds the parameters of the claim steps, from {@code first} on. */
  private static void bindClaim(
      PreparedStatement ps,
      int first,
      Collection<String> kinds,
      FlowRules flow,
      int limit,
      String owner,
      Duration lease)
      throws SQLException {
    Connection c = ps.getConnection();
    List<FlowRules.Limit> limits = flow.limits();
    List<FlowRules.Rate> rates = flow.rates();
    int i = first;
    ps.setArray(i++, c.createArrayOf("text", limits.stream().map(l -> l.kind()).toArray()));
    ps.setArray(i++, c.createArrayOf("text", limits.stream().map(l -> l.keyPrefix()).toArray()));
    ps.setArray(i++, c.createArrayOf("int4", limits.stream().map(l -> l.most()).toArray()));
    ps.setArray(i++, c.createArrayOf("text", rates.stream().map(r -> r.kind()).toArray()));
    ps.setArray(i++, c.createArrayOf("int4", rates.stream().map(r -> r.starts()).toArray()));
    ps.setArray(
        i++, c.createArrayOf("float8", rates.stream().map(r -> seconds(r.per())).toArray()));
    ps.setArray(i++, c.createArrayOf("text", kinds.toArray()));
    if (flow.fairness() == null) {
      ps.setNull(i++, Types.DOUBLE);
    } else {
      ps.setDouble(i++, seconds(flow.fairness()));
    }
    int agedLimit = (limit + 1) / 2;
    ps.setInt(i++, agedLimit);
    ps.setInt(i++, agedLimit);
    ps.setInt(i++, limit);
    ps.setInt(i++, limit);
    ps.setString(i++, owner);
    ps.setDouble(i, seconds(lease));
  }

  /**
   * What a claim that also reaped returned.
   *
   * @param jobs the claimed jobs in claim order
   * @param reapedToPending expired jobs returned to pending
   * @param reapedToFailed expired jobs that were out of attempts and went to the dead letter
   */
  public record ClaimResult(List<Job> jobs, int reapedToPending, int reapedToFailed) {}

  /**
   * What a reap takes.
   *
   * @param limit how many expired jobs one statement reaps at most
   * @param grace how long a lease must have been expired
   * @param unleasedGrace how long ago a job without a lease (claimed by a seed-era worker) must
   *     have started
   */
  public record Reaping(int limit, Duration grace, Duration unleasedGrace) {
    /** Every expired lease and every unleased row at once, up to {@code limit}. */
    public static Reaping immediate(int limit) {
      return new Reaping(limit, Duration.ZERO, Duration.ZERO);
    }
  }

  /**
   * Reaps expired leases and claims due coding-session jobs in one statement.
   *
   * @param owner the lease owner
   * @param limit how many jobs at most; 0 only reaps
   * @param lease how long the lease lasts
   * @param sessions what the claim writes to the claimed jobs' sessions
   * @param reaping what counts as expired, and how many to reap at most
   * @return the claimed jobs and the reaped counts
   */
  public ClaimResult claimAndReap(
      String owner, int limit, Duration lease, SessionTracking sessions, Reaping reaping) {
    return claimAndReap(owner, CODING_SESSION_ONLY, limit, lease, sessions, reaping);
  }

  /**
   * Reaps every expired lease, with no grace, and claims due coding-session jobs in one statement.
   *
   * @param owner the lease owner
   * @param limit how many jobs at most; 0 only reaps
   * @param lease how long the lease lasts
   * @param sessions what the claim writes to the claimed jobs' sessions
   * @param reapLimit how many expired jobs to reap at most
   * @return the claimed jobs and the reaped counts
   */
  public ClaimResult claimAndReap(
      String owner, int limit, Duration lease, SessionTracking sessions, int reapLimit) {
    return claimAndReap(
        owner, CODING_SESSION_ONLY, limit, lease, sessions, Reaping.immediate(reapLimit));
  }

  /**
   * Reaps expired leases and claims due jobs in one statement. A reaped job that is out of attempts
   * fails its session, with its event, whatever {@code sessions} says.
   *
   * @param owner the lease owner
   * @param kinds the kinds to claim (every kind is reaped)
   * @param limit how many jobs at most; 0 only reaps
   * @param lease how long the lease lasts
   * @param sessions what the claim writes to the claimed jobs' sessions
   * @param reaping what counts as expired, and how many to reap at most
   * @return the claimed jobs and the reaped counts
   */
  public ClaimResult claimAndReap(
      String owner,
      Collection<String> kinds,
      int limit,
      Duration lease,
      SessionTracking sessions,
      Reaping reaping) {
    return claimAndReap(owner, kinds, FlowRules.NONE, limit, lease, sessions, reaping);
  }

  /**
   * Reaps expired leases and claims due jobs under flow-control rules in one statement ({@link
   * #claim(String, Collection, FlowRules, int, Duration, SessionTracking)}). A reaped job that is
   * out of attempts fails its session, with its event, whatever {@code sessions} says.
   *
   * @param owner the lease owner
   * @param kinds the kinds to claim (every kind is reaped)
   * @param flow the limits and the fairness bound
   * @param limit how many jobs at most; 0 only reaps
   * @param lease how long the lease lasts
   * @param sessions what the claim writes to the claimed jobs' sessions
   * @param reaping what counts as expired, and how many to reap at most
   * @return the claimed jobs and the reaped counts
   */
  public ClaimResult claimAndReap(
      String owner,
      Collection<String> kinds,
      FlowRules flow,
      int limit,
      Duration lease,
      SessionTracking sessions,
      Reaping reaping) {
    String statement =
        switch (sessions) {
          case OFF -> sql.jobsClaimAndReapBatchJobsOnly;
          case STATUS -> sql.jobsClaimAndReapBatchWithoutEvents;
          case STATUS_AND_EVENTS -> sql.jobsClaimAndReapBatch;
        };
    int[] reaped = new int[2];
    List<Job> jobs = new ArrayList<>(limit);
    runClaim(
        statement,
        flow,
        ps -> {
          ps.setDouble(1, seconds(reaping.grace()));
          ps.setDouble(2, seconds(reaping.unleasedGrace()));
          ps.setInt(3, reaping.limit());
          bindClaim(ps, 4, kinds, flow, limit, owner, lease);
        },
        rs -> {
          if (rs.getObject("id") == null) {
            reaped[0] = rs.getInt("reaped_pending");
            reaped[1] = rs.getInt("reaped_failed");
          } else {
            jobs.add(JobRows.map(rs));
          }
          return null;
        });
    jobs.sort(CLAIM_ORDER);
    return new ClaimResult(jobs, reaped[0], reaped[1]);
  }

  private static final java.util.Comparator<Job> CLAIM_ORDER =
      java.util.Comparator.comparingInt(Job::priority)
          .reversed()
          .thenComparing(Job::createdAt)
          .thenComparing(Job::id);

  /**
   * Completes a job without a lease check.
   *
   * @param id the job
   * @return what happened
   */
  public Change complete(UUID id) {
    return change("complete job " + id, sql.jobsComplete, id);
  }

  /**
   * Cancels a pending or processing job.
   *
   * @param id the job
   * @return what happened
   */
  public Change cancel(UUID id) {
    return change("cancel job " + id, sql.jobsCancel, id);
  }

  /**
   * Returns a failed job to pending with fresh attempts.
   *
   * @param id the job
   * @return what happened
   */
  public Change replay(UUID id) {
    try {
      return change("replay job " + id, sql.jobsReplay, id);
    } catch (UniqueViolationException e) {
      // Back in pending, the job would hold its unique key again: another job holds it now.
      Optional<Job> holder =
          jdbc
              .query(
                  "find the holder of the unique key of job " + id,
                  sql.jobsSelectUniqueKeyHolder,
                  ps -> {
                    ps.setObject(1, id);
                    ps.setObject(2, id);
                  },
                  JobRows::map)
              .stream()
              .findFirst();
      if (holder.isEmpty()) {
        throw e;
      }
      throw new UniqueViolationException(
          "cannot replay job "
              + id
              + ": job "
              + holder.get().id()
              + " ("
              + holder.get().status().dbValue()
              + ") holds its unique key; the job stays failed",
          e.getCause());
    }
  }

  private Change change(String what, String statement, UUID id) {
    return jdbc.query(
            what,
            statement,
            ps -> {
              ps.setObject(1, id);
              ps.setObject(2, id);
            },
            rs -> {
              String previous = rs.getString("previous_status");
              return new Change(
                  previous == null ? null : JobStatus.fromDb(previous), rs.getBoolean("changed"));
            })
        .get(0);
  }

  /**
   * Completes leased jobs in one statement, marking their sessions completed with events ({@link
   * SessionTracking#STATUS_AND_EVENTS}).
   *
   * @param owner the lease owner
   * @param ids the jobs
   * @param retryCounts the retry count each job had when claimed (the attempt fence)
   * @return the ids that were completed; the others had lost their lease
   */
  public Set<UUID> completeLeased(String owner, List<UUID> ids, List<Integer> retryCounts) {
    return completeLeased(owner, ids, retryCounts, SessionTracking.STATUS_AND_EVENTS);
  }

  /**
   * Completes leased jobs in one statement.
   *
   * @param owner the lease owner
   * @param ids the jobs
   * @param retryCounts the retry count each job had when claimed (the attempt fence)
   * @param sessions what the completion writes to the jobs' sessions
   * @return the ids that were completed; the others had lost their lease
   */
  public Set<UUID> completeLeased(
      String owner, List<UUID> ids, List<Integer> retryCounts, SessionTracking sessions) {
    return completeLeased(owner, ids, retryCounts, null, sessions);
  }

  /**
   * Completes leased jobs in one statement, writing their outputs with them.
   *
   * @param owner the lease owner
   * @param ids the jobs
   * @param retryCounts the retry count each job had when claimed (the attempt fence)
   * @param outputs each job's output as JSON text, null where a job has none; or {@code null} when
   *     no job has any
   * @param sessions what the completion writes to the jobs' sessions
   * @return the ids that were completed; the others had lost their lease
   */
  public Set<UUID> completeLeased(
      String owner,
      List<UUID> ids,
      List<Integer> retryCounts,
      List<String> outputs,
      SessionTracking sessions) {
    if (ids.isEmpty()) {
      return Set.of();
    }
    String statement =
        switch (sessions) {
          case OFF -> sql.jobsCompleteLeasedBatchJobsOnly;
          case STATUS -> sql.jobsCompleteLeasedBatchWithoutEvents;
          case STATUS_AND_EVENTS -> sql.jobsCompleteLeasedBatch;
        };
    return new HashSet<>(
        jdbc.withConnection(
            "complete jobs",
            c ->
                jdbc.queryOn(
                    c,
                    statement,
                    ps -> {
                      ps.setArray(1, c.createArrayOf("uuid", ids.toArray()));
                      ps.setArray(2, c.createArrayOf("int4", retryCounts.toArray()));
                      if (outputs == null) {
                        ps.setNull(3, Types.ARRAY);
                      } else {
                        ps.setArray(3, c.createArrayOf("jsonb", outputs.toArray()));
                      }
                      ps.setString(4, owner);
                    },
                    rs -> rs.getObject("id", UUID.class))));
  }

  /**
   * Snoozes leased jobs in one statement: each goes back to pending, due after its delay, with its
   * snooze count one higher and its attempts and session unchanged.
   *
   * @param owner the lease owner
   * @param ids the jobs
   * @param retryCounts the retry count each job had when claimed (the attempt fence)
   * @param delays how long each job waits before it is due again
   * @return the ids that were snoozed; the others had lost their lease
   */
  public Set<UUID> snoozeLeased(
      String owner, List<UUID> ids, List<Integer> retryCounts, List<Duration> delays) {
    if (ids.isEmpty()) {
      return Set.of();
    }
    Double[] delaySeconds = delays.stream().map(JobStore::seconds).toArray(Double[]::new);
    return new HashSet<>(
        jdbc.withConnection(
            "snooze jobs",
            c ->
                jdbc.queryOn(
                    c,
                    sql.jobsSnoozeLeased,
                    ps -> {
                      ps.setArray(1, c.createArrayOf("uuid", ids.toArray()));
                      ps.setArray(2, c.createArrayOf("int4", retryCounts.toArray()));
                      ps.setArray(3, c.createArrayOf("float8", delaySeconds));
                      ps.setString(4, owner);
                    },
                    rs -> rs.getObject("id", UUID.class))));
  }

  /**
   * Returns claimed jobs that never started to pending, without spending an attempt.
   *
   * @param owner the lease owner
   * @param ids the jobs
   * @param retryCounts the retry count each job had when claimed
   * @return the ids released
   */
  public Set<UUID> releaseLeased(String owner, List<UUID> ids, List<Integer> retryCounts) {
    return leasedBatch("release jobs", sql.jobsReleaseLeased, owner, ids, retryCounts);
  }

  /**
   * Returns to pending, without spending an attempt, every job leased to {@code owner} except the
   * ones it still holds.
   *
   * @param owner the lease owner: one worker
   * @param held the jobs the owner still holds, left alone
   * @return the ids released
   */
  public Set<UUID> releaseStranded(String owner, Collection<UUID> held) {
    return new HashSet<>(
        jdbc.withConnection(
            "release stranded jobs",
            c ->
                jdbc.queryOn(
                    c,
                    sql.jobsReleaseStranded,
                    ps -> {
                      ps.setString(1, owner);
                      ps.setArray(2, c.createArrayOf("uuid", held.toArray()));
                    },
                    rs -> rs.getObject("id", UUID.class))));
  }

  private Set<UUID> leasedBatch(
      String what, String statement, String owner, List<UUID> ids, List<Integer> retryCounts) {
    if (ids.isEmpty()) {
      return Set.of();
    }
    return new HashSet<>(
        jdbc.withConnection(
            what,
            c ->
                jdbc.queryOn(
                    c,
                    statement,
                    ps -> {
                      ps.setArray(1, c.createArrayOf("uuid", ids.toArray()));
                      ps.setArray(2, c.createArrayOf("int4", retryCounts.toArray()));
                      ps.setString(3, owner);
                    },
                    rs -> rs.getObject("id", UUID.class))));
  }

  /**
   * Extends the leases of running jobs in one statement.
   *
   * @param owner the lease owner
   * @param ids the jobs
   * @param retryCounts the retry count each job had when claimed
   * @param lease the new lease length from now
   * @return the ids still held; the others were lost (reaped, cancelled)
   */
  public Set<UUID> extendLeases(
      String owner, List<UUID> ids, List<Integer> retryCounts, Duration lease) {
    if (ids.isEmpty()) {
      return Set.of();
    }
    return new HashSet<>(
        jdbc.withConnection(
            "extend leases",
            c ->
                jdbc.queryOn(
                    c,
                    sql.jobsExtendLeases,
                    ps -> {
                      ps.setDouble(1, seconds(lease));
                      ps.setArray(2, c.createArrayOf("uuid", ids.toArray()));
                      ps.setArray(3, c.createArrayOf("int4", retryCounts.toArray()));
                      ps.setString(4, owner);
                    },
                    rs -> rs.getObject("id", UUID.class))));
  }

  /**
   * Tells which running jobs this worker still holds with a lease that has not run out, without
   * extending anything.
   *
   * @param owner the lease owner
   * @param ids the jobs
   * @param retryCounts the retry count each job had when claimed
   * @return the ids still held
   */
  public Set<UUID> leasesHeld(String owner, List<UUID> ids, List<Integer> retryCounts) {
    return leasedBatch("check leases", sql.jobsLeasesHeld, owner, ids, retryCounts);
  }

  /**
   * Records a failed attempt.
   *
   * @param id the job
   * @param error the error message (truncated to {@link #MAX_ERROR_LENGTH})
   * @param retryable {@code false} sends the job to the dead letter whatever its attempts
   * @param delays delay before the next attempt, indexed by failed attempt - 1; the last entry
   *     serves later attempts
   * @param owner the lease owner to fence on, or {@code null} for no fence
   * @param retryCount the retry count to fence on, or {@code null} for no fence
   * @return what happened
   */
  public FailOutcome fail(
      UUID id,
      String error,
      boolean retryable,
      Duration[] delays,
      String owner,
      Integer retryCount) {
    return fail(id, error, retryable, delays, owner, retryCount, null);
  }

  /**
   * Records a failed attempt, with an attempt limit in place of the job's own.
   *
   * @param id the job
   * @param error the error message (truncated to {@link #MAX_ERROR_LENGTH})
   * @param retryable {@code false} sends the job to the dead letter whatever its attempts
   * @param delays delay before the next attempt, indexed by failed attempt - 1; the last entry
   *     serves later attempts
   * @param owner the lease owner to fence on, or {@code null} for no fence
   * @param retryCount the retry count to fence on, or {@code null} for no fence
   * @param maxAttempts the attempt limit, or {@code null} for the job's own
   * @return what happened
   */
  public FailOutcome fail(
      UUID id,
      String error,
      boolean retryable,
      Duration[] delays,
      String owner,
      Integer retryCount,
      Integer maxAttempts) {
    String message = truncate(error);
    Double[] delaySeconds = new Double[delays.length];
    for (int i = 0; i < delays.length; i++) {
      delaySeconds[i] = seconds(delays[i]);
    }
    return jdbc.withConnection(
        "fail job " + id,
        c ->
            jdbc.queryOn(
                    c,
                    sql.jobsFail,
                    ps -> {
                      ps.setObject(1, id);
                      ps.setBoolean(2, retryable);
                      ps.setArray(3, c.createArrayOf("float8", delaySeconds));
                      ps.setString(4, message);
                      ps.setString(5, owner);
                      if (retryCount == null) {
                        ps.setNull(6, Types.INTEGER);
                      } else {
                        ps.setInt(6, retryCount);
                      }
                      if (maxAttempts == null) {
                        ps.setNull(7, Types.INTEGER);
                      } else {
                        ps.setInt(7, maxAttempts);
                      }
                    },
                    rs -> {
                      String previous = rs.getString("previous_status");
                      String next = rs.getString("new_status");
                      return new FailOutcome(
                          previous == null ? null : JobStatus.fromDb(previous),
                          next == null ? null : JobStatus.fromDb(next));
                    })
                .get(0));
  }

  /**
   * Returns expired processing jobs to pending (or the dead letter), counting the attempt.
   *
   * @param limit how many at most
   * @return the jobs reaped
   */
  public List<Reaped> reapExpired(int limit) {
    return reapExpired(Reaping.immediate(limit));
  }

  /**
   * Returns expired processing jobs to pending (or the dead letter), counting the attempt.
   *
   * @param reaping what counts as expired, and how many to reap at most
   * @return the jobs reaped
   */
  public List<Reaped> reapExpired(Reaping reaping) {
    return jdbc.query(
        "reap expired leases",
        sql.jobsReapExpired,
        ps -> {
          ps.setDouble(1, seconds(reaping.grace()));
          ps.setDouble(2, seconds(reaping.unleasedGrace()));
          ps.setInt(3, reaping.limit());
        },
        rs -> new Reaped(rs.getObject("id", UUID.class), JobStatus.fromDb(rs.getString("status"))));
  }

  /**
   * Reads one job.
   *
   * @param id the job
   * @return the job, if it exists
   */
  public Optional<Job> find(UUID id) {
    return jdbc
        .query("read job " + id, sql.jobsSelectById, ps -> ps.setObject(1, id), JobRows::map)
        .stream()
        .findFirst();
  }

  /**
   * Lists recent jobs, newest first.
   *
   * @param status only this status, or {@code null} for all
   * @param limit how many at most
   * @return the jobs
   */
  public List<Job> listRecent(JobStatus status, int limit) {
    String value = status == null ? null : status.dbValue();
    return jdbc.query(
        "list jobs",
        sql.jobsListRecent,
        ps -> {
          ps.setString(1, value);
          ps.setString(2, value);
          ps.setInt(3, limit);
        },
        JobRows::map);
  }

  /**
   * Reads the statistics in one scan: a row per kind, summed here for the totals.
   *
   * @return the statistics, with {@link QueueStats#byKind()} holding every kind that has jobs
   */
  public QueueStats stats() {
    List<StatsRow> rows =
        jdbc.query(
            "read queue statistics",
            sql.jobsStats,
            ps -> {},
            rs ->
                new StatsRow(
                    rs.getString("kind"),
                    new QueueStats.KindStats(
                        rs.getLong("pending"),
                        rs.getLong("processing"),
                        rs.getLong("completed"),
                        rs.getLong("failed"),
                        rs.getLong("cancelled")),
                    rs.getLong("delayed"),
                    rs.getLong("expired"),
                    rs.getDouble("oldest_pending_seconds"),
                    rs.getLong("pending_pro"),
                    rs.getLong("pending_starter"),
                    rs.getLong("pending_free")));
    long pending = 0;
    long processing = 0;
    long completed = 0;
    long failed = 0;
    long cancelled = 0;
    long delayed = 0;
    long expired = 0;
    double oldest = 0; // a kind without pending jobs reads 0 (SQL NULL)
    Map<PlanTier, Long> tiers = new EnumMap<>(PlanTier.class);
    for (PlanTier tier : PlanTier.values()) {
      tiers.put(tier, 0L);
    }
    Map<String, QueueStats.KindStats> byKind = new HashMap<>();
    for (StatsRow r : rows) {
      QueueStats.KindStats k = r.counts();
      pending += k.pending();
      processing += k.processing();
      completed += k.completed();
      failed += k.failed();
      cancelled += k.cancelled();
      delayed += r.delayed();
      expired += r.expired();
      oldest = Math.max(oldest, r.oldestPendingSeconds());
      tiers.merge(PlanTier.PRO, r.pendingPro(), Long::sum);
      tiers.merge(PlanTier.STARTER, r.pendingStarter(), Long::sum);
      tiers.merge(PlanTier.FREE, r.pendingFree(), Long::sum);
      byKind.put(r.kind(), k);
    }
    return new QueueStats(
        pending,
        processing,
        completed,
        failed,
        cancelled,
        delayed,
        expired,
        Duration.ofMillis(Math.max(0, Math.round(oldest * 1000))),
        tiers,
        byKind);
  }

  /** One row of {@code jobsStats}: the figures of one kind. */
  private record StatsRow(
      String kind,
      QueueStats.KindStats counts,
      long delayed,
      long expired,
      double oldestPendingSeconds,
      long pendingPro,
      long pendingStarter,
      long pendingFree) {}

  /**
   * Appends session events in one statement.
   *
   * @param events the events
   */
  public void insertEvents(List<SessionEvent> events) {
    if (events.isEmpty()) {
      return;
    }
    int n = events.size();
    UUID[] sessions = new UUID[n];
    String[] types = new String[n];
    String[] data = new String[n];
    String[] times = new String[n];
    for (int i = 0; i < n; i++) {
      SessionEvent e = events.get(i);
      sessions[i] = e.sessionId();
      types[i] = e.type();
      data[i] = e.json();
      times[i] = e.at().toString();
    }
    jdbc.withConnection(
        "append session events",
        c -> {
          Array sessionArray = c.createArrayOf("uuid", sessions);
          return jdbc.updateOn(
              c,
              sql.sessionEventsInsertBatch,
              ps -> {
                ps.setArray(1, sessionArray);
                ps.setArray(2, c.createArrayOf("text", types));
                ps.setArray(3, c.createArrayOf("text", data));
                ps.setArray(4, c.createArrayOf("timestamptz", times));
              });
        });
  }

  /**
   * Deletes completed and cancelled jobs finished longer ago than {@code age}.
   *
   * @param age how long finished jobs are kept
   * @param limit how many rows at most in this call
   * @return how many were deleted
   */
  public int pruneFinished(Duration age, int limit) {
    return jdbc.update(
        "prune finished jobs",
        sql.jobsPruneFinished,
        ps -> {
          ps.setDouble(1, seconds(age));
          ps.setInt(2, limit);
        });
  }

  /**
   * Deletes failed jobs (dead letters) that failed longer ago than {@code age}.
   *
   * @param age how long dead letters are kept
   * @param limit how many rows at most in this call
   * @return how many were deleted
   */
  public int pruneFailed(Duration age, int limit) {
    return jdbc.update(
        "prune dead letters",
        sql.jobsPruneFailed,
        ps -> {
          ps.setDouble(1, seconds(age));
          ps.setInt(2, limit);
        });
  }

  /** Rows a block sample aims at when the finished counts are estimated: 30,000. */
  static final int SAMPLE_ROWS = 30_000;

  /**
   * Reads the statistics of a large table without reading all of it: empty when the planner's row
   * count of the table is at most {@code exactUpToRows} (then {@link #stats()} counts everything).
   * Pending and processing figures are counted through their partial indexes. A finished status
   * with at most {@code exactFinishedUpTo} jobs is counted through the finished index; a larger one
   * is estimated from a block sample of about {@value #SAMPLE_ROWS} rows scaled by the planner's
   * row count, and named in {@link QueueStats#estimatedStatuses()}.
   *
   * @param exactUpToRows the table size up to which everything is counted
   * @param exactFinishedUpTo the size of a finished status up to which it is counted
   * @return the statistics, or empty when the table is small enough to count
   */
  public Optional<QueueStats> statsAtSize(long exactUpToRows, int exactFinishedUpTo) {
    return jdbc.withConnection(
        "read queue statistics",
        c -> {
          double rows =
              jdbc.queryOn(c, sql.jobsTableRows, ps -> {}, rs -> rs.getDouble(1)).stream()
                  .findFirst()
                  .orElse(-1.0);
          if (rows <= exactUpToRows) {
            return Optional.empty();
          }
          List<StatsRow> unfinished =
              jdbc.queryOn(
                  c,
                  sql.jobsStatsUnfinished,
                  ps -> {},
                  rs ->
                      new StatsRow(
                          rs.getString("kind"),
                          new QueueStats.KindStats(
                              rs.getLong("pending"), rs.getLong("processing"), 0, 0, 0),
                          rs.getLong("delayed"),
                          rs.getLong("expired"),
                          rs.getDouble("oldest_pending_seconds"),
                          rs.getLong("pending_pro"),
                          rs.getLong("pending_starter"),
                          rs.getLong("pending_free")));
          List<KindStatusCount> bounded =
              jdbc.queryOn(
                  c,
                  sql.jobsStatsFinishedBounded,
                  ps -> {
                    for (int i = 1; i <= 3; i++) {
                      ps.setInt(i, exactFinishedUpTo + 1);
                    }
                  },
                  KindStatusCount::map);
          Map<JobStatus, Long> boundedTotals = new EnumMap<>(JobStatus.class);
          bounded.forEach(k -> boundedTotals.merge(k.status(), k.n(), Long::sum));
          Set<JobStatus> estimated = EnumSet.noneOf(JobStatus.class);
          boundedTotals.forEach(
              (status, n) -> {
                if (n > exactFinishedUpTo) {
                  estimated.add(status);
                }
              });
          List<KindStatusCount> finished = new ArrayList<>();
          for (KindStatusCount k : bounded) {
            if (!estimated.contains(k.status())) {
              finished.add(k);
            }
          }
          if (!estimated.isEmpty()) {
            float percent = (float) Math.min(100.0, 100.0 * SAMPLE_ROWS / rows);
            List<KindStatusCount> sample =
                jdbc.queryOn(
                    c, sql.jobsStatsSample, ps -> ps.setFloat(1, percent), KindStatusCount::map);
            long sampled = sample.stream().mapToLong(KindStatusCount::n).sum();
            for (KindStatusCount k : sample) {
              if (estimated.contains(k.status()) && sampled > 0) {
                finished.add(
                    new KindStatusCount(k.kind(), k.status(), Math.round(k.n() * rows / sampled)));
              }
            }
          }
          return Optional.of(atSize(unfinished, finished, estimated));
        });
  }

  /** A count of one kind in one status. */
  private record KindStatusCount(String kind, JobStatus status, long n) {
    static KindStatusCount map(ResultSet rs) throws SQLException {
      return new KindStatusCount(
          rs.getString("kind"), JobStatus.fromDb(rs.getString("status")), rs.getLong("n"));
    }
  }

  /** Sums the unfinished rows and the finished counts of {@link #statsAtSize} into statistics. */
  private static QueueStats atSize(
      List<StatsRow> unfinished, List<KindStatusCount> finished, Set<JobStatus> estimated) {
    Map<String, long[]> kinds = new HashMap<>();
    long delayed = 0;
    long expired = 0;
    double oldest = 0;
    Map<PlanTier, Long> tiers = new EnumMap<>(PlanTier.class);
    for (PlanTier tier : PlanTier.values()) {
      tiers.put(tier, 0L);
    }
    for (StatsRow r : unfinished) {
      long[] k = kinds.computeIfAbsent(r.kind(), x -> new long[5]);
      k[0] += r.counts().pending();
      k[1] += r.counts().processing();
      delayed += r.delayed();
      expired += r.expired();
      oldest = Math.max(oldest, r.oldestPendingSeconds());
      tiers.merge(PlanTier.PRO, r.pendingPro(), Long::sum);
      tiers.merge(PlanTier.STARTER, r.pendingStarter(), Long::sum);
      tiers.merge(PlanTier.FREE, r.pendingFree(), Long::sum);
    }
    for (KindStatusCount f : finished) {
      long[] k = kinds.computeIfAbsent(f.kind(), x -> new long[5]);
      switch (f.status()) {
        case COMPLETED -> k[2] += f.n();
        case FAILED -> k[3] += f.n();
        case CANCELLED -> k[4] += f.n();
        default -> {
          // The sample also holds unfinished rows; those are counted exactly above.
        }
      }
    }
    long[] total = new long[5];
    Map<String, QueueStats.KindStats> byKind = new HashMap<>();
    kinds.forEach(
        (kind, k) -> {
          if (k[0] + k[1] + k[2] + k[3] + k[4] == 0) {
            return;
          }
          for (int i = 0; i < 5; i++) {
            total[i] += k[i];
          }
          byKind.put(kind, new QueueStats.KindStats(k[0], k[1], k[2], k[3], k[4]));
        });
    return new QueueStats(
        total[0],
        total[1],
        total[2],
        total[3],
        total[4],
        delayed,
        expired,
        Duration.ofMillis(Math.max(0, Math.round(oldest * 1000))),
        tiers,
        byKind,
        estimated);
  }

  static double seconds(Duration d) {
    return d.toNanos() / 1e9;
  }

  static String truncate(String error) {
    if (error == null || error.isEmpty()) {
      return "(no error message)";
    }
    String clean = error.indexOf('\0') >= 0 ? error.replace('\0', ' ') : error;
    return clean.length() <= MAX_ERROR_LENGTH ? clean : clean.substring(0, MAX_ERROR_LENGTH);
  }
}
