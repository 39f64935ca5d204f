package dev.mobvibe.queue.examples;

import dev.mobvibe.queue.JobNotifier;
import dev.mobvibe.queue.realtime.PgNotifier;
import dev.mobvibe.queue.realtime.SupabaseRealtimeNotifier;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;

/**
 * Chooses and builds the worker's wake-up source for {@code --notifier pg|supabase|poll}. Polling
 * always runs inside the processor; a notifier only wakes it sooner.
 *
 * <p>Without {@code --notifier}: {@code pg} when the database accepts {@code LISTEN} on a direct or
 * session-pooled connection, else {@code supabase} when SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY
 * are set, else {@code poll}.
 */
final class Notifiers {

  /** The port of Supabase's transaction pooler, where LISTEN is accepted but never delivers. */
  private static final int TRANSACTION_POOLER_PORT = 6543;

  /**
   * A chosen wake-up source.
   *
   * @param kind pg, supabase or poll
   * @param notifier the notifier, or null for poll (the processor's own poll)
   * @param why why this one, for the start-up log line
   */
  record Choice(String kind, JobNotifier notifier, String why) {}

  private Notifiers() {}

  /**
   * Chooses and creates the notifier.
   *
   * @param requested pg, supabase, poll, or null to choose
   * @param db the database
   * @param settings the settings (for the Supabase URL and key)
   * @return the choice; the caller closes its notifier after the processor
   * @throws CliException when the requested notifier cannot be had
   */
  static Choice choose(String requested, Database db, Settings settings) {
    String kind = requested == null ? null : requested.toLowerCase(Locale.ROOT);
    if (kind == null) {
      String listenProblem = listenProblem(db);
      if (listenProblem == null) {
        return new Choice("pg", postgres(db), "the database accepts LISTEN");
      }
      if (settings.supabaseUrl().isPresent() && settings.supabaseServiceRoleKey().isPresent()) {
        return new Choice(
            "supabase",
            supabase(settings),
            "LISTEN is not usable (" + listenProblem + "); SUPABASE_URL is set");
      }
      return new Choice("poll", null, "LISTEN is not usable (" + listenProblem + ")");
    }
    switch (kind) {
      case "poll":
        return new Choice("poll", null, "--notifier poll");
      case "pg":
        return new Choice("pg", postgres(db), "--notifier pg");
      case "supabase":
        if (settings.supabaseUrl().isEmpty()) {
          throw new CliException(2, "SUPABASE_URL is required for --notifier supabase");
        }
        if (settings.supabaseServiceRoleKey().isEmpty()) {
          throw new CliException(
              2, "SUPABASE_SERVICE_ROLE_KEY is required for --notifier supabase");
        }
        return new Choice("supabase", supabase(settings), "--notifier supabase");
      default:
        throw new CliException(
            2, "--notifier must be pg, supabase or poll, was '" + requested + "'");
    }
  }

  /**
   * Why LISTEN cannot be used on this database, or null when it can.
   *
   * @param db the database
   * @return the reason, or null
   */
  private static String listenProblem(Database db) {
    if (db.jdbcUrl().contains(":" + TRANSACTION_POOLER_PORT + "/")) {
      return "port " + TRANSACTION_POOLER_PORT + " is a transaction pooler";
    }
    try (Connection c = db.connect();
        Statement st = c.createStatement()) {
      st.execute("LISTEN mobvibe_probe");
      st.execute("UNLISTEN mobvibe_probe");
      return null;
    } catch (SQLException e) {
      return e.getMessage();
    }
  }

  /**
   * A LISTEN/NOTIFY notifier on a database (also the bench command's notifier factory).
   *
   * @param jdbcUrl the JDBC URL
   * @param user the user, or null
   * @param password the password, or null
   * @return a new notifier, not started
   */
  static JobNotifier postgres(String jdbcUrl, String user, String password) {
    return PgNotifier.builder()
        .jdbcUrl(jdbcUrl)
        .username(user)
        .password(password)
        .applicationName("mobvibe-worker-listener")
        .build();
  }

  private static JobNotifier postgres(Database db) {
    return postgres(db.jdbcUrl(), db.user(), db.password());
  }

  /**
   * The Realtime notifier; SUPABASE_URL is checked here, where it is used, and nowhere else.
   *
   * @param settings the settings with SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY
   * @return a new notifier, not started
   * @throws Settings.Invalid (exit code 2) when SUPABASE_URL is malformed
   * @throws CliException (exit code 2) when the notifier refuses an option
   */
  private static JobNotifier supabase(Settings settings) {
    String url = settings.realtimeUrl();
    try {
      return SupabaseRealtimeNotifier.builder()
          .supabaseUrl(url)
          .apiKey(settings.supabaseServiceRoleKey().orElseThrow())
          .schema(settings.schema())
          .build();
    } catch (IllegalArgumentException e) {
      // The notifier's messages show no secret.
      throw new CliException(2, "--notifier supabase: " + e.getMessage());
    }
  }
}
