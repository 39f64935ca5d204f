package dev.mobvibe.queue.examples;

import dev.mobvibe.queue.DatabaseUrl;
import dev.mobvibe.queue.JobQueue;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The database a command works on: {@code DATABASE_URL} when set; else a PostgreSQL on
 * 127.0.0.1:5432 (user {@code postgres}, password {@code PGPASSWORD} if set, database {@code
 * mobvibe}, created if missing); else, for commands that may, an embedded PostgreSQL that lives as
 * long as this process. {@link #description()} says which one, without secrets.
 *
 * <p>The fallbacks serve development only: with {@code SUPABASE_URL} set, the settings name a
 * Supabase project, and a worker on a local or throw-away database would look healthy while the
 * project's jobs wait. So {@code SUPABASE_URL} without {@code DATABASE_URL} is refused.
 */
final class Database implements AutoCloseable {

  /** The database the local fallback uses, created when missing. */
  private static final String LOCAL_DATABASE = "mobvibe";

  private static final String LOCAL_HOST = "127.0.0.1";
  private static final int LOCAL_PORT = 5432;

  private final DatabaseUrl url;
  private final String description;
  private final EmbeddedPostgres embedded;
  private final AtomicBoolean closed = new AtomicBoolean();

  private Database(DatabaseUrl url, String description, EmbeddedPostgres embedded) {
    this.url = url;
    this.description = description;
    this.embedded = embedded;
  }

  /**
   * Finds the database.
   *
   * @param settings the parsed settings
   * @param env the environment (for PGPASSWORD)
   * @param mayEmbed whether an embedded PostgreSQL may be started when no other answers
   * @return the database; close it to stop an embedded server
   * @throws CliException when no database can be had, saying why and what to do; exit code 2 when
   *     SUPABASE_URL is set without DATABASE_URL
   */
  static Database open(Settings settings, Map<String, String> env, boolean mayEmbed) {
    if (settings.databaseUrl().isPresent()) {
      DatabaseUrl url = DatabaseUrl.parse(settings.databaseUrl().get());
      return new Database(url, "DATABASE_URL " + DatabaseUrl.redact(url.jdbcUrl()), null);
    }
    Optional<String> problem = missingProjectDatabase(settings);
    if (problem.isPresent()) {
      throw new CliException(2, problem.get());
    }
    if (reachable(LOCAL_HOST, LOCAL_PORT)) {
      return local(env.get("PGPASSWORD"));
    }
    if (!mayEmbed) {
      throw new CliException(
          2,
          "DATABASE_URL is not set and no PostgreSQL answers on "
              + LOCAL_HOST
              + ":"
              + LOCAL_PORT
              + "; set DATABASE_URL (jdbc:postgresql://... or postgresql://user:pass@host/db)");
    }
    return embedded();
  }

  /**
   * Why the fallbacks must not be used: SUPABASE_URL names a project whose database DATABASE_URL
   * does not give.
   *
   * @param settings the settings
   * @return the one-line error, or empty when DATABASE_URL is set or SUPABASE_URL is not
   */
  static Optional<String> missingProjectDatabase(Settings settings) {
    if (settings.databaseUrl().isPresent() || settings.supabaseUrl().isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(
        "SUPABASE_URL is set but DATABASE_URL is not: a Supabase project needs DATABASE_URL, the"
            + " project's connection string (Connect in the Supabase dashboard); to use a local"
            + " database instead, unset SUPABASE_URL");
  }

  private static Database local(String password) {
    DatabaseUrl admin =
        DatabaseUrl.parse("jdbc:postgresql://" + LOCAL_HOST + ":" + LOCAL_PORT + "/postgres")
            .withCredentials("postgres", password == null || password.isBlank() ? null : password);
    Properties props = admin.connectionProperties();
    props.setProperty("connectTimeout", "5");
    try (Connection c = DriverManager.getConnection(admin.jdbcUrl(), props)) {
      boolean exists;
      try (PreparedStatement ps =
          c.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?")) {
        ps.setString(1, LOCAL_DATABASE);
        try (ResultSet rs = ps.executeQuery()) {
          exists = rs.next();
        }
      }
      if (!exists) {
        try (Statement st = c.createStatement()) {
          st.execute("CREATE DATABASE " + LOCAL_DATABASE);
        } catch (SQLException e) {
          if (!"42P04".equals(e.getSQLState())) { // created meanwhile by another process
            throw e;
          }
        }
      }
    } catch (SQLException e) {
      throw new CliException(
          2,
          "PostgreSQL on "
              + LOCAL_HOST
              + ":"
              + LOCAL_PORT
              + " refused user postgres ("
              + e.getMessage()
              + "); set DATABASE_URL, or PGPASSWORD for user postgres");
    }
    return new Database(
        admin.withDatabase(LOCAL_DATABASE),
        "PostgreSQL on "
            + LOCAL_HOST
            + ":"
            + LOCAL_PORT
            + " (database "
            + LOCAL_DATABASE
            + ", user postgres; DATABASE_URL is not set)",
        null);
  }

  static Database embedded() {
    if (runsAsRoot()) {
      throw new CliException(
          2,
          "DATABASE_URL is not set and no PostgreSQL answers on "
              + LOCAL_HOST
              + ":"
              + LOCAL_PORT
              + ", so an embedded PostgreSQL would start; but PostgreSQL refuses to run as root"
              + " (its initdb and server stop with \"cannot be run as root\"), and this process"
              + " runs as root. Run as an ordinary user, or start PostgreSQL on "
              + LOCAL_HOST
              + ":"
              + LOCAL_PORT
              + " (user postgres), or set DATABASE_URL.");
    }
    try {
      EmbeddedPostgres pg =
          EmbeddedPostgres.builder()
              .setRegisterShutdownHook(false) // our own hook stops it after the worker
              .setCleanDataDirectory(true)
              .start();
      return new Database(
          DatabaseUrl.parse(pg.getJdbcUrl("postgres", "postgres")),
          "embedded PostgreSQL on "
              + LOCAL_HOST
              + ":"
              + pg.getPort()
              + " (no DATABASE_URL, nothing on "
              + LOCAL_HOST
              + ":"
              + LOCAL_PORT
              + "; its data is deleted when this process ends)",
          pg);
    } catch (IOException | RuntimeException e) {
      throw new CliException(
          1,
          "could not start an embedded PostgreSQL ("
              + e
              + "); set DATABASE_URL or start PostgreSQL on "
              + LOCAL_HOST
              + ":"
              + LOCAL_PORT);
    }
  }

  /**
   * Tells whether this process runs as root (uid 0), which PostgreSQL refuses.
   *
   * @return true for root
   */
  static boolean runsAsRoot() {
    if ("root".equals(System.getProperty("user.name"))) {
      return true;
    }
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("Uid:")) {
          String[] fields = line.substring(4).trim().split("\\s+");
          return fields.length > 1 && fields[1].equals("0"); // effective uid
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux: user.name is all we have
    }
    return false;
  }

  private static boolean reachable(String host, int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(host, port), 500);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * Starts a queue builder on this database.
   *
   * @return a builder with the URL and credentials set
   */
  JobQueue.Builder queueBuilder() {
    JobQueue.Builder b = JobQueue.builder().jdbcUrl(url.jdbcUrl());
    url.user().ifPresent(b::username);
    url.password().ifPresent(b::password);
    return b;
  }

  /**
   * Opens a plain JDBC connection (for notifier probes and the demo's schema reset).
   *
   * @return a new connection; the caller closes it
   * @throws SQLException from JDBC
   */
  Connection connect() throws SQLException {
    Properties props = url.connectionProperties();
    props.setProperty("connectTimeout", "10");
    return DriverManager.getConnection(url.jdbcUrl(), props);
  }

  /**
   * The JDBC URL without credentials.
   *
   * @return the URL
   */
  String jdbcUrl() {
    return url.jdbcUrl();
  }

  /**
   * The user, from the settings or the URL.
   *
   * @return the user, or null
   */
  String user() {
    return url.user().orElse(null);
  }

  /**
   * The password, from the settings or the URL. A secret.
   *
   * @return the password, or null
   */
  String password() {
    return url.password().orElse(null);
  }

  /**
   * Which database this is, without secrets.
   *
   * @return one line
   */
  String description() {
    return description;
  }

  /**
   * Whether this is an embedded server that lives as long as this process.
   *
   * @return true when embedded
   */
  boolean isEmbedded() {
    return embedded != null;
  }

  /** Stops the embedded server, if this is one. */
  @Override
  public void close() {
    if (embedded != null && closed.compareAndSet(false, true)) {
      try {
        embedded.close();
      } catch (IOException e) {
        // its temporary directory stays behind; nothing else to do at exit
      }
    }
  }

  @Override
  public String toString() {
    return description;
  }
}
