package dev.mobvibe.queue.dashboard;

import dev.mobvibe.queue.JobStatus;
import dev.mobvibe.queue.PlanTier;
import dev.mobvibe.queue.QueueException;
import dev.mobvibe.queue.QueueStats;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import javax.sql.DataSource;

/** Reads what the pages show, with {@link DashboardSql}'s statements. */
final class DashboardData {
  /**
   * Open jobs (pending, processing) counted per (status, priority), and jobs of any status on a
   * small table, before a count is shown as "at least".
   */
  static final int COUNT_CAP = 100_000;

  /** Statuses whose counts per kind are shown: the open ones and the dead letters. */
  static final List<JobStatus> KIND_STATUSES =
      List.of(JobStatus.PENDING, JobStatus.PROCESSING, JobStatus.FAILED);

  /**
   * The statuses a large table estimates rather than counts past {@link
   * QueueStats#EXACT_FINISHED_UP_TO}, as the core's statistics do.
   */
  static final Set<JobStatus> FINISHED =
      Collections.unmodifiableSet(
          EnumSet.of(JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED));

  /** The most held jobs listed per worker (all are counted). */
  static final int HELD_JOBS_PER_WORKER = 100;

  /** The most events shown on a job page. */
  static final int EVENTS_LIMIT = 500;

  private static final Instant END_OF_TIME = Instant.parse("9999-12-31T00:00:00Z");
  private static final UUID MAX_ID = new UUID(-1L, -1L);

  private final DataSource dataSource;
  private final String schema;
  private final PlanSink plans;

  /** Receives the plan of each statement instead of its rows (the plan test). */
  interface PlanSink {
    /** The plan cache mode to plan with: {@code auto}, {@code force_generic_plan}... */
    String planCacheMode();

    void accept(String statement, String plan);
  }

  DashboardData(DataSource dataSource, String schema) {
    this(dataSource, schema, null);
  }

  private DashboardData(DataSource dataSource, String schema, PlanSink plans) {
    this.dataSource = dataSource;
    this.schema = schema;
    this.plans = plans;
  }

  /** A copy that runs EXPLAIN on every statement and hands the plans to the sink. */
  DashboardData explaining(PlanSink sink) {
    return new DashboardData(dataSource, schema, sink);
  }

  /** How a count was obtained. */
  enum Precision {
    /** Counted. */
    EXACT,
    /** Counted up to a cap that cut it short. */
    AT_LEAST,
    /** Estimated from the planner's statistics. */
    ESTIMATE
  }

  /** A count and how it was obtained. */
  record Count(long n, Precision precision) {
    static final Count NONE = new Count(0, Precision.EXACT);

    /**
     * The count as shown: {@code 42}, {@code 10000+} (at least), {@code ~912000} (an estimate, as
     * the core's {@code QueueStats.countText} writes one).
     */
    String shown() {
      return switch (precision) {
        case EXACT -> Long.toString(n);
        case AT_LEAST -> n + "+";
        case ESTIMATE -> "~" + n;
      };
    }
  }

  /** The jobs of one status: in total, per tier, and the oldest one's creation time. */
  record StatusCount(Count total, Map<PlanTier, Count> byTier, Instant oldest) {}

  /**
   * What the planner knows of the table: its row count (below zero when never measured) and each
   * status's share of ANALYZE's sample (empty before the first ANALYZE).
   */
  record TableStatistics(double rows, Map<JobStatus, Double> shares) {
    /** Whether the table is past the size up to which the core counts every status. */
    boolean large() {
      return rows > QueueStats.EXACT_UP_TO_ROWS;
    }
  }

  TableStatistics tableStatistics() {
    List<TableStatistics> t =
        query(
            DashboardSql.JOBS_TABLE_STATISTICS,
            (c, ps) -> ps.setString(1, schema),
            rs -> {
              Map<JobStatus, Double> shares = new EnumMap<>(JobStatus.class);
              Array statuses = rs.getArray(2);
              Array freqs = rs.getArray(3);
              if (statuses != null && freqs != null) {
                Object[] names = (Object[]) statuses.getArray();
                Object[] values = (Object[]) freqs.getArray();
                for (int i = 0; i < names.length && i < values.length; i++) {
                  JobStatus status = statusOrNull(String.valueOf(names[i]));
                  if (status != null && values[i] instanceof Number share) {
                    shares.put(status, share.doubleValue());
                  }
                }
              }
              return new TableStatistics(rs.getDouble(1), shares);
            });
    return t.isEmpty() ? new TableStatistics(-1, Map.of()) : t.get(0);
  }

  /** The count of one (status, priority) pair, and how far back a capped count reached. */
  private record PairCount(
      JobStatus status, int priority, long n, Instant reached, Instant oldest) {}

  /**
   * Counts per status, every status present. On a table of at most {@link
   * QueueStats#EXACT_UP_TO_ROWS} rows (by the planner's statistics) every status is counted up to
   * {@link #COUNT_CAP} per (status, priority). On a larger one, as the core's statistics do, a
   * finished status with more than {@link QueueStats#EXACT_FINISHED_UP_TO} jobs is estimated: its
   * total from the row count and the status's share in the planner's statistics, split over the
   * tiers by how fast each (status, priority) grew lately (the time its newest jobs span); pending
   * and processing jobs are counted.
   */
  Map<JobStatus, StatusCount> countsByStatus() {
    TableStatistics table = tableStatistics();
    int finishedCap = table.large() ? QueueStats.EXACT_FINISHED_UP_TO + 1 : COUNT_CAP;
    Map<JobStatus, List<PairCount>> pairs = new EnumMap<>(JobStatus.class);
    query(
        DashboardSql.JOBS_COUNT_BY_STATUS_PRIORITY,
        (c, ps) -> {
          ps.setArray(1, statuses(c, List.of(JobStatus.values())));
          ps.setInt(2, finishedCap);
          ps.setInt(3, COUNT_CAP);
        },
        rs -> {
          PairCount p =
              new PairCount(
                  JobStatus.valueOf(rs.getString(1).toUpperCase(Locale.ROOT)),
                  rs.getInt(2),
                  rs.getLong(3),
                  instant(rs, 4),
                  instant(rs, 5));
          pairs.computeIfAbsent(p.status(), s -> new ArrayList<>()).add(p);
          return null;
        });
    Instant now = Instant.now();
    Map<JobStatus, StatusCount> out = new EnumMap<>(JobStatus.class);
    for (JobStatus s : JobStatus.values()) {
      boolean finished = FINISHED.contains(s);
      Double share = table.shares().get(s);
      long estimate =
          finished && table.large() && share != null ? Math.round(table.rows() * share) : -1;
      out.put(
          s,
          statusCount(
              pairs.getOrDefault(s, List.of()), finished ? finishedCap : COUNT_CAP, estimate, now));
    }
    return out;
  }

  /**
   * One status's counts from its pairs' capped counts. A pair under the cap is exact. Pairs at the
   * cap share what the estimate leaves (if there is one) in proportion to their recent rate, each
   * at least its count; without an estimate they are "at least".
   */
  private static StatusCount statusCount(
      List<PairCount> pairs, int cap, long estimate, Instant now) {
    long exact = 0;
    double rates = 0;
    for (PairCount p : pairs) {
      if (p.n() < cap) {
        exact += p.n();
      } else {
        rates += rate(p, now);
      }
    }
    boolean estimated = rates > 0 && estimate >= 0;
    long rest = Math.max(0, estimate - exact);
    long[] n = new long[PlanTier.values().length];
    Precision[] precision = new Precision[n.length];
    Arrays.fill(precision, Precision.EXACT);
    Instant oldest = null;
    for (PairCount p : pairs) {
      int tier = PlanTier.ofPriority(p.priority()).ordinal();
      if (p.n() < cap) {
        n[tier] += p.n();
      } else if (estimated) {
        n[tier] += Math.max(p.n(), Math.round(rest * rate(p, now) / rates));
        precision[tier] = Precision.ESTIMATE;
      } else {
        n[tier] += p.n();
        precision[tier] = Precision.AT_LEAST;
      }
      if (p.oldest() != null && (oldest == null || p.oldest().isBefore(oldest))) {
        oldest = p.oldest();
      }
    }
    Map<PlanTier, Count> byTier = new EnumMap<>(PlanTier.class);
    long total = 0;
    Precision worst = Precision.EXACT;
    for (PlanTier t : PlanTier.values()) {
      byTier.put(t, new Count(n[t.ordinal()], precision[t.ordinal()]));
      total += n[t.ordinal()];
      if (precision[t.ordinal()].compareTo(worst) > 0) {
        worst = precision[t.ordinal()];
      }
    }
    return new StatusCount(new Count(total, worst), byTier, oldest);
  }

  /** Jobs per second of a capped pair over the time its newest jobs span (at least a second). */
  private static double rate(PairCount p, Instant now) {
    double seconds =
        p.reached() == null ? 1 : Math.max(1, Duration.between(p.reached(), now).toSeconds());
    return p.n() / seconds;
  }

  /**
   * Counts per kind of the {@link #KIND_STATUSES}: kind to status to count, kinds sorted. Pending
   * jobs are counted up to {@link #COUNT_CAP} per kind, processing jobs all; failed jobs are
   * counted when their total is exact, and otherwise the newest {@link
   * QueueStats#EXACT_FINISHED_UP_TO} of them split the estimated total (or, without one, count as
   * "at least").
   *
   * @param counts the counts per status, as {@link #countsByStatus} read them
   */
  Map<String, Map<JobStatus, Count>> countsByKind(Map<JobStatus, StatusCount> counts) {
    Count failed = counts.get(JobStatus.FAILED).total();
    boolean failedExact = failed.precision() == Precision.EXACT;
    int failedCap =
        failedExact
            ? (int) Math.min(Integer.MAX_VALUE, failed.n() + 1)
            : QueueStats.EXACT_FINISHED_UP_TO + 1;
    Map<String, Map<JobStatus, Long>> read = new TreeMap<>();
    query(
        DashboardSql.JOBS_COUNT_BY_KIND,
        (c, ps) -> {
          ps.setInt(1, COUNT_CAP);
          ps.setInt(2, failedCap);
        },
        rs -> {
          JobStatus status = JobStatus.valueOf(rs.getString(1).toUpperCase(Locale.ROOT));
          read.computeIfAbsent(rs.getString(2), k -> new EnumMap<>(JobStatus.class))
              .merge(status, rs.getLong(3), Long::sum);
          return null;
        });
    long failedRead = 0;
    for (Map<JobStatus, Long> byStatus : read.values()) {
      failedRead += byStatus.getOrDefault(JobStatus.FAILED, 0L);
    }
    Map<String, Map<JobStatus, Count>> out = new TreeMap<>();
    for (Map.Entry<String, Map<JobStatus, Long>> e : read.entrySet()) {
      Map<JobStatus, Count> row = new EnumMap<>(JobStatus.class);
      for (JobStatus s : KIND_STATUSES) {
        long n = e.getValue().getOrDefault(s, 0L);
        Count c;
        if (s == JobStatus.PENDING) {
          c = new Count(n, n >= COUNT_CAP ? Precision.AT_LEAST : Precision.EXACT);
        } else if (s == JobStatus.FAILED && !failedExact) {
          c =
              failed.precision() == Precision.ESTIMATE && failedRead > 0
                  ? new Count(Math.round((double) failed.n() * n / failedRead), Precision.ESTIMATE)
                  : new Count(n, n > 0 ? Precision.AT_LEAST : Precision.EXACT);
        } else {
          c = new Count(n, Precision.EXACT);
        }
        row.put(s, c);
      }
      out.put(e.getKey(), row);
    }
    return out;
  }

  /** Completions and failed attempts per minute, index 0 the current minute, 60 minutes. */
  record Activity(long[] completed, long[] failed) {}

  Activity recentActivity() {
    long[] completed = new long[60];
    long[] failed = new long[60];
    query(
        DashboardSql.JOBS_RECENT_ACTIVITY,
        (c, ps) -> {},
        rs -> {
          int minute = Math.max(0, Math.min(59, rs.getInt(2)));
          ("completed".equals(rs.getString(1)) ? completed : failed)[minute] += rs.getLong(3);
          return null;
        });
    return new Activity(completed, failed);
  }

  /** A job a worker holds. */
  record HeldJob(UUID id, String kind, Instant startedAt, Instant leaseExpiresAt) {}

  /**
   * A worker holding jobs: how many, its earliest lease expiry, and its oldest claims (at most
   * {@link #HELD_JOBS_PER_WORKER}), oldest first.
   */
  record Worker(long held, Instant nextLeaseExpiry, List<HeldJob> jobs) {}

  /** The workers holding jobs, by lease owner (sorted; "" for jobs without owner). */
  Map<String, Worker> heldJobs() {
    Map<String, Worker> out = new TreeMap<>();
    query(
        DashboardSql.JOBS_HELD,
        (c, ps) -> {
          ps.setInt(1, HELD_JOBS_PER_WORKER);
          ps.setInt(2, HELD_JOBS_PER_WORKER);
        },
        rs -> {
          String owner = rs.getString(1);
          long held = rs.getLong(2);
          Instant next = instant(rs, 3);
          out.computeIfAbsent(
                  owner == null ? "" : owner, o -> new Worker(held, next, new ArrayList<>()))
              .jobs()
              .add(
                  new HeldJob(
                      rs.getObject(4, UUID.class),
                      rs.getString(5),
                      instant(rs, 6),
                      instant(rs, 7)));
          return null;
        });
    Comparator<HeldJob> oldestFirst =
        Comparator.comparing(
                HeldJob::startedAt, Comparator.nullsFirst(Comparator.<Instant>naturalOrder()))
            .thenComparing(HeldJob::id);
    out.replaceAll(
        (owner, w) -> {
          List<HeldJob> jobs = new ArrayList<>(w.jobs());
          jobs.sort(oldestFirst);
          return new Worker(w.held(), w.nextLeaseExpiry(), List.copyOf(jobs));
        });
    return out;
  }

  /** One row of the job list. */
  record JobRow(
      UUID id,
      String kind,
      JobStatus status,
      int priority,
      UUID sessionId,
      Instant createdAt,
      int retryCount,
      int maxAttempts,
      String errorMessage,
      String leaseOwner,
      String summary) {}

  /** What the job list is filtered by; null fields do not filter. */
  record Filter(JobStatus status, String kind, PlanTier tier, UUID sessionId) {
    static final Filter NONE = new Filter(null, null, null, null);
  }

  /** Where a page starts: strictly older than this (created_at, id). */
  record Cursor(Instant createdAt, UUID id) {
    static final Cursor FIRST = new Cursor(END_OF_TIME, MAX_ID);

    String encode() {
      return createdAt.toString() + "_" + id;
    }

    static Cursor decode(String s) {
      if (s == null || s.isEmpty()) {
        return FIRST;
      }
      int at = s.indexOf('_');
      if (at < 0) {
        throw new IllegalArgumentException("bad page cursor");
      }
      return new Cursor(Instant.parse(s.substring(0, at)), UUID.fromString(s.substring(at + 1)));
    }
  }

  /** One page of jobs, newest first; {@code next} is null on the last page. */
  record Page(List<JobRow> rows, Cursor next) {}

  Page jobs(Filter filter, Cursor cursor, int limit) {
    List<JobStatus> statuses =
        filter.status() == null ? List.of(JobStatus.values()) : List.of(filter.status());
    int lo = Integer.MIN_VALUE;
    int hi = Integer.MAX_VALUE;
    if (filter.tier() != null) {
      lo = filter.tier() == PlanTier.FREE ? Integer.MIN_VALUE : filter.tier().priority();
      hi = filter.tier() == PlanTier.PRO ? Integer.MAX_VALUE : nextTierPriority(filter.tier()) - 1;
    }
    int fetch = limit + 1;
    int low = lo;
    int high = hi;
    OffsetDateTime bound = OffsetDateTime.ofInstant(cursor.createdAt(), ZoneOffset.UTC);
    Binder binder;
    String statement;
    if (filter.sessionId() != null) {
      statement = DashboardSql.JOBS_PAGE_OF_SESSION;
      binder =
          (c, ps) -> {
            ps.setObject(1, filter.sessionId());
            ps.setObject(2, bound);
            ps.setObject(3, bound);
            ps.setObject(4, cursor.id());
            ps.setArray(5, statuses(c, statuses));
            ps.setString(6, filter.kind());
            ps.setString(7, filter.kind());
            ps.setInt(8, low);
            ps.setInt(9, high);
            ps.setInt(10, fetch);
          };
    } else {
      statement = DashboardSql.JOBS_PAGE;
      binder =
          (c, ps) -> {
            ps.setArray(1, statuses(c, statuses));
            ps.setObject(2, bound);
            ps.setObject(3, bound);
            ps.setObject(4, cursor.id());
            ps.setString(5, filter.kind());
            ps.setString(6, filter.kind());
            ps.setInt(7, fetch);
            ps.setInt(8, low);
            ps.setInt(9, high);
            ps.setInt(10, fetch);
          };
    }
    List<JobRow> rows =
        query(
            statement,
            binder,
            rs ->
                new JobRow(
                    rs.getObject(1, UUID.class),
                    rs.getString(2),
                    JobStatus.valueOf(rs.getString(3).toUpperCase(Locale.ROOT)),
                    rs.getInt(4),
                    rs.getObject(5, UUID.class),
                    instant(rs, 6),
                    rs.getInt(7),
                    rs.getInt(8),
                    rs.getString(9),
                    rs.getString(10),
                    rs.getString(11)));
    if (rows.size() <= limit) {
      return new Page(rows, null);
    }
    List<JobRow> page = rows.subList(0, limit);
    JobRow last = page.get(limit - 1);
    return new Page(List.copyOf(page), new Cursor(last.createdAt(), last.id()));
  }

  private static int nextTierPriority(PlanTier tier) {
    return tier == PlanTier.FREE ? PlanTier.STARTER.priority() : PlanTier.PRO.priority();
  }

  /** A coding session's status and error. */
  record Session(String status, String errorMessage) {}

  Session session(UUID id) {
    List<Session> s =
        query(
            DashboardSql.SESSIONS_FIND,
            (c, ps) -> ps.setObject(1, id),
            rs -> new Session(rs.getString(1), rs.getString(2)));
    return s.isEmpty() ? null : s.get(0);
  }

  /** One session event. */
  record Event(String type, String dataJson, Instant at) {}

  List<Event> events(UUID sessionId) {
    return query(
        DashboardSql.SESSION_EVENTS_LIST,
        (c, ps) -> {
          ps.setObject(1, sessionId);
          ps.setInt(2, EVENTS_LIMIT);
        },
        rs -> new Event(rs.getString(1), rs.getString(2), instant(rs, 3)));
  }

  private interface Binder {
    void bind(Connection c, PreparedStatement ps) throws SQLException;
  }

  private interface RowMapper<T> {
    T map(ResultSet rs) throws SQLException;
  }

  private <T> List<T> query(String statement, Binder binder, RowMapper<T> mapper) {
    if (plans != null) {
      return explain(statement, binder);
    }
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps = c.prepareStatement(DashboardSql.in(schema, statement))) {
      binder.bind(c, ps);
      List<T> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          T row = mapper.map(rs);
          if (row != null) {
            out.add(row);
          }
        }
      }
      return out;
    } catch (SQLException e) {
      throw new QueueException("dashboard query failed: " + e.getMessage(), e);
    }
  }

  private <T> List<T> explain(String statement, Binder binder) {
    try (Connection c = dataSource.getConnection()) {
      try (PreparedStatement set =
          c.prepareStatement("SELECT set_config('plan_cache_mode', ?, false)")) {
        set.setString(1, plans.planCacheMode());
        set.execute();
      }
      StringBuilder plan = new StringBuilder();
      try (PreparedStatement ps =
          c.prepareStatement("EXPLAIN " + DashboardSql.in(schema, statement))) {
        binder.bind(c, ps);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            plan.append(rs.getString(1)).append('\n');
          }
        }
      } finally {
        try (PreparedStatement reset = c.prepareStatement("RESET plan_cache_mode")) {
          reset.execute();
        }
      }
      plans.accept(statement, plan.toString());
      return List.of();
    } catch (SQLException e) {
      throw new QueueException("dashboard explain failed: " + e.getMessage(), e);
    }
  }

  private static JobStatus statusOrNull(String name) {
    for (JobStatus s : JobStatus.values()) {
      if (s.name().equalsIgnoreCase(name)) {
        return s;
      }
    }
    return null;
  }

  private static Array statuses(Connection c, List<JobStatus> statuses) throws SQLException {
    return c.createArrayOf(
        "text", statuses.stream().map(s -> s.name().toLowerCase(Locale.ROOT)).toArray());
  }

  private static Instant instant(ResultSet rs, int column) throws SQLException {
    Timestamp t = rs.getTimestamp(column);
    return t == null ? null : t.toInstant();
  }
}
