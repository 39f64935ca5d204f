package dev.mobvibe.queue;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import org.jspecify.annotations.Nullable;

/**
 * A PostgreSQL connection string as users paste it, split into a JDBC URL without credentials and
 * the user and password it carried. {@link #parse(String)} accepts both forms of {@code
 * DATABASE_URL}:
 *
 * <ul>
 *   <li>{@code jdbc:postgresql://host:port/db?...}, kept as it is (credentials in its query, such
 *       as {@code ?user=app&password=...}, stay in the URL and are read by the driver);
 *   <li>{@code postgresql://user:password@host:port/db?...} (or {@code postgres://}), the form
 *       Supabase and most hosts show: user and password are percent-decoded and taken out of the
 *       URL, the database defaults to {@code postgres}, and the query is kept.
 * </ul>
 *
 * <pre>{@code
 * DatabaseUrl url = DatabaseUrl.parse(System.getenv("DATABASE_URL"));
 * Properties props = url.connectionProperties();
 * try (Connection c = DriverManager.getConnection(url.jdbcUrl(), props)) { ... }
 * log.info("connected to {}", url);   // the password shows as ***
 * }</pre>
 *
 * <p>Immutable and thread-safe. No message or {@link #toString()} of this class contains the
 * password; {@link #redact(String)} does the same for any URL a caller wants to show.
 */
public final class DatabaseUrl {
  private static final String JDBC_PREFIX = "jdbc:postgresql:";

  /** The database a {@code postgresql://} URL without a path names. */
  private static final String DEFAULT_DATABASE = "postgres";

  private final String jdbcUrl;
  private final String user;
  private final String password;

  private DatabaseUrl(String jdbcUrl, String user, String password) {
    this.jdbcUrl = jdbcUrl;
    this.user = user;
    this.password = password;
  }

  /**
   * Parses a connection string; surrounding white space is ignored. A {@code jdbc:postgresql:} URL
   * is taken as it is; a {@code postgresql://} or {@code postgres://} URL is turned into one, its
   * user and password taken out.
   *
   * @param url the connection string
   * @return its JDBC URL and credentials
   * @throws IllegalArgumentException if the string is null or blank, has another scheme, is not a
   *     well-formed URI, or names no host; the message says which, and never contains the password
   */
  public static DatabaseUrl parse(String url) {
    if (url == null || url.isBlank()) {
      throw new IllegalArgumentException("database URL must not be blank");
    }
    String trimmed = url.strip();
    if (trimmed.startsWith(JDBC_PREFIX)) {
      return new DatabaseUrl(trimmed, null, null);
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
      // Not chained: the cause's message repeats the input, password included.
      throw new IllegalArgumentException("database URL is malformed: " + redact(trimmed), null);
    }
    String host = uri.getHost();
    if (host == null || host.isEmpty()) {
      throw new IllegalArgumentException("database URL has no host: " + redact(trimmed));
    }
    String path = uri.getRawPath();
    String database = path == null || path.length() <= 1 ? DEFAULT_DATABASE : path.substring(1);
    String user = null;
    String password = null;
    String userInfo = uri.getRawUserInfo();
    if (userInfo != null) {
      int colon = userInfo.indexOf(':');
      user = decode(colon < 0 ? userInfo : userInfo.substring(0, colon));
      password = colon < 0 ? null : decode(userInfo.substring(colon + 1));
    }
    StringBuilder jdbc = new StringBuilder(JDBC_PREFIX).append("//");
    jdbc.append(host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host);
    if (uri.getPort() > 0) {
      jdbc.append(':').append(uri.getPort());
    }
    jdbc.append('/').append(database);
    if (uri.getRawQuery() != null) {
      jdbc.append('?').append(uri.getRawQuery());
    }
    return new DatabaseUrl(jdbc.toString(), user, password);
  }

  /**
   * Returns the {@code jdbc:postgresql:} URL, without the user and password that a {@code
   * postgresql://} string carried. Credentials written into a JDBC URL's own query stay in it.
   *
   * @return the JDBC URL; never null. A secret when its query holds a password: show it through
   *     {@link #redact(String)}
   */
  public String jdbcUrl() {
    return jdbcUrl;
  }

  /**
   * Returns the user taken from a {@code postgresql://} string or set by {@link
   * #withCredentials(String, String)}.
   *
   * @return the user, or empty when none was given this way
   */
  public Optional<String> user() {
    return Optional.ofNullable(user);
  }

  /**
   * Returns the password taken from a {@code postgresql://} string or set by {@link
   * #withCredentials(String, String)}. A secret: never log it.
   *
   * @return the password, or empty when none was given this way
   */
  public Optional<String> password() {
    return Optional.ofNullable(password);
  }

  /**
   * Returns a copy whose user and password are replaced by those given, where given: a {@code null}
   * argument keeps this URL's value. This is how a separately configured user or password wins over
   * the one in the URL.
   *
   * @param user the user, or {@code null} to keep this URL's
   * @param password the password, or {@code null} to keep this URL's
   * @return the copy; this instance is unchanged
   */
  public DatabaseUrl withCredentials(@Nullable String user, @Nullable String password) {
    return new DatabaseUrl(
        jdbcUrl, user != null ? user : this.user, password != null ? password : this.password);
  }

  /**
   * Returns a copy that names another database on the same server, with the same host, port, query
   * parameters and credentials: for example a scratch database created next to an admin database.
   *
   * @param database the database name, as PostgreSQL spells it; percent-encoded here as the driver
   *     expects
   * @return the copy; this instance is unchanged
   * @throws IllegalArgumentException if the name is null or blank
   */
  public DatabaseUrl withDatabase(String database) {
    if (database == null || database.isBlank()) {
      throw new IllegalArgumentException("database name must not be blank, was '" + database + "'");
    }
    String rest = jdbcUrl.substring(JDBC_PREFIX.length());
    int query = rest.indexOf('?');
    String beforeQuery = query < 0 ? rest : rest.substring(0, query);
    String suffix = query < 0 ? "" : rest.substring(query);
    String name = URLEncoder.encode(database, StandardCharsets.UTF_8);
    String server;
    if (beforeQuery.startsWith("//")) {
      int slash = beforeQuery.indexOf('/', 2);
      server = (slash < 0 ? beforeQuery : beforeQuery.substring(0, slash)) + "/";
    } else {
      server = ""; // jdbc:postgresql:database names a database on localhost
    }
    return new DatabaseUrl(JDBC_PREFIX + server + name + suffix, user, password);
  }

  /**
   * Returns new driver properties holding the {@code user} and {@code password} of this URL, each
   * only when known, for {@code DriverManager.getConnection(jdbcUrl(), properties)}. The caller
   * owns the result and may add its own properties (such as {@code ApplicationName}).
   *
   * @return a new, mutable {@link Properties}; a secret when it holds a password
   */
  public Properties connectionProperties() {
    Properties properties = new Properties();
    if (user != null) {
      properties.setProperty("user", user);
    }
    if (password != null) {
      properties.setProperty("password", password);
    }
    return properties;
  }

  /**
   * Returns a connection string with its passwords replaced by {@code ***}: the {@code
   * user:password@} part, and {@code password=} and {@code sslpassword=} query parameters in any
   * case. It parses nothing, so it serves strings that {@link #parse(String)} refused, too.
   *
   * @param url any connection string, or {@code null}
   * @return the same string without its passwords, or {@code null} for {@code null}
   */
  public static @Nullable String redact(@Nullable String url) {
    if (url == null) {
      return null;
    }
    // Up to the last '@': a password may hold '/' or '@' unencoded; over-redacting is safe.
    return url.replaceAll("(//[^/@:]*):.*@", "$1:***@")
        .replaceAll("(?i)(password|sslpassword)=[^&]*", "$1=***");
  }

  /**
   * Compares the JDBC URL, user and password.
   *
   * @param other another object
   * @return whether it is a {@code DatabaseUrl} with the same three values
   */
  @Override
  public boolean equals(Object other) {
    return other instanceof DatabaseUrl that
        && jdbcUrl.equals(that.jdbcUrl)
        && Objects.equals(user, that.user)
        && Objects.equals(password, that.password);
  }

  /**
   * Hashes the JDBC URL, user and password.
   *
   * @return the hash code
   */
  @Override
  public int hashCode() {
    return Objects.hash(jdbcUrl, user, password);
  }

  /**
   * Describes the URL for logs: the redacted JDBC URL, the user, and {@code password=***} whether
   * or not one is set.
   *
   * @return the description, without the password
   */
  @Override
  public String toString() {
    return "DatabaseUrl[jdbcUrl=" + redact(jdbcUrl) + ", user=" + user + ", password=***]";
  }

  private static String decode(String s) {
    // URLDecoder reads '+' as a space (form encoding); in a URL's user part it is a plus.
    return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
  }
}
