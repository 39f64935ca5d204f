package dev.mobvibe.queue.test;

import dev.mobvibe.queue.DatabaseUrl;
import dev.mobvibe.queue.JobArgs;
import dev.mobvibe.queue.JobQueue;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.Objects;
import java.util.UUID;
import java.util.function.Consumer;
import javax.sql.DataSource;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * A JUnit 5 extension that hands each test class a migrated database and a {@link JobQueue} on it,
 * and removes what it created afterwards.
 *
 * <pre>{@code
 * class SignupTest {
 *   @RegisterExtension static final MobVibeQueueExtension mvq = MobVibeQueueExtension.create();
 *
 *   @Test
 *   void signupSendsAWelcomeEmail() {
 *     new SignupService(mvq.queue()).signUp("ada@example.com");
 *     mvq.assertEnqueued(new SendEmail("ada@example.com", "Welcome")).times(1);
 *   }
 * }
 * }</pre>
 *
 * <p>Or {@code @ExtendWith(MobVibeQueueExtension.class)} and take a {@link JobQueue} (or its {@link
 * DataSource}) as a parameter of a test, a lifecycle method or the constructor.
 *
 * <p>Where the queue lives:
 *
 * <ul>
 *   <li>{@link #create()}: a fresh database per test class, on the server named by the environment
 *       variable {@value #DATABASE_URL_VARIABLE} (a {@code jdbc:postgresql:} or {@code
 *       postgresql://} URL whose user may create databases), else on {@value #DEFAULT_SERVER_URL};
 *       dropped after the class. {@link #onServer(String)} names the server in code.
 *   <li>{@link #withDataSource(DataSource)}: a fresh schema per test class in the caller's
 *       database, dropped after the class; {@link #withDataSource(DataSource, String)} uses a
 *       schema by name, created if missing (and then dropped) or kept as it was found.
 * </ul>
 *
 * <p>Before each test the queue's tables are emptied ({@code coding_jobs}, {@code session_events},
 * {@code coding_sessions}, and the paused kinds of {@code coding_job_kinds}), so each test starts
 * from an empty queue. {@code @Nested} classes share the queue of their enclosing class. Registered
 * on an instance field rather than a static one, the extension creates and removes its database
 * around every test.
 *
 * <p>Configuration methods return a new extension; an extension is meant for one test class.
 */
public final class MobVibeQueueExtension
    implements BeforeAllCallback,
        AfterAllCallback,
        BeforeEachCallback,
        AfterEachCallback,
        ParameterResolver {

  /** The environment variable that names the server for {@link #create()}. */
  public static final String DATABASE_URL_VARIABLE = "MOBVIBE_TEST_DATABASE_URL";

  /** The server of {@link #create()} when {@value #DATABASE_URL_VARIABLE} is not set. */
  public static final String DEFAULT_SERVER_URL = "postgresql://postgres@127.0.0.1:5432/postgres";

  private final String serverUrl;
  private final DataSource givenDataSource;
  private final String givenSchema;
  private final Consumer<JobQueue.Builder> customizer;

  private JobQueue queue;
  private DatabaseUrl server;
  private String createdDatabase;
  private String createdSchema;
  private boolean perTest;
  private int nestedClasses;

  /**
   * Creates the extension of {@link #create()}; for {@code @ExtendWith}, which needs this
   * constructor.
   */
  public MobVibeQueueExtension() {
    this(null, null, null, builder -> {});
  }

  private MobVibeQueueExtension(
      String serverUrl,
      DataSource dataSource,
      String schema,
      Consumer<JobQueue.Builder> customizer) {
    this.serverUrl = serverUrl;
    this.givenDataSource = dataSource;
    this.givenSchema = schema;
    this.customizer = customizer;
  }

  /**
   * A fresh database per test class on the server of {@value #DATABASE_URL_VARIABLE}, or {@value
   * #DEFAULT_SERVER_URL} when it is not set.
   *
   * @return the extension
   */
  public static MobVibeQueueExtension create() {
    return new MobVibeQueueExtension();
  }

  /**
   * A fresh database per test class on the given server.
   *
   * @param serverUrl a {@code jdbc:postgresql:} or {@code postgresql://} URL of a database whose
   *     user may create databases
   * @return the extension
   * @throws IllegalArgumentException if the URL is not valid
   */
  public static MobVibeQueueExtension onServer(String serverUrl) {
    Objects.requireNonNull(serverUrl, "serverUrl must not be null");
    DatabaseUrl.parse(serverUrl);
    return new MobVibeQueueExtension(serverUrl, null, null, builder -> {});
  }

  /**
   * A fresh schema per test class in the caller's database, dropped with everything in it after the
   * class. The data source is not closed.
   *
   * @param dataSource the data source; its user may create schemas
   * @return the extension
   */
  public static MobVibeQueueExtension withDataSource(DataSource dataSource) {
    Objects.requireNonNull(dataSource, "dataSource must not be null");
    return new MobVibeQueueExtension(null, dataSource, null, builder -> {});
  }

  /**
   * The named schema in the caller's database: created if missing, and then dropped after the
   * class; a schema that existed is kept, but its queue tables are emptied before each test.
   *
   * @param dataSource the data source
   * @param schema a plain lower-case identifier, checked by the queue's builder before the class
   *     runs
   * @return the extension
   */
  public static MobVibeQueueExtension withDataSource(DataSource dataSource, String schema) {
    Objects.requireNonNull(dataSource, "dataSource must not be null");
    Objects.requireNonNull(schema, "schema must not be null");
    return new MobVibeQueueExtension(null, dataSource, schema, builder -> {});
  }

  /**
   * Returns an extension that also applies the given settings to the queue's builder, for example a
   * retry policy, an {@code ObjectMapper} or an enqueue interceptor. The data source, URL and
   * schema are the extension's: do not set them.
   *
   * @param customizer changes to the builder
   * @return a new extension
   */
  public MobVibeQueueExtension withQueue(Consumer<JobQueue.Builder> customizer) {
    Objects.requireNonNull(customizer, "customizer must not be null");
    return new MobVibeQueueExtension(
        serverUrl, givenDataSource, givenSchema, this.customizer.andThen(customizer));
  }

  @Override
  public void beforeAll(ExtensionContext context) throws SQLException {
    if (queue != null) {
      nestedClasses++; // a @Nested class shares its enclosing class's queue
      return;
    }
    open(context.getRequiredTestClass());
  }

  @Override
  public void afterAll(ExtensionContext context) throws SQLException {
    if (nestedClasses > 0) {
      nestedClasses--;
      return;
    }
    close();
  }

  @Override
  public void beforeEach(ExtensionContext context) throws SQLException {
    if (queue == null) {
      perTest = true;
      open(context.getRequiredTestClass());
    }
    emptyQueueTables();
  }

  @Override
  public void afterEach(ExtensionContext context) throws SQLException {
    if (perTest) {
      close();
    }
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    Class<?> type = parameter.getParameter().getType();
    return type == JobQueue.class || type == DataSource.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    if (queue == null) {
      throw new ParameterResolutionException(
          "the MobVibe queue is not open yet: register the extension on a static field or with"
              + " @ExtendWith on the class");
    }
    return parameter.getParameter().getType() == JobQueue.class ? queue : queue.dataSource();
  }

  /**
   * Returns the migrated queue of this test class.
   *
   * @return the queue
   * @throws IllegalStateException outside the test class's lifetime
   */
  public JobQueue queue() {
    if (queue == null) {
      throw new IllegalStateException("the MobVibe queue is open only while its test class runs");
    }
    return queue;
  }

  /**
   * Returns the queue's data source.
   *
   * @return the data source
   */
  public DataSource dataSource() {
    return queue().dataSource();
  }

  /**
   * Returns a drainer builder on the queue, to register handlers on.
   *
   * @return {@code JobDrainer.builder(queue())}
   */
  public JobDrainer.Builder drainer() {
    return JobDrainer.builder(queue());
  }

  /**
   * Asserts that at least one job of the kind is pending; see {@link QueueAssertions}.
   *
   * @param kind the kind
   * @return the matching jobs
   */
  public QueueAssertions.EnqueuedJobs assertEnqueued(String kind) {
    return QueueAssertions.assertEnqueued(queue(), kind);
  }

  /**
   * Asserts that at least one job with these arguments is pending; see {@link QueueAssertions}.
   *
   * @param args the arguments
   * @return the matching jobs
   */
  public QueueAssertions.EnqueuedJobs assertEnqueued(JobArgs args) {
    return QueueAssertions.assertEnqueued(queue(), args);
  }

  /**
   * Asserts that no job of the kind is pending; see {@link QueueAssertions}.
   *
   * @param kind the kind
   */
  public void assertNotEnqueued(String kind) {
    QueueAssertions.assertNotEnqueued(queue(), kind);
  }

  /**
   * Asserts that no job with these arguments is pending; see {@link QueueAssertions}.
   *
   * @param args the arguments
   */
  public void assertNotEnqueued(JobArgs args) {
    QueueAssertions.assertNotEnqueued(queue(), args);
  }

  /** Creates the database or schema and the migrated queue; the callbacks call it. */
  void open(Class<?> testClass) throws SQLException {
    String name =
        "mvq_test_"
            + testClass.getSimpleName().toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]", "_")
            + "_"
            + UUID.randomUUID().toString().substring(0, 8);
    name = name.length() <= 63 ? name : name.substring(0, 54) + name.substring(name.length() - 9);
    JobQueue.Builder builder = JobQueue.builder();
    customizer.accept(builder);
    if (givenDataSource == null) {
      server = serverUrl();
      try (Connection c = connect(server);
          Statement st = c.createStatement()) {
        st.execute("CREATE DATABASE " + name);
      }
      createdDatabase = name;
      DatabaseUrl database = server.withDatabase(name);
      builder
          .jdbcUrl(database.jdbcUrl())
          .username(database.user().orElse(null))
          .password(database.password().orElse(null))
          .maxPoolSize(4);
    } else {
      builder.dataSource(givenDataSource).schema(givenSchema != null ? givenSchema : name);
    }
    queue = builder.build(); // checks the schema name before any SQL uses it
    if (givenDataSource != null && !schemaExists(queue.schema())) {
      createdSchema = queue.schema();
    }
    queue.migrate();
  }

  /** Closes the queue and drops what {@link #open} created; the callbacks call it. */
  void close() throws SQLException {
    if (queue != null) {
      queue.close();
      queue = null;
    }
    if (createdDatabase != null) {
      try (Connection c = connect(server);
          Statement st = c.createStatement()) {
        st.execute("DROP DATABASE IF EXISTS " + createdDatabase + " WITH (FORCE)");
      }
      createdDatabase = null;
    }
    if (createdSchema != null) {
      try (Connection c = givenDataSource.getConnection();
          Statement st = c.createStatement()) {
        st.execute("DROP SCHEMA IF EXISTS " + createdSchema + " CASCADE");
        commitIfNeeded(c);
      }
      createdSchema = null;
    }
  }

  private void emptyQueueTables() throws SQLException {
    String s = queue.schema();
    try (Connection c = queue.dataSource().getConnection();
        Statement st = c.createStatement()) {
      st.execute(
          "TRUNCATE "
              + s
              + ".coding_jobs, "
              + s
              + ".session_events, "
              + s
              + ".coding_sessions, "
              + s
              + ".coding_job_kinds");
      commitIfNeeded(c);
    }
  }

  private boolean schemaExists(String schema) throws SQLException {
    try (Connection c = givenDataSource.getConnection();
        var ps = c.prepareStatement("SELECT 1 FROM pg_namespace WHERE nspname = ?")) {
      ps.setString(1, schema);
      try (ResultSet rs = ps.executeQuery()) {
        boolean exists = rs.next();
        commitIfNeeded(c);
        return exists;
      }
    }
  }

  private DatabaseUrl serverUrl() {
    if (serverUrl != null) {
      return DatabaseUrl.parse(serverUrl);
    }
    String env = System.getenv(DATABASE_URL_VARIABLE);
    return DatabaseUrl.parse(env == null || env.isBlank() ? DEFAULT_SERVER_URL : env);
  }

  private static Connection connect(DatabaseUrl url) throws SQLException {
    return DriverManager.getConnection(url.jdbcUrl(), url.connectionProperties());
  }

  private static void commitIfNeeded(Connection c) throws SQLException {
    if (!c.getAutoCommit()) {
      c.commit();
    }
  }
}
