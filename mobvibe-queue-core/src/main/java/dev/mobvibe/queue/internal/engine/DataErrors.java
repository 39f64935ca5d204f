package dev.mobvibe.queue.internal.engine;

import dev.mobvibe.queue.QueueException;

/**
 * Tells a write that failed because of what it carries from one that failed because the database
 * could not take it now, by the SQLState that {@link QueueException} keeps. The first kind fails
 * the same way however often it is retried, so the event writer and the completer isolate the rows
 * that cause it; the second kind is retried as it is, with backoff.
 *
 * <p>Data errors are a short list of SQLState classes that a row causes: {@code 22} (data
 * exception: text PostgreSQL cannot store, such as a NUL (U+0000) in {@code jsonb}, a value out of
 * range), {@code 23} (integrity constraint: a session deleted meanwhile, a check constraint added
 * to a table), {@code 54} (program limit exceeded: a value too large) and {@code P0001} (an
 * exception raised by a trigger). A failure that does not come from the database at all (no {@link
 * QueueException}) is one too: retrying the same input cannot change it.
 *
 * <p>Everything else means "not now" and is retried as it is: connection failures ({@code 08}),
 * insufficient resources ({@code 53}), shutdown ({@code 57P0x}), but also a read-only standby after
 * a failover ({@code 25006}), refused credentials ({@code 28}), a missing table ({@code 42}),
 * serialization failures ({@code 40}) and an unknown or absent SQLState. An error of the database
 * taken for a data error would drop every row of an outage; a data error taken for an outage only
 * retries, as before.
 */
final class DataErrors {
  private DataErrors() {}

  /** Whether the failure came from what was written, so retrying it as it is cannot succeed. */
  static boolean isDataError(RuntimeException e) {
    if (!(e instanceof QueueException q)) {
      return true;
    }
    String state = q.sqlState();
    if (state == null || state.length() != 5) {
      return false;
    }
    return state.startsWith("22")
        || state.startsWith("23")
        || state.startsWith("54")
        || state.equals("P0001");
  }

  /**
   * Describes a failure for a log line without the data it may quote: the SQLState and the first
   * line of the message (PostgreSQL puts the offending values in its detail and context lines).
   */
  static String describe(RuntimeException e) {
    String message = String.valueOf(e.getMessage());
    int newline = message.indexOf('\n');
    String first = newline < 0 ? message : message.substring(0, newline);
    if (first.length() > 300) {
      first = first.substring(0, 300) + "...";
    }
    String state = e instanceof QueueException q ? q.sqlState() : null;
    return state == null
        ? e.getClass().getSimpleName() + ": " + first
        : "SQLState " + state + ": " + first;
  }
}
