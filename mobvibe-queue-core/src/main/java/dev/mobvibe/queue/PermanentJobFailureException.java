package dev.mobvibe.queue;

/**
 * Thrown by a {@link JobHandler} for a failure that a retry cannot fix (a malformed prompt, a
 * deleted project): the job goes straight to the dead letter, whatever attempts it has left, and
 * its session is marked failed with this message.
 */
public class PermanentJobFailureException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message the error recorded on the job and its session
   */
  public PermanentJobFailureException(String message) {
    super(message);
  }

  /**
   * Creates the exception with a cause.
   *
   * @param message the error recorded on the job and its session
   * @param cause the underlying failure
   */
  public PermanentJobFailureException(String message, Throwable cause) {
    super(message, cause);
  }
}
