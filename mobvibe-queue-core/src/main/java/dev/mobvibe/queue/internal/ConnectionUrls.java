package dev.mobvibe.queue.internal;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;

/**
 * Turns the connection strings users paste into a JDBC URL plus credentials. Accepts {@code
 * jdbc:postgresql://host:port/db?...} and the {@code postgres[ql]://user:password@host:port/db?...}
 * form that Supabase and most hosts show. Messages never contain the password. Internal API.
 */
public final class ConnectionUrls {

  /**
   * A parsed connection string.
   *
   * @param jdbcUrl a {@code jdbc:postgresql:} URL without credentials
   * @param user the user from the URL, or {@code null}
   * @param password the password from the URL, or {@code null}
   */
  public record Parsed(String jdbcUrl, String user, String password) {
    @Override
    public String toString() {
      return "Parsed[jdbcUrl=" + redact(jdbcUrl) + ", user=" + user + ", password=***]";
    }
  }

  private ConnectionUrls() {}

  /**
   * Parses a connection string.
   *
   * @param url the string
   * @return its JDBC URL and credentials
   * @throws IllegalArgumentException naming the problem, with the password redacted
   */
  public static Parsed parse(String url) {
    if (url == null || url.isBlank()) {
      throw new IllegalArgumentException("database URL must not be blank");
    }
    String trimmed = url.strip();
    if (trimmed.startsWith("jdbc:postgresql:")) {
      return new Parsed(trimmed, null, null);
    }
    if (!trimmed.startsWith("postgresql://") && !trimmed.startsWith("postgres://")) {
      throw new IllegalArgumentException(
          "database URL must start with jdbc:postgresql:, postgresql:// or postgres://, was "
              + redact(trimmed));
    }
    URI uri;
    try {
      uri = new URI(trimmed);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("database URL is malformed: " + redact(trimmed), null);
    }
    String host = uri.getHost();
    if (host == null || host.isEmpty()) {
      throw new IllegalArgumentException("database URL has no host: " + redact(trimmed));
    }
    String path = uri.getRawPath();
    String database = path == null || path.length() <= 1 ? "postgres" : path.substring(1);
    String user = null;
    String password = null;
    String userInfo = uri.getRawUserInfo();
    if (userInfo != null) {
      int colon = userInfo.indexOf(':');
      user = decode(colon < 0 ? userInfo : userInfo.substring(0, colon));
      password = colon < 0 ? null : decode(userInfo.substring(colon + 1));
    }
    StringBuilder jdbc = new StringBuilder("jdbc:postgresql://");
    jdbc.append(host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host);
    if (uri.getPort() > 0) {
      jdbc.append(':').append(uri.getPort());
    }
    jdbc.append('/').append(database);
    if (uri.getRawQuery() != null) {
      jdbc.append('?').append(uri.getRawQuery());
    }
    return new Parsed(jdbc.toString(), user, password);
  }

  /**
   * Returns the URL with any password replaced by {@code ***}: the {@code user:password@} part and
   * {@code password=} query parameters.
   *
   * @param url a connection string
   * @return the same string without its secrets
   */
  public static String redact(String url) {
    if (url == null) {
      return null;
    }
    // Up to the last '@': a password may hold '/' or '@' unencoded; over-redacting is safe.
    return url.replaceAll("(//[^/@:]*):.*@", "$1:***@")
        .replaceAll("(?i)(password|sslpassword)=[^&]*", "$1=***");
  }

  private static String decode(String s) {
    // URLDecoder reads '+' as a space (form encoding); in a URL's user part it is a plus.
    return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
  }
}
