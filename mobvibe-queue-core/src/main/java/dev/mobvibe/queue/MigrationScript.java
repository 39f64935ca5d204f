package dev.mobvibe.queue;

import dev.mobvibe.queue.internal.QueueSchema;
import java.util.List;
import java.util.Objects;

/**
 * One schema migration as SQL text, for applications that own their DDL with Flyway, Liquibase or
 * plain scripts instead of calling {@link JobQueue#migrate()}. {@link #all(String)} lists them
 * oldest first, with the schema name in place; applied in order, starting from an empty database,
 * they produce the same objects and the same version rows as the runner, so {@link
 * JobQueue#schemaVersion()} and {@link JobQueue#migrate()} then see the database as up to date.
 *
 * <p><b>Applying one script.</b> Run {@link #onlineStatements()} first, each statement on its own,
 * outside any transaction (autocommit); then run {@link #sql()} in one transaction. Never mix the
 * two parts in one transaction: PostgreSQL refuses {@code CREATE INDEX CONCURRENTLY} inside a
 * transaction block. With Flyway that is two versioned files per migration, the first marked
 * non-transactional; with Liquibase two changesets, the first with {@code
 * runInTransaction="false"}.
 *
 * <p><b>Index builds.</b> The online statements are what the runner does before its transaction on
 * a database whose tables already exist: every {@code ALTER TABLE ... ADD COLUMN IF NOT EXISTS} of
 * the migration as written (a catalog change, instant), then every index of the migration as {@code
 * CREATE [UNIQUE] INDEX CONCURRENTLY IF NOT EXISTS}, which builds without blocking reads or writes.
 * The same statements stay in {@link #sql()} as plain {@code IF NOT EXISTS} statements and then do
 * nothing. Where a migration creates a table itself (migration 1 on an empty database), its indexes
 * are built inside the transaction on the empty table and are not listed as online statements. A
 * concurrent build that is interrupted leaves an {@code INVALID} index of the same name behind,
 * which {@code IF NOT EXISTS} would then keep: drop it with {@code DROP INDEX CONCURRENTLY} before
 * running the statement again (the runner does that itself).
 *
 * <p><b>What the runner does around migration 2 that scripts do not.</b> Migration 2 widens the
 * status check of {@code coding_jobs} by dropping every {@code CHECK} constraint on that table
 * whose definition mentions {@code status}. The runner lists such constraints of your own before
 * migration 2, puts each back afterwards under its name (with its comment) and validates it again
 * after the commit; it also stops, applying nothing, when a constraint of yours is already named
 * {@code coding_jobs_status_check}. These scripts carry none of that: if you added a check on
 * {@code coding_jobs} that mentions status before applying migration 2, re-create it after. On a
 * database created from these scripts there is none. The runner also takes an advisory lock and
 * polls for it, so that processes migrating at once take turns; your migration tool's own lock does
 * that job here. Use one way of migrating per database: the runner or these scripts.
 *
 * <p>Every {@link #sql()} starts with {@code CREATE SCHEMA IF NOT EXISTS} and the {@code
 * mobvibe_queue_migrations} table, and ends with the {@code INSERT} of its version row. Immutable
 * and thread-safe.
 *
 * @param version the schema version this script brings the database to
 * @param description what the migration adds, as recorded in {@code mobvibe_queue_migrations}
 * @param onlineStatements statements to run first, one at a time, outside any transaction; empty
 *     when the migration has none; each without a trailing semicolon
 * @param sql the statements to run in one transaction after the online statements, separated by
 *     semicolons; function bodies and {@code DO} blocks are dollar-quoted
 */
public record MigrationScript(
    int version, String description, List<String> onlineStatements, String sql) {

  /**
   * Creates a script; the list is copied.
   *
   * @param version see {@link #version()}
   * @param description see {@link #description()}
   * @param onlineStatements see {@link #onlineStatements()}
   * @param sql see {@link #sql()}
   * @throws NullPointerException if an argument is null
   */
  public MigrationScript {
    Objects.requireNonNull(description, "description must not be null");
    onlineStatements = List.copyOf(onlineStatements);
    Objects.requireNonNull(sql, "sql must not be null");
  }

  /**
   * Returns every migration this build knows for a schema, oldest first; the last brings a database
   * to the version a {@link JobProcessor} needs. Reads the scripts from this library's jar and
   * touches no database.
   *
   * @param schema the schema name, as given to {@link JobQueue.Builder#schema}; {@link
   *     JobQueue#DEFAULT_SCHEMA} unless you set one
   * @return the scripts, oldest first
   * @throws IllegalArgumentException if the schema name is not a plain lower-case identifier
   */
  public static List<MigrationScript> all(String schema) {
    return QueueSchema.scripts(schema);
  }
}
