package dev.mobvibe.queue.internal;

import dev.mobvibe.queue.MigrationReport;
import dev.mobvibe.queue.MigrationScript;
import dev.mobvibe.queue.QueueException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies the versioned migrations shipped in {@code dev/mobvibe/queue/migrations}, recording
 * applied versions in {@code <schema>.mobvibe_queue_migrations}. Internal API.
 *
 * <p><b>The transaction.</b> All pending migrations run in one transaction under a
 * transaction-scoped advisory lock keyed on the schema, so two processes migrating at once take
 * turns and the second finds nothing to do. A bare database is migrated this way and nothing else.
 * A process that finds the lock taken rolls back and tries again a little later in a new
 * transaction, rather than wait inside its transaction: an advisory lock, unlike a table lock, does
 * not refresh the backend's catalog caches when it is granted, so a transaction that waited could
 * still believe the schema absent that the other process just created, and fail to create it again.
 *
 * <p><b>Online pre-step: live seed databases.</b> On a database whose tables already exist (the
 * seed's, with workers still running), building an index inside that transaction would hold a lock
 * that stops every insert, claim and update for as long as the build takes, and migration 2 would
 * hold {@code ACCESS EXCLUSIVE} on {@code coding_jobs} (taken by its {@code ALTER TABLE}) through
 * its index builds, stopping reads too. So before the transaction, outside any transaction, the
 * runner does the part of each pending migration that can be done without blocking writers, taken
 * from the migration's own text (one definition, no second copy): every top-level {@code ALTER
 * TABLE {schema}.t ADD COLUMN IF NOT EXISTS c ...} whose table exists and lacks the column, as
 * written (a catalog change: instant, since no shipped column has a volatile default), and then
 * every top-level {@code CREATE [UNIQUE] INDEX IF NOT EXISTS name ON {schema}.t ...} whose table
 * exists and which is missing or invalid, rebuilt as {@code CREATE [UNIQUE] INDEX CONCURRENTLY IF
 * NOT EXISTS} with the same name and definition. Concurrent builds take {@code SHARE UPDATE
 * EXCLUSIVE}, which lets reads and writes go on. In the transaction the migration's own statements
 * then find the columns and indexes and do nothing. Statements inside {@code DO} blocks or function
 * bodies are not touched (migration 1's guarded seed index stays guarded). An interrupted
 * concurrent build leaves an invalid index behind; the next run drops it ({@code DROP INDEX
 * CONCURRENTLY}) and builds it again, so the migration's {@code IF NOT EXISTS} never settles for an
 * invalid index. A failed pre-step throws before the transaction; what it added is additive and is
 * what the next attempt adds first.
 *
 * <p><b>Who runs the pre-step.</b> It runs only when there is such work left, under a session-level
 * advisory lock on the same key as the transaction's lock, so one process builds while others wait
 * and then find the work done. Waiters poll here too rather than block: a session blocked on the
 * lock inside a statement holds a snapshot, a concurrent index build waits for every older
 * snapshot, and the two would deadlock. A session lock needs one server session from lock to
 * unlock: run the upgrade of a seed database over a direct connection or a session-mode pooler, not
 * a transaction-mode pooler (a bare or an up-to-date database takes no session lock). Server-side
 * {@code statement_timeout} and the driver's socket timeout are off for the migration connection
 * and restored afterwards: a build cancelled half-way would only leave an invalid index behind.
 *
 * <p><b>Check constraints and migration 2.</b> Migration 2 widens the seed's status check with
 * {@code 'cancelled'} by dropping every {@code CHECK} on {@code coding_jobs} whose definition
 * mentions "status", which would take a user's own constraints with it. Before migration 2 runs, in
 * the same transaction, the runner lists the checks it will drop other than the seed's own status
 * check (compared by definition, exactly as the server prints it), and after it runs re-creates
 * each under its name, with its definition and comment. It re-creates them {@code NOT VALID}: new
 * and updated rows are checked from the commit on, without a scan of the table under the lock
 * migration 2 holds; after the commit each one that was valid before is validated again with {@code
 * VALIDATE CONSTRAINT}, which takes {@code SHARE UPDATE EXCLUSIVE} and lets reads and writes go on.
 * A user's check named {@code coding_jobs_status_check}, the name migration 2 gives its own, stops
 * the migration with nothing applied, asking for a rename. What migration 2 still does under its
 * lock: one sequential scan of {@code coding_jobs} to validate its new status check (no sort; about
 * a quarter of a second per million rows in cache).
 *
 * <p>Shipped migrations never change (databases recorded them as applied); fixes to how they run
 * live here. A new migration could not have done this: the blocking work and the drop are in
 * migration 2, which runs before any later migration could. To have a future migration's index
 * built online, write it at top level as {@code CREATE [UNIQUE] INDEX IF NOT EXISTS name ON
 * {schema}.table ...}.
 */
public final class QueueSchema {
  private static final Logger log = LoggerFactory.getLogger(QueueSchema.class);

  /**
   * A migration script: its version, its description and its SQL.
   *
   * @param replacesStatusCheck whether the script drops the CHECK constraints on {@code
   *     coding_jobs} that mention status to widen the seed's status check; the runner keeps the
   *     others
   */
  record Migration(int version, String description, String resource, boolean replacesStatusCheck) {

    /** The work of this script that the runner does ahead of the transaction, in script order. */
    List<Prework> prework() {
      return QueueSchema.prework(load(resource));
    }

    /** The script's text with the schema name in place of {@code {schema}}. */
    String sql(String schema) {
      return load(resource).replace("{schema}", schema);
    }
  }

  static final List<Migration> MIGRATIONS =
      List.of(
          new Migration(1, "seed baseline", "V1__seed_baseline.sql", false),
          new Migration(2, "sdk columns", "V2__sdk_columns.sql", true),
          new Migration(3, "job kinds", "V3__job_kinds.sql", false),
          new Migration(4, "flow control", "V4__flow_control.sql", false),
          new Migration(5, "fair tier index", "V5__fair_tier_index.sql", false),
          new Migration(6, "dashboard indexes", "V6__dashboard_indexes.sql", false));

  /** The newest schema version this build knows. */
  public static final int LATEST_VERSION = MIGRATIONS.get(MIGRATIONS.size() - 1).version();

  /**
   * The versions this build knows that are newer than the given one, oldest first.
   *
   * @param version an applied version
   * @return the versions still to apply; empty when up to date
   */
  public static List<Integer> versionsAfter(int version) {
    return MIGRATIONS.stream().map(Migration::version).filter(v -> v > version).toList();
  }

  /**
   * The seed's status check as {@code pg_get_constraintdef} prints it: the one check migration 2 is
   * meant to replace. Migration 1 and the seed both write {@code CHECK (status IN ('pending',
   * 'processing', 'completed', 'failed'))} on a text column.
   */
  static final String SEED_STATUS_CHECK =
      "CHECK ((status = ANY (ARRAY['pending'::text, 'processing'::text, 'completed'::text,"
          + " 'failed'::text])))";

  /** The name migration 2 gives the widened status check. */
  static final String STATUS_CHECK_NAME = "coding_jobs_status_check";

  /** The longest pause between two attempts to take the lock another process holds. */
  private static final long LOCK_POLL_MAX_MILLIS = 1_000;

  /** Work done ahead of a migration's transaction, without blocking writers. */
  sealed interface Prework permits AddColumn, BuildIndex {
    /** The table it works on, unqualified. */
    String table();

    /** The statement the pre-step runs, outside any transaction, for the given schema. */
    String sql(String schema);
  }

  /**
   * A top-level {@code ALTER TABLE {schema}.table ADD COLUMN IF NOT EXISTS column ...}, run as
   * written.
   */
  record AddColumn(String table, String column, String statement) implements Prework {
    @Override
    public String sql(String schema) {
      return statement.replace("{schema}", schema);
    }
  }

  /**
   * A top-level {@code CREATE [UNIQUE] INDEX IF NOT EXISTS name ON {schema}.table definition},
   * where the definition is everything after the table: columns, method, predicate.
   */
  record BuildIndex(String name, String table, boolean unique, String definition)
      implements Prework {

    /** The same index, built without blocking writers. */
    @Override
    public String sql(String schema) {
      return "CREATE "
          + (unique ? "UNIQUE " : "")
          + "INDEX CONCURRENTLY IF NOT EXISTS "
          + name
          + " ON "
          + schema
          + "."
          + table
          + " "
          + definition.replace("{schema}", schema);
    }
  }

  /** A CHECK constraint migration 2 drops that is not the seed's status check: put back after. */
  private record KeptCheck(
      String name,
      boolean validated,
      boolean onStatusAlone,
      String definition,
      String addNotValid,
      String comment,
      String validate) {}

  /** What the transaction did, and the checks still to validate after its commit. */
  private record Applied(MigrationReport report, List<KeptCheck> toValidate) {}

  private static final Pattern CREATE_INDEX =
      Pattern.compile(
          "CREATE\\s+(UNIQUE\\s+)?INDEX\\s+IF\\s+NOT\\s+EXISTS\\s+([a-z_][a-z0-9_]*)"
              + "\\s+ON\\s+\\{schema\\}\\.([a-z_][a-z0-9_]*)\\s+(.+)",
          Pattern.CASE_INSENSITIVE | Pattern.DOTALL);
  private static final Pattern ADD_COLUMN =
      Pattern.compile(
          "ALTER\\s+TABLE\\s+\\{schema\\}\\.([a-z_][a-z0-9_]*)"
              + "\\s+ADD\\s+COLUMN\\s+IF\\s+NOT\\s+EXISTS\\s+([a-z_][a-z0-9_]*)\\s+.+",
          Pattern.CASE_INSENSITIVE | Pattern.DOTALL);
  private static final Pattern CREATE_TABLE =
      Pattern.compile(
          "CREATE\\s+TABLE\\s+(?:IF\\s+NOT\\s+EXISTS\\s+)?\\{schema\\}\\.([a-z_][a-z0-9_]*)\\b.*",
          Pattern.CASE_INSENSITIVE | Pattern.DOTALL);
  private static final Pattern DOLLAR_TAG = Pattern.compile("\\$([A-Za-z_][A-Za-z0-9_]*)?\\$");

  private final String schema;

  /**
   * Creates a runner for a schema.
   *
   * @param schema a validated schema name
   */
  public QueueSchema(String schema) {
    this.schema = Identifiers.checkSchema(schema);
  }

  /**
   * The statements that create the schema and the table recording applied versions, run at the
   * start of every migration transaction (and of every {@link MigrationScript}).
   */
  static List<String> bookkeeping(String schema) {
    return List.of(
        "CREATE SCHEMA IF NOT EXISTS " + schema,
        "CREATE TABLE IF NOT EXISTS "
            + schema
            + ".mobvibe_queue_migrations (version int PRIMARY KEY,"
            + " description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())");
  }

  /**
   * Every migration as the runner applies it to a database at the previous version, starting from
   * an empty one: the pre-step statements on tables that earlier migrations created, then the
   * transaction's statements (bookkeeping, the script, the version row). See {@link
   * MigrationScript}.
   *
   * @param schema the schema name
   * @return the scripts, oldest first
   * @throws IllegalArgumentException if the schema name is not a plain lower-case identifier
   */
  public static List<MigrationScript> scripts(String schema) {
    Identifiers.checkSchema(schema);
    List<MigrationScript> scripts = new ArrayList<>();
    Set<String> tables = new HashSet<>();
    for (Migration m : MIGRATIONS) {
      List<String> online = new ArrayList<>();
      for (Prework p : m.prework()) {
        // As the runner: where the table does not exist yet, the transaction creates it empty.
        if (tables.contains(p.table())) {
          online.add(p.sql(schema));
        }
      }
      StringBuilder sql = new StringBuilder();
      for (String statement : bookkeeping(schema)) {
        sql.append(statement).append(";\n");
      }
      sql.append('\n').append(m.sql(schema).strip()).append('\n');
      sql.append("\nINSERT INTO ")
          .append(schema)
          .append(".mobvibe_queue_migrations (version, description) VALUES (")
          .append(m.version())
          .append(", '")
          .append(m.description().replace("'", "''"))
          .append("');\n");
      scripts.add(new MigrationScript(m.version(), m.description(), online, sql.toString()));
      tables.addAll(createdTables(load(m.resource())));
    }
    return List.copyOf(scripts);
  }

  /** The {@code {schema}} tables a script creates with a top-level {@code CREATE TABLE}. */
  static Set<String> createdTables(String script) {
    Set<String> tables = new HashSet<>();
    for (String statement : topLevelStatements(script)) {
      Matcher m = CREATE_TABLE.matcher(statement);
      if (m.matches()) {
        tables.add(m.group(1));
      }
    }
    return tables;
  }

  /**
   * Applies every migration not yet recorded: the online pre-step where tables already exist, then
   * one transaction, then the validation of the user's checks that migration 2 put back.
   *
   * @param jdbc where to run them
   * @return what was applied
   * @throws QueueException if the database refuses, or if interrupted while another process
   *     migrates
   */
  public MigrationReport migrate(Jdbc jdbc) {
    return jdbc.withConnection(
        "migrate schema " + schema,
        c -> {
          // Index builds on large tables may take minutes: no socket timeout of the pool's and no
          // server statement timeout apply (both restored before the connection goes back).
          int networkTimeout = c.getNetworkTimeout();
          boolean autoCommit = c.getAutoCommit();
          String statementTimeout =
              Jdbc.query(
                      c,
                      "SELECT current_setting('statement_timeout')",
                      ps -> {},
                      rs -> rs.getString(1))
                  .get(0);
          MigrationReport report;
          try {
            c.setNetworkTimeout(Runnable::run, 0);
            c.setAutoCommit(true);
            execute(c, "SET statement_timeout = 0");
            report = migrate(c);
          } catch (SQLException | RuntimeException | Error e) {
            try {
              restore(c, autoCommit, statementTimeout, networkTimeout);
            } catch (SQLException restoring) {
              e.addSuppressed(restoring);
            }
            throw e;
          }
          restore(c, autoCommit, statementTimeout, networkTimeout);
          return report;
        });
  }

  private static void restore(
      Connection c, boolean autoCommit, String statementTimeout, int networkTimeout)
      throws SQLException {
    c.setAutoCommit(true);
    Jdbc.query(
        c,
        "SELECT set_config('statement_timeout', ?, false)",
        ps -> ps.setString(1, statementTimeout),
        rs -> rs.getString(1));
    c.setAutoCommit(autoCommit);
    c.setNetworkTimeout(Runnable::run, networkTimeout);
  }

  private MigrationReport migrate(Connection c) throws SQLException {
    if (!outstanding(c).isEmpty()) {
      takeLock(c, "pg_try_advisory_lock");
      try {
        // Another process may have done it while this one waited.
        for (Prework p : outstanding(c)) {
          run(c, p);
        }
      } catch (SQLException | RuntimeException | Error e) {
        try {
          unlockSession(c);
        } catch (SQLException unlocking) {
          e.addSuppressed(unlocking);
        }
        throw e;
      }
      unlockSession(c);
    }
    Applied applied = applyInOneTransaction(c);
    for (KeptCheck k : applied.toValidate()) {
      try {
        execute(c, k.validate());
      } catch (SQLException e) {
        throw new QueueException(
            "migrations "
                + applied.report().applied()
                + " were applied to schema "
                + schema
                + ", but validating the kept constraint "
                + k.name()
                + " again failed: it checks new rows and stays marked NOT VALID until `"
                + k.validate()
                + "` runs: "
                + e.getMessage(),
            e);
      }
    }
    return applied.report();
  }

  /** The pre-step work of the pending migrations that the database still lacks, in order. */
  private List<Prework> outstanding(Connection c) throws SQLException {
    int from = versionIfRecorded(c);
    List<Prework> todo = new ArrayList<>();
    for (Migration m : MIGRATIONS) {
      if (m.version() <= from) {
        continue;
      }
      for (Prework p : m.prework()) {
        // Where the table does not exist yet, the transaction creates it empty: nothing to spare.
        if (!relationExists(c, p.table())) {
          continue;
        }
        boolean done =
            p instanceof AddColumn a
                ? columnExists(c, a.table(), a.column())
                : Boolean.TRUE.equals(indexValid(c, ((BuildIndex) p).name()));
        if (!done) {
          todo.add(p);
        }
      }
    }
    return todo;
  }

  private void run(Connection c, Prework p) throws SQLException {
    if (p instanceof AddColumn a) {
      log.info("adding column {}.{}.{} ahead of the migration", schema, a.table(), a.column());
      execute(c, a.sql(schema));
      return;
    }
    BuildIndex i = (BuildIndex) p;
    if (Boolean.FALSE.equals(indexValid(c, i.name()))) {
      log.warn(
          "dropping invalid index {}.{} left by an interrupted build; building it again",
          schema,
          i.name());
      execute(c, "DROP INDEX CONCURRENTLY IF EXISTS " + schema + "." + i.name());
    }
    log.info("building index {}.{} concurrently ahead of the migration", schema, i.name());
    try {
      execute(c, i.sql(schema));
    } catch (SQLException e) {
      if (!"42703".equals(e.getSQLState())) {
        throw e;
      }
      // A column that an earlier statement of the migration creates other than by a top-level
      // ADD COLUMN: the transaction builds this index, as before (nothing was created here).
      log.info("index {}.{} is left to the migration: {}", schema, i.name(), e.getMessage());
    }
  }

  private Applied applyInOneTransaction(Connection c) throws SQLException {
    c.setAutoCommit(false);
    try {
      Applied applied = applyPending(c);
      c.commit();
      return applied;
    } catch (SQLException | RuntimeException | Error e) {
      try {
        c.rollback();
      } catch (SQLException rollback) {
        e.addSuppressed(rollback);
      }
      throw e;
    } finally {
      c.setAutoCommit(true);
    }
  }

  private Applied applyPending(Connection c) throws SQLException {
    takeLock(c, "pg_try_advisory_xact_lock");
    for (String statement : bookkeeping(schema)) {
      execute(c, statement);
    }
    int from = currentVersion(c);
    List<Integer> applied = new ArrayList<>();
    List<KeptCheck> toValidate = new ArrayList<>();
    for (Migration m : MIGRATIONS) {
      if (m.version() <= from) {
        continue;
      }
      List<KeptCheck> kept = m.replacesStatusCheck() ? checksToKeep(c) : List.of();
      execute(c, m.sql(schema));
      for (KeptCheck k : kept) {
        execute(c, k.addNotValid());
        if (k.comment() != null) {
          execute(c, k.comment());
        }
        if (k.validated()) {
          toValidate.add(k);
        }
        if (k.onStatusAlone()) {
          log.warn(
              "kept the CHECK constraint {} on {}.coding_jobs ({}): it checks status alone; if it"
                  + " does not admit 'cancelled', cancelling a job fails",
              k.name(),
              schema,
              k.definition());
        }
      }
      Jdbc.update(
          c,
          "INSERT INTO "
              + schema
              + ".mobvibe_queue_migrations (version, description) VALUES (?, ?)",
          ps -> {
            ps.setInt(1, m.version());
            ps.setString(2, m.description());
          });
      applied.add(m.version());
      log.info("applied migration {} ({}) to schema {}", m.version(), m.description(), schema);
    }
    return new Applied(
        new MigrationReport(schema, from, Math.max(from, LATEST_VERSION), applied), toValidate);
  }

  /**
   * The checks migration 2's loop will drop (the same selection: CHECK constraints on {@code
   * coding_jobs} whose definition mentions status) other than the seed's status check, with the
   * statements that put each back. The server quotes names and comments.
   */
  private List<KeptCheck> checksToKeep(Connection c) throws SQLException {
    List<KeptCheck> kept =
        Jdbc.query(
            c,
            """
            SELECT conname, convalidated,
                   conkey = ARRAY[(SELECT attnum FROM pg_attribute
                                   WHERE attrelid = conrelid AND attname = 'status')],
                   pg_get_constraintdef(oid),
                   format('ALTER TABLE %I.coding_jobs ADD CONSTRAINT %I %s%s', ?, conname,
                          pg_get_constraintdef(oid),
                          CASE WHEN convalidated THEN ' NOT VALID' ELSE '' END),
                   CASE WHEN obj_description(oid, 'pg_constraint') IS NOT NULL
                        THEN format('COMMENT ON CONSTRAINT %I ON %I.coding_jobs IS %L', conname, ?,
                                    obj_description(oid, 'pg_constraint')) END,
                   format('ALTER TABLE %I.coding_jobs VALIDATE CONSTRAINT %I', ?, conname)
              FROM pg_constraint
             WHERE conrelid = to_regclass(?) AND contype = 'c'
               AND pg_get_constraintdef(oid) LIKE '%status%'
               AND pg_get_constraintdef(oid) <> ?
             ORDER BY conname
            """,
            ps -> {
              ps.setString(1, schema);
              ps.setString(2, schema);
              ps.setString(3, schema);
              ps.setString(4, schema + ".coding_jobs");
              ps.setString(5, SEED_STATUS_CHECK);
            },
            rs ->
                new KeptCheck(
                    rs.getString(1),
                    rs.getBoolean(2),
                    rs.getBoolean(3),
                    rs.getString(4),
                    rs.getString(5),
                    rs.getString(6),
                    rs.getString(7)));
    for (KeptCheck k : kept) {
      if (k.name().equals(STATUS_CHECK_NAME)) {
        throw new QueueException(
            schema
                + ".coding_jobs has a CHECK constraint named "
                + STATUS_CHECK_NAME
                + " that is not the seed's status check: "
                + k.definition()
                + ". Migration 2 replaces the constraint of that name with one that admits"
                + " 'cancelled'. Rename yours (ALTER TABLE "
                + schema
                + ".coding_jobs RENAME CONSTRAINT "
                + STATUS_CHECK_NAME
                + " TO another_name) and migrate again; nothing was applied.");
      }
    }
    return kept;
  }

  /**
   * Takes the migration lock with the given try-function ({@code pg_try_advisory_lock} or {@code
   * pg_try_advisory_xact_lock}), polling, so that no wait happens inside a statement (a snapshot a
   * concurrent index build would wait for) or inside a transaction (catalog caches from before the
   * holder's commit). A failed attempt inside a transaction rolls it back: the next starts afresh.
   */
  private void takeLock(Connection c, String tryFunction) throws SQLException {
    long pause = 10;
    while (!Jdbc.query(
            c,
            "SELECT " + tryFunction + "(hashtext(?))",
            ps -> ps.setString(1, lockKey()),
            rs -> rs.getBoolean(1))
        .get(0)) {
      if (!c.getAutoCommit()) {
        c.rollback();
      }
      try {
        Thread.sleep(pause);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new QueueException(
            "interrupted while waiting for another process to migrate schema " + schema, e);
      }
      pause = Math.min(LOCK_POLL_MAX_MILLIS, pause * 2);
    }
  }

  private void unlockSession(Connection c) throws SQLException {
    boolean held =
        Jdbc.query(
                c,
                "SELECT pg_advisory_unlock(hashtext(?))",
                ps -> ps.setString(1, lockKey()),
                rs -> rs.getBoolean(1))
            .get(0);
    if (!held) {
      log.warn(
          "the migration lock of schema {} was not held by this session at unlock: is migrate()"
              + " running behind a transaction-mode pooler? Use a direct connection",
          schema);
    }
  }

  private String lockKey() {
    return "mobvibe_queue_migrate:" + schema;
  }

  private boolean relationExists(Connection c, String name) throws SQLException {
    return Jdbc.query(
            c,
            "SELECT to_regclass(?) IS NOT NULL",
            ps -> ps.setString(1, schema + "." + name),
            rs -> rs.getBoolean(1))
        .get(0);
  }

  private boolean columnExists(Connection c, String table, String column) throws SQLException {
    return !Jdbc.query(
            c,
            "SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass(?) AND attname = ?"
                + " AND attnum > 0 AND NOT attisdropped",
            ps -> {
              ps.setString(1, schema + "." + table);
              ps.setString(2, column);
            },
            rs -> 1)
        .isEmpty();
  }

  /** Whether the index is valid; {@code null} when no index of that name exists. */
  private Boolean indexValid(Connection c, String name) throws SQLException {
    List<Boolean> valid =
        Jdbc.query(
            c,
            "SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass(?)",
            ps -> ps.setString(1, schema + "." + name),
            rs -> rs.getBoolean(1));
    return valid.isEmpty() ? null : valid.get(0);
  }

  private static void execute(Connection c, String sql) throws SQLException {
    try (Statement st = c.createStatement()) {
      st.execute(sql);
    }
  }

  /**
   * Reads the applied version without taking the lock.
   *
   * @param jdbc where to look
   * @return the highest applied version, or 0 when none
   */
  public int currentVersion(Jdbc jdbc) {
    return jdbc.withConnection("read schema version", this::versionIfRecorded);
  }

  private int versionIfRecorded(Connection c) throws SQLException {
    return relationExists(c, "mobvibe_queue_migrations") ? currentVersion(c) : 0;
  }

  private int currentVersion(Connection c) throws SQLException {
    return Jdbc.query(
            c,
            "SELECT coalesce(max(version), 0) FROM " + schema + ".mobvibe_queue_migrations",
            ps -> {},
            rs -> rs.getInt(1))
        .get(0);
  }

  /**
   * The pre-step work of a script: its top-level {@code ADD COLUMN IF NOT EXISTS} and {@code CREATE
   * [UNIQUE] INDEX IF NOT EXISTS} statements on {@code {schema}} tables, in order.
   */
  static List<Prework> prework(String script) {
    List<Prework> work = new ArrayList<>();
    for (String statement : topLevelStatements(script)) {
      Matcher index = CREATE_INDEX.matcher(statement);
      Matcher column = ADD_COLUMN.matcher(statement);
      if (index.matches()) {
        work.add(
            new BuildIndex(
                index.group(2), index.group(3), index.group(1) != null, index.group(4).trim()));
      } else if (column.matches()) {
        work.add(new AddColumn(column.group(1), column.group(2), statement));
      }
    }
    return work;
  }

  /**
   * Splits a script into its top-level statements, without comments. Semicolons inside quotes,
   * quoted identifiers, comments and dollar-quoted bodies ({@code DO} blocks, functions) do not
   * split.
   */
  static List<String> topLevelStatements(String script) {
    List<String> statements = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    int n = script.length();
    int i = 0;
    while (i < n) {
      char ch = script.charAt(i);
      char next = i + 1 < n ? script.charAt(i + 1) : '\0';
      if (ch == '-' && next == '-') {
        int end = script.indexOf('\n', i);
        i = end < 0 ? n : end;
        current.append(' ');
      } else if (ch == '/' && next == '*') {
        i = endOfBlockComment(script, i);
        current.append(' ');
      } else if (ch == '\'' || ch == '"') {
        // A doubled quote inside ends one quoted run and starts the next: the same text.
        int end = script.indexOf(ch, i + 1);
        if (end < 0) {
          throw new QueueException("unterminated quote in a migration script at offset " + i);
        }
        current.append(script, i, end + 1);
        i = end + 1;
      } else if (ch == '$' && dollarTagAt(script, i) != null) {
        String tag = dollarTagAt(script, i);
        int end = script.indexOf(tag, i + tag.length());
        if (end < 0) {
          throw new QueueException("unterminated " + tag + " body in a migration script");
        }
        current.append(script, i, end + tag.length());
        i = end + tag.length();
      } else if (ch == ';') {
        addStatement(statements, current);
        i++;
      } else {
        current.append(ch);
        i++;
      }
    }
    addStatement(statements, current);
    return statements;
  }

  private static String dollarTagAt(String script, int i) {
    Matcher m = DOLLAR_TAG.matcher(script).region(i, script.length());
    return m.lookingAt() ? m.group() : null;
  }

  private static int endOfBlockComment(String script, int start) {
    int depth = 0;
    int i = start;
    while (i < script.length()) {
      if (script.startsWith("/*", i)) {
        depth++;
        i += 2;
      } else if (script.startsWith("*/", i)) {
        depth--;
        i += 2;
        if (depth == 0) {
          return i;
        }
      } else {
        i++;
      }
    }
    throw new QueueException("unterminated comment in a migration script at offset " + start);
  }

  private static void addStatement(List<String> statements, StringBuilder current) {
    String statement = current.toString().strip();
    if (!statement.isEmpty()) {
      statements.add(statement);
    }
    current.setLength(0);
  }

  static String load(String resource) {
    String path = "/dev/mobvibe/queue/migrations/" + resource;
    try (InputStream in = QueueSchema.class.getResourceAsStream(path)) {
      if (in == null) {
        throw new QueueException("migration resource missing from the jar: " + path);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new QueueException("cannot read migration resource " + path, e);
    }
  }
}
