package dev.mobvibe.queue.realtime.internal;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Set;
import okhttp3.HttpUrl;

/**
 * Builds and checks the Realtime WebSocket URL, and keeps the API key out of text. The key is only
 * ever sent to the configured host. Plain {@code ws}/{@code http} is accepted: to a loopback host
 * the key never leaves the machine, and to any other host (a self-hosted Supabase on a private
 * container network, such as {@code http://kong:8000}) it travels unencrypted, which {@link
 * #sendsKeyUnencrypted(HttpUrl)} tells so that the client can warn. Internal API.
 */
public final class RealtimeUrls {
  /** Hosts reached without TLS silently: the key never leaves the machine. */
  private static final Set<String> LOOPBACK_HOSTS = Set.of("localhost", "127.0.0.1", "::1");

  /** Path that supabase-js appends to SUPABASE_URL, plus Phoenix's transport segment. */
  static final String WEBSOCKET_PATH = "realtime/v1/websocket";

  private RealtimeUrls() {}

  /**
   * Checks a Supabase URL and returns the WebSocket endpoint under it, without query parameters.
   *
   * @param supabaseUrl {@code https://<ref>.supabase.co} (or {@code wss://}), or {@code http://} /
   *     {@code ws://} (see {@link #sendsKeyUnencrypted(HttpUrl)})
   * @return the endpoint, in OkHttp's http/https form
   * @throws IllegalArgumentException naming {@code supabaseUrl} and the URL without secrets, when
   *     it is blank, malformed, has no host, carries user info, a query or a fragment, or has a
   *     scheme other than https, wss, http and ws
   */
  public static HttpUrl endpoint(String supabaseUrl) {
    if (supabaseUrl == null || supabaseUrl.isBlank()) {
      throw new IllegalArgumentException(
          "supabaseUrl must not be blank, was '" + supabaseUrl + "'");
    }
    URI uri;
    try {
      uri = new URI(supabaseUrl.strip());
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException(
          "supabaseUrl is malformed: " + sanitize(supabaseUrl), null);
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    String host = uri.getHost();
    if (host == null || host.isEmpty()) {
      throw new IllegalArgumentException("supabaseUrl has no host: " + sanitize(supabaseUrl));
    }
    if (uri.getRawUserInfo() != null || uri.getRawQuery() != null || uri.getRawFragment() != null) {
      throw new IllegalArgumentException(
          "supabaseUrl must not carry user info, a query or a fragment (pass the key with"
              + " apiKey), was "
              + sanitize(supabaseUrl));
    }
    boolean tls;
    switch (scheme) {
      case "https", "wss" -> tls = true;
      case "http", "ws" -> tls = false;
      default ->
          throw new IllegalArgumentException(
              "supabaseUrl must use https or wss (or plain http or ws on a private network), was "
                  + sanitize(supabaseUrl));
    }
    String rebuilt =
        (tls ? "https" : "http")
            + "://"
            + host
            + (uri.getPort() > 0 ? ":" + uri.getPort() : "")
            + (uri.getRawPath() == null ? "" : uri.getRawPath());
    HttpUrl base = HttpUrl.parse(rebuilt);
    if (base == null) {
      throw new IllegalArgumentException("supabaseUrl is malformed: " + sanitize(supabaseUrl));
    }
    return base.newBuilder().addPathSegments(WEBSOCKET_PATH).build();
  }

  /**
   * Tells whether the key would travel unencrypted over a network: plain {@code http}/{@code ws} to
   * a host other than localhost, 127.0.0.1 or ::1.
   *
   * @param endpoint the endpoint from {@link #endpoint(String)}
   * @return true when the connection has no TLS and leaves the machine
   */
  public static boolean sendsKeyUnencrypted(HttpUrl endpoint) {
    String host = endpoint.host().toLowerCase(Locale.ROOT);
    // The whole of 127.0.0.0/8 is this machine, written as a literal: no name is resolved here.
    return !endpoint.isHttps()
        && !LOOPBACK_HOSTS.contains(host)
        && !host.matches("127(\\.\\d{1,3}){3}");
  }

  /**
   * Adds the key and the serializer version, in the order realtime-js sends them.
   *
   * @param endpoint the endpoint from {@link #endpoint(String)}
   * @param apiKey the API key
   * @param vsn the serializer version
   * @return the URL to connect to; never log it
   */
  public static HttpUrl withParams(HttpUrl endpoint, String apiKey, String vsn) {
    return endpoint
        .newBuilder()
        .addQueryParameter("apikey", apiKey)
        .addQueryParameter("vsn", vsn)
        .build();
  }

  /**
   * Returns the endpoint as it is safe to log: ws/wss scheme, the key replaced by {@code ***}.
   *
   * @param endpoint the endpoint from {@link #endpoint(String)}
   * @param vsn the serializer version
   * @return the redacted URL
   */
  public static String redacted(HttpUrl endpoint, String vsn) {
    String s = endpoint.toString();
    s = s.startsWith("https:") ? "wss:" + s.substring(6) : "ws:" + s.substring(5);
    return s + "?apikey=***&vsn=" + vsn;
  }

  /**
   * Removes secrets from a text: every occurrence of each secret, and any {@code apikey=} value.
   *
   * @param text a message, perhaps from an exception
   * @param secrets the secrets to remove; null or short entries are skipped
   * @return the text without them
   */
  public static String scrub(String text, Iterable<String> secrets) {
    if (text == null) {
      return null;
    }
    String s = text;
    for (String secret : secrets) {
      if (secret != null && secret.length() >= 4) {
        s = s.replace(secret, "***");
      }
    }
    return s.replaceAll("(?i)(apikey|access_token)=[^&\\s\"']*", "$1=***");
  }

  private static String sanitize(String url) {
    String s = url.strip();
    s = s.replaceAll("[?#].*$", "?***");
    return s.replaceAll("(//)[^/@]*@", "$1***@");
  }
}
