package dev.mobvibe.queue;

import java.sql.SQLException;
import org.jspecify.annotations.Nullable;

/**
 * The one unchecked exception that MobVibe Queue throws for database failures and queue-level
 * errors. It keeps the PostgreSQL SQLState, when there is one, so callers can tell a lost
 * connection ({@code 08xxx}) from a constraint violation ({@code 23xxx}).
 *
 * <p>Messages never contain passwords, API keys or full connection strings.
 */
public class QueueException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** The SQLState of the cause, or null when there is none. */
  private final String sqlState;

  /**
   * Creates an exception with a message and no SQLState.
   *
   * @param message what went wrong, naming the object concerned
   */
  public QueueException(String message) {
    super(message);
    this.sqlState = null;
  }

  /**
   * Creates an exception that wraps a cause and keeps its SQLState.
   *
   * @param message what the queue was doing
   * @param cause the underlying failure; its SQLState is kept when it is an {@link SQLException}
   */
  public QueueException(String message, Throwable cause) {
    super(message, cause);
    this.sqlState = cause instanceof SQLException e ? e.getSQLState() : null;
  }

  /**
   * Returns the five-character PostgreSQL SQLState of the underlying error.
   *
   * @return the SQLState, or {@code null} when the failure did not come from the database
   */
  public @Nullable String sqlState() {
    return sqlState;
  }

  /**
   * Tells whether the database rejected a statement because a unique constraint was violated
   * (SQLState {@code 23505}).
   *
   * @return {@code true} for a unique violation
   */
  public boolean isUniqueViolation() {
    return "23505".equals(sqlState);
  }
}
