package dev.mobvibe.queue.realtime;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mobvibe.queue.JobNotifier;
import dev.mobvibe.queue.JobSignal;
import dev.mobvibe.queue.ListenerFanout;
import dev.mobvibe.queue.NotifierState;
import dev.mobvibe.queue.Subscription;
import dev.mobvibe.queue.realtime.internal.Timer;
import java.util.UUID;
import java.util.function.Consumer;
import okhttp3.OkHttpClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link JobNotifier} on Supabase Realtime, the seed worker's way: a channel (default {@value
 * #DEFAULT_CHANNEL_NAME}) with one {@code postgres_changes} subscription to INSERTs on {@code
 * public.coding_jobs} filtered by {@code status=eq.pending}, exactly as the seed's JavaScript
 * client joined it.
 *
 * <pre>{@code
 * try (SupabaseRealtimeNotifier notifier = SupabaseRealtimeNotifier.builder()
 *         .supabaseUrl(System.getenv("SUPABASE_URL"))
 *         .apiKey(System.getenv("SUPABASE_SERVICE_ROLE_KEY"))
 *         .build()) {
 *   JobProcessor processor = JobProcessor.builder(queue, handler).notifier(notifier).build();
 *   processor.start();
 *   ...
 * }
 * }</pre>
 *
 * <p>Signals: one {@link JobSignal.Source#NOTIFICATION} per inserted job, with its id, session and
 * priority; one {@link JobSignal.Source#RECONNECT} each time the server confirms the subscription
 * ("Subscribed to PostgreSQL"), the first time included, because jobs inserted before that moment
 * are not announced. State: {@link NotifierState#CONNECTING} until the first confirmation, {@link
 * NotifierState#LISTENING} while subscribed, {@link NotifierState#RECONNECTING} after any error
 * (the channel retries with the official client's schedule; polling keeps progress), {@link
 * NotifierState#CLOSED} after {@link #close()}. Errors never reach the worker as exceptions.
 *
 * <p>Limits: Supabase drops changes under its per-project rate limit and does not deliver changes
 * committed while the socket is down; the catch-up signal and polling cover both. A {@code system}
 * error after the join (for example {@code coding_jobs} is not in the {@code supabase_realtime}
 * publication) is logged with the server's text and leaves the notifier {@code RECONNECTING}.
 *
 * <p>Thread-safe. Listeners run on the client's thread {@code mobvibe-realtime-ws} and must return
 * quickly.
 */
public final class SupabaseRealtimeNotifier implements JobNotifier {
  private static final Logger log = LoggerFactory.getLogger(SupabaseRealtimeNotifier.class);

  /** Default channel name: {@code new_jobs} (topic {@code realtime:new_jobs}). */
  public static final String DEFAULT_CHANNEL_NAME = "new_jobs";

  /** Default schema of {@code coding_jobs}: {@code public}. */
  public static final String DEFAULT_SCHEMA = "public";

  /** The table whose inserts wake workers. */
  public static final String JOBS_TABLE = "coding_jobs";

  /** The row filter of the subscription: pending jobs only. */
  public static final String PENDING_FILTER = "status=eq.pending";

  private static final JobSignal CATCH_UP = JobSignal.of(JobSignal.Source.RECONNECT);

  private final RealtimeClient client;
  private final boolean ownsClient;
  private final String channelName;
  private final PostgresChangeFilter filter;
  private final ListenerFanout<JobSignal> fanout = new ListenerFanout<>("job signal");

  private RealtimeChannel channel;
  private boolean started;
  private volatile boolean closed;
  private volatile boolean everSubscribed;

  private SupabaseRealtimeNotifier(Builder b, RealtimeClient client, boolean ownsClient) {
    this.client = client;
    this.ownsClient = ownsClient;
    this.channelName = b.channelName;
    this.filter =
        PostgresChangeFilter.of(ChangeEvent.INSERT, b.schema, JOBS_TABLE)
            .withFilter(PENDING_FILTER);
  }

  /**
   * Starts the options of a notifier.
   *
   * @return a builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Registers a listener; the first one joins the channel (and opens the socket). A listener that
   * throws is logged and does not stop deliveries.
   *
   * @param listener called on {@code mobvibe-realtime-ws}; must not block
   * @return a handle that unsubscribes the listener
   * @throws NullPointerException if the listener is null
   * @throws IllegalStateException if the notifier is closed
   */
  @Override
  public synchronized Subscription subscribe(Consumer<JobSignal> listener) {
    if (closed) {
      throw new IllegalStateException("notifier is closed");
    }
    Subscription subscription = fanout.add(listener);
    if (!started) {
      started = true;
      channel =
          client
              .channel(channelName)
              .onPostgresChange(filter, this::onInsert)
              .onStatus(this::onStatus)
              // A worker's notifier retries everything; polling covers the gap meanwhile.
              .rejoinAfterServerClose(true)
              .subscribe();
    }
    return subscription;
  }

  /**
   * Returns the state, mapped from the channel's status as the class documentation says.
   *
   * @return the state
   */
  @Override
  public NotifierState state() {
    if (closed) {
      return NotifierState.CLOSED;
    }
    RealtimeChannel c;
    synchronized (this) {
      c = channel;
    }
    if (c == null) {
      return NotifierState.IDLE;
    }
    return switch (c.status()) {
      case SUBSCRIBED -> NotifierState.LISTENING;
      case JOINING -> everSubscribed ? NotifierState.RECONNECTING : NotifierState.CONNECTING;
      case CHANNEL_ERROR, TIMED_OUT -> NotifierState.RECONNECTING;
      case CLOSED -> NotifierState.CLOSED;
    };
  }

  /**
   * Returns the channel's own status, finer than {@link #state()}.
   *
   * @return the status, or {@link ChannelStatus#CLOSED} before the first subscription
   */
  public ChannelStatus channelStatus() {
    RealtimeChannel c;
    synchronized (this) {
      c = channel;
    }
    return c == null ? ChannelStatus.CLOSED : c.status();
  }

  /**
   * Replaces the access token without reconnecting (see {@link RealtimeClient#setAuth(String)}).
   *
   * @param accessToken the new JWT
   * @throws IllegalArgumentException if the token is blank
   */
  public void setAuth(String accessToken) {
    client.setAuth(accessToken);
  }

  /**
   * Leaves the channel, closes the socket if this notifier created the client (a client you passed
   * stays open), and drops the listeners. Idempotent.
   */
  @Override
  public void close() {
    RealtimeChannel c;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      fanout.clear();
      c = channel;
    }
    if (c != null) {
      c.unsubscribe();
    }
    if (ownsClient) {
      client.close();
    }
    log.info("Supabase Realtime notifier closed");
  }

  private void onStatus(ChannelStatus status, String detail) {
    if (status == ChannelStatus.SUBSCRIBED && !closed) {
      everSubscribed = true;
      fanout.publish(CATCH_UP);
    }
  }

  private void onInsert(PostgresChange change) {
    if (closed) {
      return;
    }
    JsonNode row = change.newRecord();
    fanout.publish(
        new JobSignal(
            JobSignal.Source.NOTIFICATION,
            uuid(row.get("id")),
            uuid(row.get("session_id")),
            row.path("priority").isInt() ? row.get("priority").intValue() : null));
  }

  private static UUID uuid(JsonNode node) {
    if (node == null || !node.isTextual()) {
      return null;
    }
    try {
      return UUID.fromString(node.asText());
    } catch (IllegalArgumentException e) {
      log.debug("coding_jobs change carries an id that is not a UUID");
      return null;
    }
  }

  @Override
  public String toString() {
    return "SupabaseRealtimeNotifier[" + client + ", channel=" + channelName + ", " + state() + "]";
  }

  /**
   * The options of a {@link SupabaseRealtimeNotifier}: either a URL and key (the notifier builds
   * and owns its client), or a {@link #client(RealtimeClient) client of yours}. Not thread-safe.
   */
  public static final class Builder {
    private final RealtimeClient.Builder clientOptions = RealtimeClient.builder();
    private boolean clientOptionSet;
    private RealtimeClient client;
    private String channelName = DEFAULT_CHANNEL_NAME;
    private String schema = DEFAULT_SCHEMA;

    private Builder() {}

    /**
     * Sets {@code SUPABASE_URL}; see {@link RealtimeClient.Builder#supabaseUrl(String)}.
     *
     * @param supabaseUrl the project URL
     * @return this builder
     */
    public Builder supabaseUrl(String supabaseUrl) {
      clientOptions.supabaseUrl(supabaseUrl);
      clientOptionSet = true;
      return this;
    }

    /**
     * Sets {@code SUPABASE_SERVICE_ROLE_KEY}; see {@link RealtimeClient.Builder#apiKey(String)}.
     *
     * @param apiKey the key
     * @return this builder
     */
    public Builder apiKey(String apiKey) {
      clientOptions.apiKey(apiKey);
      clientOptionSet = true;
      return this;
    }

    /**
     * Sets the serializer; default 2.0.0. See {@link
     * RealtimeClient.Builder#protocolVersion(RealtimeClient.ProtocolVersion)}.
     *
     * @param version the version
     * @return this builder
     */
    public Builder protocolVersion(RealtimeClient.ProtocolVersion version) {
      clientOptions.protocolVersion(version);
      clientOptionSet = true;
      return this;
    }

    /**
     * Uses your OkHttp client; see {@link RealtimeClient.Builder#httpClient(OkHttpClient)}.
     *
     * @param httpClient your client; not closed by the notifier
     * @return this builder
     */
    public Builder httpClient(OkHttpClient httpClient) {
      clientOptions.httpClient(httpClient);
      clientOptionSet = true;
      return this;
    }

    /**
     * Uses your Realtime client instead of URL and key: the notifier joins its channel on it and
     * leaves only that channel on close.
     *
     * @param client your client
     * @return this builder
     */
    public Builder client(RealtimeClient client) {
      this.client = client;
      return this;
    }

    /**
     * Sets the channel name. Default {@link #DEFAULT_CHANNEL_NAME}.
     *
     * @param channelName free text, without {@code realtime:}
     * @return this builder
     */
    public Builder channelName(String channelName) {
      this.channelName = channelName;
      return this;
    }

    /**
     * Sets the schema of {@code coding_jobs}, when the queue lives outside {@code public}. Default
     * {@link #DEFAULT_SCHEMA}.
     *
     * @param schema the schema
     * @return this builder
     */
    public Builder schema(String schema) {
      this.schema = schema;
      return this;
    }

    /** Tests: a timer for the client this builder creates. */
    Builder timer(Timer timer) {
      clientOptions.timer(timer);
      return this;
    }

    /**
     * Checks the options and creates the notifier; it connects at the first subscription.
     *
     * @return the notifier
     * @throws IllegalArgumentException naming the bad option; messages show no secret
     */
    public SupabaseRealtimeNotifier build() {
      if (channelName == null || channelName.isBlank() || channelName.startsWith("realtime:")) {
        throw new IllegalArgumentException(
            "channelName must be a name without the realtime: prefix, was '" + channelName + "'");
      }
      if (schema == null || schema.isBlank()) {
        throw new IllegalArgumentException("schema must not be blank, was '" + schema + "'");
      }
      if (client != null) {
        if (clientOptionSet) {
          throw new IllegalArgumentException(
              "client: set either a client or supabaseUrl/apiKey/protocolVersion/httpClient, not"
                  + " both");
        }
        return new SupabaseRealtimeNotifier(this, client, false);
      }
      return new SupabaseRealtimeNotifier(this, clientOptions.build(), true);
    }
  }
}
