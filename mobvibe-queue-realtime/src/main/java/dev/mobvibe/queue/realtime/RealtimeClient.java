package dev.mobvibe.queue.realtime;

import dev.mobvibe.queue.realtime.internal.DelaySchedule;
import dev.mobvibe.queue.realtime.internal.RealtimeConnection;
import dev.mobvibe.queue.realtime.internal.RealtimeUrls;
import dev.mobvibe.queue.realtime.internal.Timer;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Supabase Realtime client for {@code postgres_changes}: one WebSocket to {@code
 * <SUPABASE_URL>/realtime/v1/websocket}, any number of channels, each subscribing to inserts,
 * updates or deletes of tables with typed callbacks.
 *
 * <pre>{@code
 * try (RealtimeClient client = RealtimeClient.builder()
 *     .supabaseUrl("https://abc.supabase.co")
 *     .apiKey(serviceRoleKey)
 *     .build()) {
 *   RealtimeChannel orders = client.channel("orders")
 *       .onPostgresChange(
 *           PostgresChangeFilter.of(ChangeEvent.UPDATE, "public", "orders").withFilter("status=eq.paid"),
 *           change -> ship(change.newRecord().get("id").asText()))
 *       .onStatus((status, detail) -> log.info("orders channel {} {}", status, detail))
 *       .subscribe();
 *   ...
 * }
 * }</pre>
 *
 * <p>The client follows the official JavaScript client (realtime-js 2.x): heartbeats on the {@code
 * phoenix} topic every {@value #DEFAULT_HEARTBEAT_INTERVAL_SECONDS} s, a missed heartbeat reply
 * closes the socket and reconnects, reconnects and rejoins wait 1 s, 2 s, 5 s, then 10 s, and every
 * channel rejoins when the socket reopens. Errors never escape as exceptions: they arrive as a
 * {@link ChannelStatus} with the server's text. Unlike the official client, a channel reports
 * {@link ChannelStatus#SUBSCRIBED} only when the server says changes flow ("Subscribed to
 * PostgreSQL"), not at the join reply.
 *
 * <p>The API key goes only to the configured host. Use TLS ({@code https}/{@code wss}); plain
 * {@code http}/{@code ws} is accepted too, silently for localhost, 127.0.0.1 and ::1, and with one
 * WARN line at {@link Builder#build()} for any other host (a self-hosted Supabase on a private
 * container network, such as {@code http://kong:8000}), since the key then travels unencrypted. The
 * key and tokens never appear in logs, exception messages or {@code toString()}.
 *
 * <p>Thread-safe. The client owns one daemon thread, {@code mobvibe-realtime-ws}, which runs the
 * protocol and calls every callback: callbacks must return quickly and hand real work to an
 * executor of their own.
 */
public final class RealtimeClient implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RealtimeClient.class);

  /** Default heartbeat interval in seconds, realtime-js's: 25. */
  public static final long DEFAULT_HEARTBEAT_INTERVAL_SECONDS = 25;

  /**
   * Default heartbeat interval: 25 seconds. A reply may take as long before the socket is dropped.
   */
  public static final Duration DEFAULT_HEARTBEAT_INTERVAL =
      Duration.ofSeconds(DEFAULT_HEARTBEAT_INTERVAL_SECONDS);

  /** Default time a join reply may take: 10 seconds, realtime-js's push timeout. */
  public static final Duration DEFAULT_JOIN_TIMEOUT = Duration.ofSeconds(10);

  /** Default delays before reconnect tries: 1 s, 2 s, 5 s, then 10 s for ever (realtime-js). */
  public static final List<Duration> DEFAULT_RECONNECT_DELAYS = DelaySchedule.SUPABASE.delays();

  /** Default delays before channel rejoins: 1 s, 2 s, 5 s, then 10 s for ever (Phoenix JS). */
  public static final List<Duration> DEFAULT_REJOIN_DELAYS = DelaySchedule.SUPABASE.delays();

  /** Default serializer: {@link ProtocolVersion#V2}, the current realtime-js default. */
  public static final ProtocolVersion DEFAULT_PROTOCOL_VERSION = ProtocolVersion.V2;

  /** The Phoenix serializer version, sent as {@code ?vsn=}. */
  public enum ProtocolVersion {
    /** {@code 1.0.0}: JSON object frames; realtime-js up to 2.90. */
    V1("1.0.0"),
    /** {@code 2.0.0}: JSON array frames; realtime-js from 2.91 on. */
    V2("2.0.0");

    private final String vsn;

    ProtocolVersion(String vsn) {
      this.vsn = vsn;
    }

    /**
     * Returns the value of the {@code vsn} query parameter.
     *
     * @return {@code 1.0.0} or {@code 2.0.0}
     */
    public String vsn() {
      return vsn;
    }
  }

  private final RealtimeConnection connection;

  private RealtimeClient(RealtimeConnection connection) {
    this.connection = connection;
  }

  /**
   * Starts the options of a client.
   *
   * @return a builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Starts a channel on this client; {@link RealtimeChannel.Builder#subscribe()} joins it. The
   * socket opens with the first channel.
   *
   * @param name the channel name, free text without the {@code realtime:} prefix (the official
   *     client's {@code supabase.channel(name)})
   * @return a channel builder; its {@code subscribe()} checks the name
   */
  public RealtimeChannel.Builder channel(String name) {
    return new RealtimeChannel.Builder(connection, name);
  }

  /**
   * Replaces the access token that decides the row-level-security role, without reconnecting:
   * joined channels receive an {@code access_token} message at once (only if the token changed) and
   * later joins carry it. Use it to refresh a user JWT before it expires.
   *
   * @param accessToken the new JWT
   * @throws IllegalArgumentException if the token is null or blank
   */
  public void setAuth(String accessToken) {
    if (accessToken == null || accessToken.isBlank()) {
      throw new IllegalArgumentException("accessToken must not be blank");
    }
    connection.setAuth(accessToken);
  }

  /**
   * Tells whether the WebSocket is open now.
   *
   * @return {@code true} when open
   */
  public boolean isConnected() {
    return connection.socketState() == RealtimeConnection.SocketState.OPEN;
  }

  /**
   * Leaves every channel (their status becomes {@link ChannelStatus#CLOSED}), closes the socket
   * with code 1000 and stops the client's thread, waiting up to five seconds for it. Closes an
   * OkHttp client only if this client created it. Idempotent.
   */
  @Override
  public void close() {
    connection.close();
  }

  RealtimeConnection connection() {
    return connection;
  }

  @Override
  public String toString() {
    return "RealtimeClient[" + connection.redactedUrl() + ", " + connection.socketState() + "]";
  }

  /**
   * The options of a {@link RealtimeClient}; {@link #build()} checks them. Not thread-safe. Its
   * {@code toString()} shows no secret.
   */
  public static final class Builder {
    private String supabaseUrl;
    private String apiKey;
    private String accessToken;
    private ProtocolVersion protocolVersion = DEFAULT_PROTOCOL_VERSION;
    private OkHttpClient httpClient;
    private Duration heartbeatInterval = DEFAULT_HEARTBEAT_INTERVAL;
    private Duration joinTimeout = DEFAULT_JOIN_TIMEOUT;
    private List<Duration> reconnectDelays = DEFAULT_RECONNECT_DELAYS;
    private List<Duration> rejoinDelays = DEFAULT_REJOIN_DELAYS;
    private Timer timer;

    private Builder() {}

    /**
     * Sets the project URL, the seed's {@code SUPABASE_URL}. Required.
     *
     * @param supabaseUrl {@code https://<ref>.supabase.co} or {@code wss://...}; plain {@code
     *     http}/{@code ws} to localhost, 127.0.0.1 or ::1, or (with a warning at {@link #build()},
     *     the key then travels unencrypted) to a host on a private network
     * @return this builder
     */
    public Builder supabaseUrl(String supabaseUrl) {
      this.supabaseUrl = supabaseUrl;
      return this;
    }

    /**
     * Sets the project API key (the service-role key for a worker), sent as {@code ?apikey=}.
     * Required.
     *
     * @param apiKey the key
     * @return this builder
     */
    public Builder apiKey(String apiKey) {
      this.apiKey = apiKey;
      return this;
    }

    /**
     * Sets the access token sent with joins, which decides the row-level-security role. Default:
     * the API key, as supabase-js does without a user session. A key starting with {@code sb_} is
     * not sent as a token (the server would ignore it).
     *
     * @param accessToken a JWT
     * @return this builder
     */
    public Builder accessToken(String accessToken) {
      this.accessToken = accessToken;
      return this;
    }

    /**
     * Sets the serializer. Default {@link #DEFAULT_PROTOCOL_VERSION} (2.0.0).
     *
     * @param protocolVersion the version
     * @return this builder
     */
    public Builder protocolVersion(ProtocolVersion protocolVersion) {
      this.protocolVersion = protocolVersion;
      return this;
    }

    /**
     * Uses your OkHttp client (its connection pool, dispatcher, proxy and TLS settings); the client
     * derives one that never follows redirects, so the key cannot leave the configured host.
     * Default: a new client, shut down with this one.
     *
     * @param httpClient your client; not closed by this one
     * @return this builder
     */
    public Builder httpClient(OkHttpClient httpClient) {
      this.httpClient = httpClient;
      return this;
    }

    /**
     * Sets the heartbeat interval, which is also how long a heartbeat reply may take. Default
     * {@link #DEFAULT_HEARTBEAT_INTERVAL} (25 s); keep it under the server's 60 s idle timeout.
     *
     * @param heartbeatInterval a positive duration
     * @return this builder
     */
    public Builder heartbeatInterval(Duration heartbeatInterval) {
      this.heartbeatInterval = heartbeatInterval;
      return this;
    }

    /**
     * Sets how long a join reply may take before the channel is {@link ChannelStatus#TIMED_OUT}.
     * Default {@link #DEFAULT_JOIN_TIMEOUT} (10 s); the server delays join errors about 5 s.
     *
     * @param joinTimeout a positive duration
     * @return this builder
     */
    public Builder joinTimeout(Duration joinTimeout) {
      this.joinTimeout = joinTimeout;
      return this;
    }

    /**
     * Sets the delays before reconnect tries; the last one repeats, and a successful open starts
     * over. Default {@link #DEFAULT_RECONNECT_DELAYS}.
     *
     * @param delays at least one, none negative
     * @return this builder
     */
    public Builder reconnectDelays(List<Duration> delays) {
      this.reconnectDelays = delays;
      return this;
    }

    /**
     * Sets the delays before channel rejoins after a join error, a join timeout or a channel error;
     * the last one repeats, and a successful join starts over. Default {@link
     * #DEFAULT_REJOIN_DELAYS}.
     *
     * @param delays at least one, none negative
     * @return this builder
     */
    public Builder rejoinDelays(List<Duration> delays) {
      this.rejoinDelays = delays;
      return this;
    }

    /** Tests: a timer whose time moves only when the test says. */
    Builder timer(Timer timer) {
      this.timer = timer;
      return this;
    }

    /**
     * Checks the options and creates the client. It connects when its first channel subscribes.
     * Logs one WARN line (URL with the key as {@code ***}) when the URL is plain {@code
     * http}/{@code ws} to a host other than localhost, 127.0.0.1 or ::1.
     *
     * @return the client
     * @throws IllegalArgumentException naming the bad option; the message shows no secret
     */
    public RealtimeClient build() {
      HttpUrl endpoint = RealtimeUrls.endpoint(supabaseUrl);
      if (apiKey == null || apiKey.isBlank()) {
        throw new IllegalArgumentException(
            "apiKey must not be blank, was " + (apiKey == null ? "null" : "blank"));
      }
      if (apiKey.chars().anyMatch(Character::isWhitespace)) {
        throw new IllegalArgumentException("apiKey must not contain whitespace (value not shown)");
      }
      if (accessToken != null && accessToken.isBlank()) {
        throw new IllegalArgumentException("accessToken must be null or not blank, was blank");
      }
      Objects.requireNonNull(protocolVersion, "protocolVersion must not be null");
      requirePositive("heartbeatInterval", heartbeatInterval);
      requirePositive("joinTimeout", joinTimeout);
      DelaySchedule reconnect = schedule("reconnectDelays", reconnectDelays);
      DelaySchedule rejoin = schedule("rejoinDelays", rejoinDelays);
      if (RealtimeUrls.sendsKeyUnencrypted(endpoint)) {
        log.warn(
            "{} has no TLS and {} is not this machine: the API key (a worker's service role key)"
                + " travels unencrypted; use https or wss unless the network is private",
            RealtimeUrls.redacted(endpoint, protocolVersion.vsn()),
            endpoint.host());
      }
      boolean owns = httpClient == null;
      OkHttpClient http = owns ? new OkHttpClient() : httpClient;
      return new RealtimeClient(
          new RealtimeConnection(
              new RealtimeConnection.Settings(
                  endpoint,
                  apiKey,
                  accessToken != null ? accessToken : apiKey,
                  protocolVersion,
                  http,
                  owns,
                  heartbeatInterval,
                  joinTimeout,
                  reconnect,
                  rejoin,
                  timer)));
    }

    private static void requirePositive(String option, Duration value) {
      if (value == null || value.isZero() || value.isNegative()) {
        throw new IllegalArgumentException(option + " must be positive, was " + value);
      }
    }

    private static DelaySchedule schedule(String option, List<Duration> delays) {
      try {
        return new DelaySchedule(delays);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(option + ": " + e.getMessage(), null);
      }
    }

    @Override
    public String toString() {
      return "RealtimeClient.Builder[supabaseUrl="
          + (supabaseUrl == null ? null : "set")
          + ", apiKey="
          + (apiKey == null ? null : "***")
          + ", protocolVersion="
          + protocolVersion
          + "]";
    }
  }
}
