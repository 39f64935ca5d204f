package dev.mobvibe.queue.internal;

import dev.mobvibe.queue.QueueException;
import dev.mobvibe.queue.UniqueViolationException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;

/**
 * The one place that runs statements: binds parameters, maps rows, and turns {@link SQLException}
 * into {@link QueueException} with its SQLState. Internal API.
 */
public final class Jdbc {

  /** Binds parameters to a prepared statement. */
  @FunctionalInterface
  public interface Binder {
    /**
     * Binds the parameters.
     *
     * @param ps the statement
     * @throws SQLException from JDBC
     */
    void bind(PreparedStatement ps) throws SQLException;
  }

  /**
   * Maps the current row of a result set.
   *
   * @param <T> the mapped type
   */
  @FunctionalInterface
  public interface RowMapper<T> {
    /**
     * Maps the current row.
     *
     * @param rs the result set, positioned on a row
     * @return the mapped value
     * @throws SQLException from JDBC
     */
    T map(ResultSet rs) throws SQLException;
  }

  /**
   * Work on one connection.
   *
   * @param <T> the result type
   */
  @FunctionalInterface
  public interface ConnectionWork<T> {
    /**
     * Does the work.
     *
     * @param c the connection
     * @return the result
     * @throws SQLException from JDBC
     */
    T run(Connection c) throws SQLException;
  }

  private final DataSource dataSource;
  private final int statementTimeoutSeconds;

  /**
   * Creates a helper over a data source whose statements have no time limit of their own.
   *
   * @param dataSource where connections come from
   */
  public Jdbc(DataSource dataSource) {
    this(dataSource, Duration.ZERO);
  }

  /**
   * Creates a helper over a data source.
   *
   * @param dataSource where connections come from
   * @param statementTimeout how long one statement of this helper may run before the driver cancels
   *     it (rounded up to whole seconds); zero for no limit
   */
  public Jdbc(DataSource dataSource, Duration statementTimeout) {
    this.dataSource = dataSource;
    this.statementTimeoutSeconds = wholeSeconds(statementTimeout);
  }

  /**
   * A duration as the whole seconds the driver's timeouts take, rounded up, so a limit is never
   * shortened; zero stays zero (no limit).
   *
   * @param d zero or positive
   * @return the seconds, at most {@link Integer#MAX_VALUE}
   */
  public static int wholeSeconds(Duration d) {
    long millis = d.toMillis();
    return millis <= 0 ? 0 : (int) Math.min(Integer.MAX_VALUE, (millis + 999) / 1000);
  }

  /**
   * Returns the data source.
   *
   * @return the data source
   */
  public DataSource dataSource() {
    return dataSource;
  }

  /**
   * Runs work on a pooled connection in auto-commit mode.
   *
   * @param what a short description for error messages
   * @param work the work
   * @param <T> the result type
   * @return the work's result
   */
  public <T> T withConnection(String what, ConnectionWork<T> work) {
    try (Connection c = dataSource.getConnection()) {
      return work.run(c);
    } catch (SQLException e) {
      throw translate(what, e);
    }
  }

  /**
   * Runs work in one transaction on a pooled connection: commits when it returns, rolls back when
   * it throws.
   *
   * @param what a short description for error messages
   * @param work the work
   * @param <T> the result type
   * @return the work's result
   */
  public <T> T inTransaction(String what, ConnectionWork<T> work) {
    try (Connection c = dataSource.getConnection()) {
      boolean autoCommit = c.getAutoCommit();
      c.setAutoCommit(false);
      try {
        T result = work.run(c);
        c.commit();
        return result;
      } catch (SQLException | RuntimeException | Error e) {
        rollbackQuietly(c, e);
        throw e;
      } finally {
        c.setAutoCommit(autoCommit);
      }
    } catch (SQLException e) {
      throw translate(what, e);
    }
  }

  private static void rollbackQuietly(Connection c, Throwable failure) {
    try {
      c.rollback();
    } catch (SQLException e) {
      failure.addSuppressed(e);
    }
  }

  /**
   * Runs a query on the given connection and maps every row.
   *
   * @param c the connection; not closed
   * @param sql the statement
   * @param binder binds parameters
   * @param mapper maps rows
   * @param <T> the row type
   * @return the rows
   * @throws SQLException from JDBC
   */
  public static <T> List<T> query(Connection c, String sql, Binder binder, RowMapper<T> mapper)
      throws SQLException {
    return query(c, 0, sql, binder, mapper);
  }

  private static <T> List<T> query(
      Connection c, int timeoutSeconds, String sql, Binder binder, RowMapper<T> mapper)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setQueryTimeout(timeoutSeconds);
      binder.bind(ps);
      try (ResultSet rs = ps.executeQuery()) {
        return rows(rs, mapper);
      }
    }
  }

  private static <T> List<T> rows(ResultSet rs, RowMapper<T> mapper) throws SQLException {
    List<T> rows = new ArrayList<>();
    while (rs.next()) {
      rows.add(mapper.map(rs));
    }
    return rows;
  }

  /**
   * Turns just-in-time compilation off for the rest of the transaction, sent ahead of a statement
   * in the same round trip ({@link #queryWithoutJitOn}). No whitespace after the semicolon: the
   * statement that follows keeps its own text in {@code pg_stat_activity} and the server's logs.
   */
  private static final String JIT_OFF = "SELECT set_config('jit', 'off', true);";

  /**
   * Runs a query with the server's just-in-time compilation off, under this helper's statement
   * timeout, and maps every row. The planner's cost estimate of a claim (a chain of per-kind and
   * per-tier index walks with limits) grows with the claim size past {@code jit_above_cost} even
   * though it runs in milliseconds; compiling it took 30 to 100 times as long as running it. The
   * setting is local to the statement's transaction (in auto-commit, the one the driver sends both
   * statements in, with one sync), so the connection is left as it was: a pool the application
   * shares with the queue keeps its own setting.
   *
   * @param c the connection; not closed
   * @param sql the statement
   * @param binder binds parameters
   * @param mapper maps rows
   * @param <T> the row type
   * @return the rows
   * @throws SQLException from JDBC; a statement cancelled by the timeout has SQLState 57014
   */
  <T> List<T> queryWithoutJitOn(Connection c, String sql, Binder binder, RowMapper<T> mapper)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(JIT_OFF + sql)) {
      ps.setQueryTimeout(statementTimeoutSeconds);
      binder.bind(ps);
      ps.execute(); // the setting's one row
      if (!ps.getMoreResults()) {
        throw new SQLException("no rows came back from: " + sql);
      }
      try (ResultSet rs = ps.getResultSet()) {
        return rows(rs, mapper);
      }
    }
  }

  /**
   * Runs a query with the server's just-in-time compilation off ({@link #queryWithoutJitOn}) on a
   * pooled connection.
   *
   * @param what a short description for error messages
   * @param sql the statement
   * @param binder binds parameters
   * @param mapper maps rows
   * @param <T> the row type
   * @return the rows
   */
  <T> List<T> queryWithoutJit(String what, String sql, Binder binder, RowMapper<T> mapper) {
    return withConnection(what, c -> queryWithoutJitOn(c, sql, binder, mapper));
  }

  /**
   * Runs an update on the given connection.
   *
   * @param c the connection; not closed
   * @param sql the statement
   * @param binder binds parameters
   * @return the update count
   * @throws SQLException from JDBC
   */
  public static int update(Connection c, String sql, Binder binder) throws SQLException {
    return update(c, 0, sql, binder);
  }

  private static int update(Connection c, int timeoutSeconds, String sql, Binder binder)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setQueryTimeout(timeoutSeconds);
      binder.bind(ps);
      return ps.executeUpdate();
    }
  }

  /**
   * Runs a query on the given connection under this helper's statement timeout and maps every row.
   *
   * @param c the connection; not closed
   * @param sql the statement
   * @param binder binds parameters
   * @param mapper maps rows
   * @param <T> the row type
   * @return the rows
   * @throws SQLException from JDBC; a statement cancelled by the timeout has SQLState 57014
   */
  public <T> List<T> queryOn(Connection c, String sql, Binder binder, RowMapper<T> mapper)
      throws SQLException {
    return query(c, statementTimeoutSeconds, sql, binder, mapper);
  }

  /**
   * Runs an update on the given connection under this helper's statement timeout.
   *
   * @param c the connection; not closed
   * @param sql the statement
   * @param binder binds parameters
   * @return the update count
   * @throws SQLException from JDBC; a statement cancelled by the timeout has SQLState 57014
   */
  public int updateOn(Connection c, String sql, Binder binder) throws SQLException {
    return update(c, statementTimeoutSeconds, sql, binder);
  }

  /**
   * Runs a query on a pooled connection.
   *
   * @param what a short description for error messages
   * @param sql the statement
   * @param binder binds parameters
   * @param mapper maps rows
   * @param <T> the row type
   * @return the rows
   */
  public <T> List<T> query(String what, String sql, Binder binder, RowMapper<T> mapper) {
    return withConnection(what, c -> queryOn(c, sql, binder, mapper));
  }

  /**
   * Runs an update on a pooled connection.
   *
   * @param what a short description for error messages
   * @param sql the statement
   * @param binder binds parameters
   * @return the update count
   */
  public int update(String what, String sql, Binder binder) {
    return withConnection(what, c -> updateOn(c, sql, binder));
  }

  /**
   * Wraps a JDBC failure, keeping its SQLState.
   *
   * @param what what the queue was doing
   * @param e the failure
   * @return the exception to throw
   */
  public static QueueException translate(String what, SQLException e) {
    String message = "failed to " + what + ": " + e.getMessage();
    return "23505".equals(e.getSQLState())
        ? new UniqueViolationException(message, e)
        : new QueueException(message, e);
  }

  /**
   * Wraps a failure of the statement that inserts jobs, keeping its SQLState. A not-null violation
   * on {@code coding_sessions} means the database's sessions need columns the queue cannot fill (a
   * seed database's {@code user_id}, say) for a job that would create its own session: the message
   * names the column, read from the server's error, and says to create the session and pass its id.
   * Any other failure is {@link #translate}'s.
   *
   * @param what what the queue was doing
   * @param e the failure
   * @return the exception to throw
   */
  public static QueueException translateEnqueue(String what, SQLException e) {
    ServerErrorMessage server = e instanceof PSQLException p ? p.getServerErrorMessage() : null;
    if (!"23502".equals(e.getSQLState())
        || server == null
        || !"coding_sessions".equals(server.getTable())) {
      return translate(what, e);
    }
    String column = server.getColumn() == null ? "a column" : server.getColumn();
    return new QueueException(
        "failed to "
            + what
            + ": this database's coding_sessions requires "
            + column
            + " (NOT NULL, no default), which the queue cannot fill when it creates a job's"
            + " session; create the session yourself and pass its id with"
            + " NewJob.builder(prompt).sessionId(id)",
        e);
  }
}
