package dev.mobvibe.queue.examples;

/**
 * A failure the CLI reports as one line, {@code error: <message>}, and an exit code: 2 for bad
 * configuration or arguments, 1 for anything else. The message never holds a secret.
 */
final class CliException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final int exitCode;

  CliException(int exitCode, String message) {
    super(message);
    this.exitCode = exitCode;
  }

  int exitCode() {
    return exitCode;
  }
}
