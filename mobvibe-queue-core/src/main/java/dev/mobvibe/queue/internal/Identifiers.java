package dev.mobvibe.queue.internal;

import java.util.regex.Pattern;

/** Validates the identifiers that reach SQL text. Internal API. */
public final class Identifiers {
  private static final Pattern SIMPLE_NAME = Pattern.compile("[a-z_][a-z0-9_]{0,62}");

  private Identifiers() {}

  /**
   * Returns the schema name if it is a plain lower-case PostgreSQL identifier: a letter or
   * underscore, then letters, digits or underscores, at most 63 characters. Such a name needs no
   * quoting, so it can be placed in SQL text as is.
   *
   * @param schema the schema name
   * @return the same name
   * @throws IllegalArgumentException if the name is not such an identifier
   */
  public static String checkSchema(String schema) {
    if (schema == null || !SIMPLE_NAME.matcher(schema).matches()) {
      throw new IllegalArgumentException(
          "schema must be a lower-case identifier of at most 63 characters"
              + " (letters, digits, underscore; not starting with a digit), was "
              + (schema == null ? "null" : "'" + schema + "'"));
    }
    return schema;
  }
}
