package dev.mobvibe.queue.realtime;

/**
 * A kind of row change that a {@link PostgresChangeFilter} selects or a {@link PostgresChange} is.
 */
public enum ChangeEvent {
  /** A row was inserted. */
  INSERT,
  /** A row was updated. */
  UPDATE,
  /** A row was deleted. */
  DELETE,
  /** Any of the three; only in a filter (sent to the server as {@code *}). */
  ALL;

  /**
   * Returns the name the Realtime protocol uses: {@code INSERT}, {@code UPDATE}, {@code DELETE} or
   * {@code *}.
   *
   * @return the wire name
   */
  public String wireName() {
    return this == ALL ? "*" : name();
  }
}
