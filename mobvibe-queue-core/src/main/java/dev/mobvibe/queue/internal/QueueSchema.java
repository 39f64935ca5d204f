package dev.mobvibe.queue.internal;

import dev.mobvibe.queue.MigrationReport;
import dev.mobvibe.queue.QueueException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies the versioned migrations shipped in {@code dev/mobvibe/queue/migrations}. All pending
 * migrations run in one transaction under a transaction-scoped advisory lock keyed on the schema,
 * so two processes migrating at once take turns and the second finds nothing to do. A process that
 * finds the lock taken rolls back and tries again a little later in a new transaction, rather than
 * wait inside its transaction: an advisory lock, unlike a table lock, does not refresh the
 * backend's catalog caches when it is granted, so a transaction that waited could still believe the
 * schema absent that the other process just created, and fail to create it again. Applied versions
 * are recorded in {@code <schema>.mobvibe_queue_migrations}. Internal API.
 */
public final class QueueSchema {
  private static final Logger log = LoggerFactory.getLogger(QueueSchema.class);

  /** A migration script: its version, its description and its SQL. */
  record Migration(int version, String description, String resource) {}

  static final List<Migration> MIGRATIONS =
      List.of(
          new Migration(1, "seed baseline", "V1__seed_baseline.sql"),
          new Migration(2, "sdk columns", "V2__sdk_columns.sql"));

  /** The newest schema version this build knows. */
  public static final int LATEST_VERSION = MIGRATIONS.get(MIGRATIONS.size() - 1).version();

  /** The longest pause between two attempts to take the lock another process holds. */
  private static final long LOCK_POLL_MAX_MILLIS = 1_000;

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
   * Applies every migration not yet recorded, in one transaction.
   *
   * @param jdbc where to run them
   * @return what was applied
   */
  public MigrationReport migrate(Jdbc jdbc) {
    return jdbc.inTransaction(
        "migrate schema " + schema,
        c -> {
          // A migration may build an index on a large table: no socket timeout of the pool's
          // applies while it runs (restored before the connection goes back to the pool).
          int networkTimeout = c.getNetworkTimeout();
          c.setNetworkTimeout(Runnable::run, 0);
          try {
            return migrate(c);
          } finally {
            c.setNetworkTimeout(Runnable::run, networkTimeout);
          }
        });
  }

  private MigrationReport migrate(Connection c) throws SQLException {
    lockForTransaction(c);
    try (Statement st = c.createStatement()) {
      st.execute("CREATE SCHEMA IF NOT EXISTS " + schema);
      st.execute(
          "CREATE TABLE IF NOT EXISTS "
              + schema
              + ".mobvibe_queue_migrations (version int PRIMARY KEY,"
              + " description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())");
    }
    int from = currentVersion(c);
    List<Integer> applied = new ArrayList<>();
    for (Migration m : MIGRATIONS) {
      if (m.version() <= from) {
        continue;
      }
      try (Statement st = c.createStatement()) {
        st.execute(load(m.resource()).replace("{schema}", schema));
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
    return new MigrationReport(schema, from, Math.max(from, LATEST_VERSION), applied);
  }

  /**
   * Takes the transaction-scoped migration lock, polling: between attempts the transaction is
   * rolled back, so the attempt that gets the lock starts a new transaction after the holder's
   * commit, with catalog caches that know what it created.
   */
  private void lockForTransaction(Connection c) throws SQLException {
    long pause = 10;
    while (!Jdbc.query(
            c,
            "SELECT pg_try_advisory_xact_lock(hashtext(?))",
            ps -> ps.setString(1, "mobvibe_queue_migrate:" + schema),
            rs -> rs.getBoolean(1))
        .get(0)) {
      c.rollback();
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

  /**
   * Reads the applied version without taking the lock.
   *
   * @param jdbc where to look
   * @return the highest applied version, or 0 when none
   */
  public int currentVersion(Jdbc jdbc) {
    return jdbc.withConnection(
        "read schema version",
        c -> {
          List<Boolean> exists =
              Jdbc.query(
                  c,
                  "SELECT to_regclass(?) IS NOT NULL",
                  ps -> ps.setString(1, schema + ".mobvibe_queue_migrations"),
                  rs -> rs.getBoolean(1));
          return exists.get(0) ? currentVersion(c) : 0;
        });
  }

  private int currentVersion(Connection c) throws SQLException {
    return Jdbc.query(
            c,
            "SELECT coalesce(max(version), 0) FROM " + schema + ".mobvibe_queue_migrations",
            ps -> {},
            rs -> rs.getInt(1))
        .get(0);
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
