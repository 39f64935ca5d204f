package dev.mobvibe.queue.testing;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.mobvibe.queue.DatabaseUrl;
import dev.mobvibe.queue.JobQueue;
import dev.mobvibe.queue.RetryPolicy;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import javax.sql.DataSource;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A fresh PostgreSQL database for one test class, dropped after it. Register it as a static field:
 *
 * <pre>{@code
 * @RegisterExtension static final TestDatabase db = new TestDatabase();
 * }</pre>
 *
 * <p>Under a test engine that does not run JUnit Jupiter extensions (jqwik), call {@link
 * #open(Class)} and {@link #close()} from the class's own set-up and tear-down instead.
 *
 * <p>The server is chosen once per JVM: {@code MOBVIBE_TEST_DATABASE_URL} (a URL of a database
 * whose user may create databases, in either form {@link DatabaseUrl} reads) if set; else a
 * PostgreSQL on 127.0.0.1:5432 with user {@code postgres} and trust auth; else a Testcontainers
 * PostgreSQL when Docker runs; else the test fails with a message that says how to get one. Every
 * connection runs in the non-UTC time zone {@value #SESSION_TIME_ZONE} to catch time-zone bugs.
 */
public final class TestDatabase implements BeforeAllCallback, AfterAllCallback {
  /** Every test connection uses this zone: +13:45, far from UTC. */
  public static final String SESSION_TIME_ZONE = "Pacific/Chatham";

  /** The admin database of the chosen server, with its credentials; set once per JVM. */
  private static DatabaseUrl server;

  private String databaseName;
  private DatabaseUrl database;
  private HikariDataSource dataSource;
  private final List<AutoCloseable> closeables = new ArrayList<>();

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    open(context.getRequiredTestClass());
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    close();
  }

  /**
   * Creates the class's database, as {@link #beforeAll} does, for test engines that do not run
   * JUnit Jupiter extensions (jqwik: call it from a {@code @BeforeContainer} method, and {@link
   * #close()} from an {@code @AfterContainer} method).
   *
   * @param testClass the test class, whose name starts the database's name
   * @throws SQLException if the server refuses to create it
   */
  public void open(Class<?> testClass) throws SQLException {
    DatabaseUrl admin = server();
    databaseName =
        ("mvq_" + testClass.getSimpleName() + "_" + UUID.randomUUID().toString().substring(0, 8))
            .toLowerCase(Locale.ROOT);
    try (Connection c = connect(admin);
        Statement st = c.createStatement()) {
      st.execute("CREATE DATABASE " + databaseName);
    }
    database = admin.withDatabase(databaseName);
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(database.jdbcUrl());
    database.user().ifPresent(config::setUsername);
    database.password().ifPresent(config::setPassword);
    config.setMaximumPoolSize(16);
    config.setMinimumIdle(0);
    config.setPoolName("test-" + databaseName);
    config.setConnectionInitSql("SET TIME ZONE '" + SESSION_TIME_ZONE + "'");
    dataSource = new HikariDataSource(config);
  }

  /**
   * Closes what the tests registered with {@link #closeLater} (last first), closes the pool and
   * drops the database, as {@link #afterAll} does. See {@link #open(Class)}.
   *
   * @throws SQLException if the server refuses to drop the database
   */
  public void close() throws SQLException {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      try {
        closeables.get(i).close();
      } catch (Exception e) {
        // keep closing the rest; the database is dropped anyway
      }
    }
    closeables.clear();
    if (dataSource != null) {
      dataSource.close();
    }
    try (Connection c = connect(server());
        Statement st = c.createStatement()) {
      st.execute("DROP DATABASE IF EXISTS " + databaseName + " WITH (FORCE)");
    }
  }

  /**
   * Returns a pooled data source on this class's database.
   *
   * @return the data source
   */
  public DataSource dataSource() {
    return dataSource;
  }

  /**
   * Returns the JDBC URL of this class's database (credentials separate): the server's URL, query
   * parameters included, with this class's database name.
   *
   * @return the URL
   */
  public String jdbcUrl() {
    return database.jdbcUrl();
  }

  /**
   * Returns the database user, or {@code null} when the URL carries it.
   *
   * @return the user
   */
  public String user() {
    return database.user().orElse(null);
  }

  /**
   * Returns the database password, or {@code null}.
   *
   * @return the password
   */
  public String password() {
    return database.password().orElse(null);
  }

  /**
   * Returns the database name.
   *
   * @return the name
   */
  public String name() {
    return databaseName;
  }

  /**
   * Opens a new, unpooled connection in the test time zone. The caller closes it.
   *
   * @return the connection
   * @throws SQLException from JDBC
   */
  public Connection connect() throws SQLException {
    Connection c = connect(database);
    try (Statement st = c.createStatement()) {
      st.execute("SET TIME ZONE '" + SESSION_TIME_ZONE + "'");
    }
    return c;
  }

  /**
   * Runs SQL statements on a fresh connection, in auto-commit mode.
   *
   * @param sql the statements (several may be separated by semicolons)
   */
  public void execute(String sql) {
    try (Connection c = connect();
        Statement st = c.createStatement()) {
      st.execute(sql);
    } catch (SQLException e) {
      throw new IllegalStateException("test SQL failed: " + e.getMessage(), e);
    }
  }

  /**
   * Empties the queue's tables in the public schema: jobs, session events, sessions, kind controls.
   */
  public void emptyQueueTables() {
    execute("TRUNCATE coding_jobs, session_events, coding_sessions, coding_job_kinds");
  }

  /**
   * Runs a query that returns one number.
   *
   * @param sql the query
   * @return the first column of the first row
   */
  public long queryLong(String sql) {
    try (Connection c = connect();
        Statement st = c.createStatement();
        var rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    } catch (SQLException e) {
      throw new IllegalStateException("test SQL failed: " + e.getMessage(), e);
    }
  }

  /**
   * Runs a query that returns one text value.
   *
   * @param sql the query
   * @return the first column of the first row, or {@code null}
   */
  public String queryString(String sql) {
    try (Connection c = connect();
        Statement st = c.createStatement();
        var rs = st.executeQuery(sql)) {
      return rs.next() ? rs.getString(1) : null;
    } catch (SQLException e) {
      throw new IllegalStateException("test SQL failed: " + e.getMessage(), e);
    }
  }

  /**
   * Builds a queue on this database (the default schema), closed after the class.
   *
   * @return the queue builder's result
   */
  public JobQueue newQueue() {
    return newQueue(JobQueue.builder());
  }

  /**
   * Builds a queue on this database from a builder the test has configured, closed after the class.
   * A fixed zero-delay retry policy is not set here: tests choose their own.
   *
   * @param builder a builder without a data source
   * @return the queue
   */
  public JobQueue newQueue(JobQueue.Builder builder) {
    JobQueue queue = builder.dataSource(dataSource).build();
    closeables.add(queue);
    return queue;
  }

  /**
   * Builds and migrates a queue whose retries wait no time.
   *
   * @return the migrated queue
   */
  public JobQueue migratedQueue() {
    JobQueue queue =
        newQueue(JobQueue.builder().retryPolicy(RetryPolicy.fixed(java.time.Duration.ZERO)));
    queue.migrate();
    return queue;
  }

  /**
   * Closes this with the class.
   *
   * @param closeable something the test opened
   * @param <T> its type
   * @return the same object
   */
  public <T extends AutoCloseable> T closeLater(T closeable) {
    closeables.add(closeable);
    return closeable;
  }

  private static Connection connect(DatabaseUrl url) throws SQLException {
    return DriverManager.getConnection(url.jdbcUrl(), url.connectionProperties());
  }

  private static synchronized DatabaseUrl server() {
    if (server != null) {
      return server;
    }
    String env = System.getenv("MOBVIBE_TEST_DATABASE_URL");
    if (env != null && !env.isBlank()) {
      server = DatabaseUrl.parse(env);
    } else if (reachable("127.0.0.1", 5432)) {
      server =
          DatabaseUrl.parse("jdbc:postgresql://127.0.0.1:5432/postgres")
              .withCredentials("postgres", null);
    } else if (ContainerServer.dockerAvailable()) {
      server = ContainerServer.start();
    } else {
      throw new IllegalStateException(
          "No PostgreSQL for the tests: set MOBVIBE_TEST_DATABASE_URL to a jdbc:postgresql: URL"
              + " whose user may create databases, or run PostgreSQL on 127.0.0.1:5432 with user"
              + " postgres and trust auth, or start Docker so Testcontainers can run one.");
    }
    return server;
  }

  private static boolean reachable(String host, int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(host, port), 500);
      return true;
    } catch (java.io.IOException e) {
      return false;
    }
  }

  /** Testcontainers is touched only here, and only when no server answers. */
  private static final class ContainerServer {
    static boolean dockerAvailable() {
      try {
        return org.testcontainers.DockerClientFactory.instance().isDockerAvailable();
      } catch (RuntimeException | LinkageError e) {
        return false;
      }
    }

    @SuppressWarnings("resource") // lives for the JVM; Testcontainers' reaper removes it
    static DatabaseUrl start() {
      var container = new org.testcontainers.containers.PostgreSQLContainer<>("postgres:15-alpine");
      container.start();
      return DatabaseUrl.parse(container.getJdbcUrl())
          .withCredentials(container.getUsername(), container.getPassword());
    }
  }
}
