package dev.mobvibe.queue.dashboard;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * Builds HTML text. Every value that comes from the database or the request goes through {@link
 * #text}, which escapes it for element content and quoted attribute values alike.
 */
final class Html {
  private final StringBuilder out = new StringBuilder(8192);

  /** Appends markup written in this module's code (never user data). */
  Html raw(String markup) {
    out.append(markup);
    return this;
  }

  /** Appends a value, escaped. */
  Html text(Object value) {
    out.append(escape(value == null ? "" : String.valueOf(value)));
    return this;
  }

  @Override
  public String toString() {
    return out.toString();
  }

  static String escape(String s) {
    StringBuilder b = new StringBuilder(s.length() + 16);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '&' -> b.append("&amp;");
        case '<' -> b.append("&lt;");
        case '>' -> b.append("&gt;");
        case '"' -> b.append("&quot;");
        case '\'' -> b.append("&#39;");
        default -> b.append(c);
      }
    }
    return b.toString();
  }

  /** A time as ISO-8601 UTC to the second, or a dash. */
  static String time(Instant t) {
    return t == null ? "\u2013" : t.truncatedTo(ChronoUnit.SECONDS).toString();
  }

  /** A duration as {@code 1h 02m 03s}, or a dash. */
  static String age(Duration d) {
    if (d == null) {
      return "\u2013";
    }
    long s = Math.max(0, d.toSeconds());
    if (s < 60) {
      return s + "s";
    }
    if (s < 3600) {
      return String.format("%dm %02ds", s / 60, s % 60);
    }
    return String.format("%dh %02dm %02ds", s / 3600, (s % 3600) / 60, s % 60);
  }
}
