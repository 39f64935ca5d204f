package dev.mobvibe.queue.realtime;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Which row changes a channel subscribes to: an event, a schema, optionally a table and optionally
 * a filter in Supabase's grammar ({@code column=op.value}, such as {@code status=eq.pending}; ops
 * {@code eq, neq, lt, lte, gt, gte, in, like, ilike, is, match, imatch, isdistinct}). The server
 * checks the filter, and reports a bad one as a {@link ChannelStatus#CHANNEL_ERROR}.
 *
 * <p>Immutable and thread-safe.
 *
 * @param event the kind of change
 * @param schema the schema, for example {@code public}
 * @param table the table, or {@code null} for every table of the schema
 * @param filter the row filter, or {@code null} for every row
 */
public record PostgresChangeFilter(
    ChangeEvent event, String schema, @Nullable String table, @Nullable String filter) {

  /**
   * Checks the parts.
   *
   * @param event see {@link #event()}
   * @param schema see {@link #schema()}
   * @param table see {@link #table()}
   * @param filter see {@link #filter()}
   * @throws NullPointerException if event or schema is null
   * @throws IllegalArgumentException if schema is blank, or table or filter is present but blank
   */
  public PostgresChangeFilter {
    Objects.requireNonNull(event, "event");
    Objects.requireNonNull(schema, "schema");
    if (schema.isBlank()) {
      throw new IllegalArgumentException("schema must not be blank");
    }
    if (table != null && table.isBlank()) {
      throw new IllegalArgumentException("table must be null or not blank, was '" + table + "'");
    }
    if (filter != null && filter.isBlank()) {
      throw new IllegalArgumentException("filter must be null or not blank, was '" + filter + "'");
    }
  }

  /**
   * Changes of one kind to one table, all rows.
   *
   * @param event the kind of change
   * @param schema the schema
   * @param table the table
   * @return the filter
   * @throws NullPointerException if an argument is null
   * @throws IllegalArgumentException if schema or table is blank
   */
  public static PostgresChangeFilter of(ChangeEvent event, String schema, String table) {
    Objects.requireNonNull(table, "table");
    return new PostgresChangeFilter(event, schema, table, null);
  }

  /**
   * The same subscription restricted to rows that match a filter.
   *
   * @param rowFilter for example {@code status=eq.pending}
   * @return a new filter
   * @throws IllegalArgumentException if the row filter is blank
   */
  public PostgresChangeFilter withFilter(String rowFilter) {
    Objects.requireNonNull(rowFilter, "rowFilter");
    return new PostgresChangeFilter(event, schema, table, rowFilter);
  }
}
