package dev.mobvibe.queue;

/**
 * A {@link QueueException} thrown when a write would break a unique constraint (SQLState {@code
 * 23505}); for example two sessions with the same id.
 */
public final class UniqueViolationException extends QueueException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what the queue was doing
   * @param cause the database error
   */
  public UniqueViolationException(String message, Throwable cause) {
    super(message, cause);
  }
}
