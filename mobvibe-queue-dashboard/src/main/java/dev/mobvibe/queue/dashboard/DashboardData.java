package dev.mobvibe.queue.dashboard;

import dev.mobvibe.queue.JobStatus;
import dev.mobvibe.queue.PlanTier;
import dev.mobvibe.queue.QueueException;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import javax.sql.DataSource;

/** Reads what the pages show, with {@link DashboardSql}'s statements. */
final class DashboardData {
  /**
   * Open or dead-lettered jobs counted per (status, priority) before a count is shown as "at
   * least".
   */
  static final int COUNT_CAP = 100_000;

  /** Completed or cancelled jobs counted per (status, priority) before a count is capped. */
  static final int FINISHED_COUNT_CAP = 10_000;

  /** Rows read per (status, priority) for the counts per kind. */
  static final int KIND_COUNT_CAP = 2_000;

  /** Statuses whose counts per kind are shown: the open ones and the dead letters. */
  static final List<JobStatus> KIND_STATUSES =
      List.of(JobStatus.PENDING, JobStatus.PROCESSING, JobStatus.FAILED);

  /** The most held jobs listed under the workers. */
  static final int HELD_JOBS_LIMIT = 500;

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

  /** Counts of one status: total, per tier, and whether a cap cut a count short. */
  record StatusCount(long total, Map<PlanTier, Long> byTier, boolean capped, Instant oldest) {}

  /** Counts per status, every status present. */
  Map<JobStatus, StatusCount> countsByStatus() {
    Map<JobStatus, long[]> tiers = new EnumMap<>(JobStatus.class);
    Map<JobStatus, Boolean> capped = new EnumMap<>(JobStatus.class);
    Map<JobStatus, Instant> oldest = new EnumMap<>(JobStatus.class);
    query(
        DashboardSql.JOBS_COUNT_BY_STATUS_PRIORITY,
        (c, ps) -> {
          ps.setArray(1, statuses(c, List.of(JobStatus.values())));
          ps.setInt(2, FINISHED_COUNT_CAP);
          ps.setInt(3, COUNT_CAP);
        },
        rs -> {
          JobStatus status = JobStatus.valueOf(rs.getString(1).toUpperCase(Locale.ROOT));
          long n = rs.getLong(3);
          int cap =
              status == JobStatus.COMPLETED || status == JobStatus.CANCELLED
                  ? FINISHED_COUNT_CAP
                  : COUNT_CAP;
          tiers
                  .computeIfAbsent(status, s -> new long[3])[
                  PlanTier.ofPriority(rs.getInt(2)).ordinal()] +=
              n;
          if (n >= cap) {
            capped.put(status, true);
          }
          Instant o = instant(rs, 4);
          if (o != null && (oldest.get(status) == null || o.isBefore(oldest.get(status)))) {
            oldest.put(status, o);
          }
          return null;
        });
    Map<JobStatus, StatusCount> out = new EnumMap<>(JobStatus.class);
    for (JobStatus s : JobStatus.values()) {
      long[] t = tiers.getOrDefault(s, new long[3]);
      Map<PlanTier, Long> byTier = new EnumMap<>(PlanTier.class);
      for (PlanTier tier : PlanTier.values()) {
        byTier.put(tier, t[tier.ordinal()]);
      }
      out.put(
          s,
          new StatusCount(
              t[0] + t[1] + t[2], byTier, capped.getOrDefault(s, false), oldest.get(s)));
    }
    return out;
  }

  /** Counts per kind of the {@link #KIND_STATUSES}: kind to status to count, kinds sorted. */
  Map<String, Map<JobStatus, Long>> countsByKind() {
    Map<String, Map<JobStatus, Long>> out = new TreeMap<>();
    query(
        DashboardSql.JOBS_COUNT_BY_STATUS_KIND,
        (c, ps) -> {
          ps.setArray(1, statuses(c, KIND_STATUSES));
          ps.setInt(2, KIND_COUNT_CAP);
        },
        rs -> {
          JobStatus status = JobStatus.valueOf(rs.getString(1).toUpperCase(Locale.ROOT));
          out.computeIfAbsent(rs.getString(2), k -> new EnumMap<>(JobStatus.class))
              .merge(status, rs.getLong(3), Long::sum);
          return null;
        });
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

  /** The jobs each worker holds, by lease owner (sorted; "" for a job without owner). */
  Map<String, List<HeldJob>> heldJobs() {
    Map<String, List<HeldJob>> out = new LinkedHashMap<>();
    query(
        DashboardSql.JOBS_HELD,
        (c, ps) -> ps.setInt(1, HELD_JOBS_LIMIT),
        rs -> {
          String owner = rs.getString(1);
          out.computeIfAbsent(owner == null ? "" : owner, o -> new ArrayList<>())
              .add(
                  new HeldJob(
                      rs.getObject(2, UUID.class),
                      rs.getString(3),
                      instant(rs, 4),
                      instant(rs, 5)));
          return null;
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
    List<JobRow> rows =
        query(
            DashboardSql.JOBS_PAGE,
            (c, ps) -> {
              OffsetDateTime bound = OffsetDateTime.ofInstant(cursor.createdAt(), ZoneOffset.UTC);
              ps.setArray(1, statuses(c, statuses));
              ps.setObject(2, bound);
              ps.setObject(3, bound);
              ps.setObject(4, cursor.id());
              ps.setString(5, filter.kind());
              ps.setString(6, filter.kind());
              ps.setObject(7, filter.sessionId());
              ps.setObject(8, filter.sessionId());
              ps.setInt(9, fetch);
              ps.setInt(10, low);
              ps.setInt(11, high);
              ps.setInt(12, fetch);
            },
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

  private static Array statuses(Connection c, List<JobStatus> statuses) throws SQLException {
    return c.createArrayOf(
        "text", statuses.stream().map(s -> s.name().toLowerCase(Locale.ROOT)).toArray());
  }

  private static Instant instant(ResultSet rs, int column) throws SQLException {
    Timestamp t = rs.getTimestamp(column);
    return t == null ? null : t.toInstant();
  }
}
