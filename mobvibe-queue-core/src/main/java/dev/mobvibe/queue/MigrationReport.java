package dev.mobvibe.queue;

import java.util.List;

/**
 * What {@link JobQueue#migrate()} did.
 *
 * @param schema the schema migrated
 * @param fromVersion the version before, 0 for a database the SDK had never migrated
 * @param toVersion the version after
 * @param applied the versions applied by this call, empty when the schema was up to date
 */
public record MigrationReport(
    String schema, int fromVersion, int toVersion, List<Integer> applied) {

  /**
   * Copies the list.
   *
   * @param schema see {@link #schema()}
   * @param fromVersion see {@link #fromVersion()}
   * @param toVersion see {@link #toVersion()}
   * @param applied see {@link #applied()}
   */
  public MigrationReport {
    applied = List.copyOf(applied);
  }
}
