package dev.mobvibe.queue;

import java.time.Duration;

/**
 * The failure recorded when a handler runs past the processor's job timeout. The attempt counts as
 * failed and the job is retried while attempts remain.
 */
public final class JobTimeoutException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param timeout the timeout that passed
   */
  public JobTimeoutException(Duration timeout) {
    super("job timed out after " + timeout.toMillis() + " ms");
  }
}
