package dev.mobvibe.queue.realtime.internal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mobvibe.queue.realtime.RealtimeClient.ProtocolVersion;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.WebSocket;
import okhttp3.WebSocketListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Phoenix socket to Supabase Realtime and its channels: connect, heartbeat, reconnect with the
 * official client's schedule, frame routing. All state lives on one daemon thread, {@value
 * #THREAD_NAME}; OkHttp's callbacks and the public methods only hand work to it. Internal API.
 */
public final class RealtimeConnection {
  private static final Logger log = LoggerFactory.getLogger(RealtimeConnection.class);

  /** The thread that owns the connection's state. */
  public static final String THREAD_NAME = "mobvibe-realtime-ws";

  static final String PHOENIX_TOPIC = "phoenix";

  /** How long {@link #close()} waits for the connection's thread to finish its teardown. */
  private static final long CLOSE_WAIT_MILLIS = 5_000;

  /** How much of a refused handshake's body is read for its error message. */
  private static final long ERROR_BODY_LIMIT = 4_096;

  /** The socket's state. */
  public enum SocketState {
    /** No channel yet, so no socket. */
    IDLE,
    /** Opening, or waiting to reopen after a loss. */
    CONNECTING,
    /** Open. */
    OPEN,
    /** Closed by the application. Final. */
    CLOSED
  }

  /**
   * What a connection needs. The API key and token are never printed.
   *
   * @param endpoint the WebSocket endpoint without query parameters
   * @param apiKey the project API key, sent as {@code ?apikey=}
   * @param accessToken the first access token for joins, or null
   * @param version the serializer version
   * @param httpClient the OkHttp client to derive the socket's client from
   * @param ownsHttpClient whether closing the connection also shuts the client's threads down
   * @param heartbeatInterval heartbeat interval, and how long a heartbeat reply may take
   * @param joinTimeout how long a join reply may take
   * @param reconnectDelays delays before socket reconnects
   * @param rejoinDelays delays before channel rejoins
   * @param timer the timer, or null for one on the connection's thread
   */
  public record Settings(
      HttpUrl endpoint,
      String apiKey,
      String accessToken,
      ProtocolVersion version,
      OkHttpClient httpClient,
      boolean ownsHttpClient,
      Duration heartbeatInterval,
      Duration joinTimeout,
      DelaySchedule reconnectDelays,
      DelaySchedule rejoinDelays,
      Timer timer) {
    @Override
    public String toString() {
      return "Settings[endpoint="
          + RealtimeUrls.redacted(endpoint, version.vsn())
          + ", heartbeat="
          + heartbeatInterval
          + ", joinTimeout="
          + joinTimeout
          + "]";
    }
  }

  private final Settings settings;
  private final HttpUrl url;
  private final String redactedUrl;
  private final OkHttpClient http;
  private final ScheduledThreadPoolExecutor loop;
  private final Timer timer;

  /** Topic to its live channel: a name can be subscribed once at a time. */
  private final ConcurrentHashMap<String, ChannelMachine> reserved = new ConcurrentHashMap<>();

  private volatile String accessToken;
  private volatile SocketState socketState = SocketState.IDLE;
  private volatile boolean closed;
  private volatile Thread loopThread;

  // Confined to the connection's thread.
  private final Map<String, ChannelMachine> channels = new LinkedHashMap<>();
  private WebSocket socket;
  private long generation;
  private long refCounter;
  private int reconnectTries;
  private String pendingHeartbeat;
  private Timer.Scheduled heartbeatTask;
  private Timer.Scheduled heartbeatTimeoutTask;
  private Timer.Scheduled reconnectTask;
  private String lastLoss;
  private boolean everOpened;

  /**
   * Creates a connection; it connects when the first channel registers.
   *
   * @param settings the settings
   */
  public RealtimeConnection(Settings settings) {
    this.settings = settings;
    this.url =
        RealtimeUrls.withParams(settings.endpoint(), settings.apiKey(), settings.version().vsn());
    this.redactedUrl = RealtimeUrls.redacted(settings.endpoint(), settings.version().vsn());
    // The key rides in the URL: never follow a redirect to another place with it.
    this.http =
        settings.httpClient().newBuilder().followRedirects(false).followSslRedirects(false).build();
    this.accessToken = settings.accessToken();
    this.loop =
        new ScheduledThreadPoolExecutor(
            1,
            r -> {
              Thread t = new Thread(r, THREAD_NAME);
              t.setDaemon(true);
              loopThread = t;
              return t;
            });
    loop.setRemoveOnCancelPolicy(true);
    this.timer = settings.timer() != null ? settings.timer() : Timer.on(loop);
  }

  // ---- public, thread-safe ----

  /**
   * Adds a channel and joins it, connecting first if needed.
   *
   * @param channel the channel
   * @throws IllegalStateException if the connection is closed or the topic is already subscribed
   */
  public void register(ChannelMachine channel) {
    if (closed) {
      throw new IllegalStateException("realtime client is closed");
    }
    if (reserved.putIfAbsent(channel.topic(), channel) != null) {
      throw new IllegalStateException(
          "channel " + channel.topic() + " is already subscribed on this client");
    }
    post(
        () -> {
          channels.put(channel.topic(), channel);
          if (socketState == SocketState.OPEN) {
            channel.socketOpened();
          } else if (socket == null && reconnectTask == null) {
            connect();
          }
        });
  }

  /**
   * Replaces the access token and sends it on every joined channel, without reconnecting.
   *
   * @param token the new token
   */
  public void setAuth(String token) {
    accessToken = token;
    post(() -> channels.values().forEach(ChannelMachine::pushAccessTokenIfChanged));
  }

  /**
   * Returns the socket's state.
   *
   * @return the state
   */
  public SocketState socketState() {
    return socketState;
  }

  /**
   * Returns the URL with the key redacted, for logs.
   *
   * @return the URL
   */
  public String redactedUrl() {
    return redactedUrl;
  }

  /**
   * Leaves every channel, closes the socket with 1000 and stops the connection's thread. Waits up
   * to five seconds for that, unless called on the connection's own thread. Idempotent.
   */
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    CountDownLatch done = new CountDownLatch(1);
    try {
      loop.execute(
          () -> {
            try {
              teardown();
            } finally {
              done.countDown();
            }
          });
    } catch (RejectedExecutionException e) {
      done.countDown();
    }
    loop.shutdown();
    if (Thread.currentThread() != loopThread) {
      try {
        if (!done.await(CLOSE_WAIT_MILLIS, TimeUnit.MILLISECONDS)
            || !loop.awaitTermination(CLOSE_WAIT_MILLIS, TimeUnit.MILLISECONDS)) {
          log.warn("realtime client thread did not stop within {} ms", CLOSE_WAIT_MILLIS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (settings.ownsHttpClient()) {
      http.dispatcher().executorService().shutdown();
      http.connectionPool().evictAll();
    }
  }

  // ---- for channels, on the connection's thread ----

  void post(Runnable task) {
    try {
      loop.execute(
          () -> {
            try {
              task.run();
            } catch (RuntimeException e) {
              log.error("realtime client task failed", e);
            }
          });
    } catch (RejectedExecutionException e) {
      log.debug("realtime client is closed; dropped a task");
    }
  }

  Timer.Scheduled schedule(String purpose, Duration delay, Runnable task) {
    return timer.schedule(purpose, delay, () -> post(task));
  }

  String nextRef() {
    return Long.toString(++refCounter);
  }

  boolean isOpen() {
    return socket != null && socketState == SocketState.OPEN;
  }

  String accessToken() {
    return accessToken;
  }

  Duration joinTimeout() {
    return settings.joinTimeout();
  }

  DelaySchedule rejoinDelays() {
    return settings.rejoinDelays();
  }

  void send(PhoenixCodec.Message m) {
    if (socket == null) {
      log.debug("not sending {} on {}: socket is down", m.event(), m.topic());
      return;
    }
    // Frames may carry the access token: log their kind, never their text.
    log.debug("sending {} on {} (ref {})", m.event(), m.topic(), m.ref());
    socket.send(PhoenixCodec.encode(settings.version(), m));
  }

  void unregister(ChannelMachine channel) {
    channels.remove(channel.topic(), channel);
    release(channel);
  }

  /** Frees the channel's name at once, so it can be subscribed again before the leave runs. */
  void release(ChannelMachine channel) {
    reserved.remove(channel.topic(), channel);
  }

  // ---- the socket, on the connection's thread ----

  private void connect() {
    if (closed) {
      return;
    }
    generation++;
    socketState = SocketState.CONNECTING;
    if (!everOpened && reconnectTries == 0) {
      log.info("connecting to {}", redactedUrl);
    } else {
      log.debug("reconnecting to {} (try {})", redactedUrl, reconnectTries);
    }
    Request request = new Request.Builder().url(url).build();
    socket = http.newWebSocket(request, new Listener(generation));
  }

  private void opened(long gen) {
    if (gen != generation || closed) {
      return;
    }
    socketState = SocketState.OPEN;
    if (lastLoss != null) {
      log.info("reconnected to {} after {} tries", redactedUrl, reconnectTries);
    } else {
      log.info("connected to {}", redactedUrl);
    }
    everOpened = true;
    reconnectTries = 0;
    lastLoss = null;
    scheduleHeartbeat();
    for (ChannelMachine channel : new ArrayList<>(channels.values())) {
      channel.socketOpened();
    }
  }

  private void lost(long gen, String reason) {
    if (gen != generation || closed) {
      return;
    }
    generation++; // late callbacks of the dead socket are ignored from now on
    socket = null;
    socketState = SocketState.CONNECTING;
    cancelHeartbeat();
    for (ChannelMachine channel : new ArrayList<>(channels.values())) {
      channel.socketLost(reason);
    }
    reconnectTries++;
    Duration delay = settings.reconnectDelays().delay(reconnectTries);
    if (reason.equals(lastLoss)) {
      log.debug(
          "realtime connection lost again ({}); reconnecting in {} ms", reason, delay.toMillis());
    } else {
      log.warn("realtime connection lost ({}); reconnecting in {} ms", reason, delay.toMillis());
    }
    lastLoss = reason;
    reconnectTask =
        schedule(
            "reconnect",
            delay,
            () -> {
              reconnectTask = null;
              if (socket == null) {
                connect();
              }
            });
  }

  private void teardown() {
    for (ChannelMachine channel : new ArrayList<>(channels.values())) {
      channel.leaveNow("client closed");
    }
    cancelHeartbeat();
    if (reconnectTask != null) {
      reconnectTask.cancel();
      reconnectTask = null;
    }
    generation++;
    if (socket != null) {
      // Queued after the phx_leave frames, so those go out first.
      socket.close(1000, "client closed");
      socket = null;
    }
    socketState = SocketState.CLOSED;
    log.info("realtime client closed ({})", redactedUrl);
  }

  private void scheduleHeartbeat() {
    long gen = generation;
    heartbeatTask =
        schedule(
            "heartbeat",
            settings.heartbeatInterval(),
            () -> {
              if (gen == generation && socket != null) {
                sendHeartbeat();
              }
            });
  }

  private void sendHeartbeat() {
    long gen = generation;
    String ref = nextRef();
    pendingHeartbeat = ref;
    send(
        new PhoenixCodec.Message(
            null, ref, PHOENIX_TOPIC, "heartbeat", Json.MAPPER.createObjectNode()));
    heartbeatTimeoutTask =
        schedule(
            "heartbeat-timeout",
            settings.heartbeatInterval(),
            () -> {
              if (gen == generation && ref.equals(pendingHeartbeat)) {
                heartbeatTimedOut(gen);
              }
            });
  }

  private void heartbeatTimedOut(long gen) {
    WebSocket dead = socket;
    log.warn(
        "no heartbeat reply within {} ms; closing the socket to reconnect",
        settings.heartbeatInterval().toMillis());
    lost(gen, "heartbeat timeout");
    if (dead != null) {
      dead.close(1000, "heartbeat timeout");
    }
  }

  private void heartbeatReplied(String ref) {
    if (ref == null || !ref.equals(pendingHeartbeat)) {
      log.debug("ignoring a phoenix reply to ref {}", ref);
      return;
    }
    pendingHeartbeat = null;
    if (heartbeatTimeoutTask != null) {
      heartbeatTimeoutTask.cancel();
      heartbeatTimeoutTask = null;
    }
    scheduleHeartbeat();
  }

  private void cancelHeartbeat() {
    pendingHeartbeat = null;
    if (heartbeatTask != null) {
      heartbeatTask.cancel();
      heartbeatTask = null;
    }
    if (heartbeatTimeoutTask != null) {
      heartbeatTimeoutTask.cancel();
      heartbeatTimeoutTask = null;
    }
  }

  private void received(long gen, String text) {
    if (gen != generation || closed) {
      return;
    }
    PhoenixCodec.Message m;
    try {
      m = PhoenixCodec.decode(settings.version(), text);
    } catch (PhoenixCodec.MalformedFrameException e) {
      log.warn("ignoring a malformed realtime frame ({}, {} chars)", e.getMessage(), text.length());
      return;
    }
    if (PHOENIX_TOPIC.equals(m.topic())) {
      if ("phx_reply".equals(m.event())) {
        heartbeatReplied(m.ref());
      } else {
        log.debug("ignoring {} on the phoenix topic", m.event());
      }
      return;
    }
    ChannelMachine channel = channels.get(m.topic());
    if (channel == null) {
      log.debug("ignoring {} for topic {}, which this client has not joined", m.event(), m.topic());
      return;
    }
    channel.handle(m);
  }

  private String describeFailure(Throwable t, Response response) {
    List<String> secrets = new ArrayList<>(List.of(settings.apiKey()));
    if (accessToken != null) {
      secrets.add(accessToken);
    }
    if (response != null) {
      String error = null;
      try {
        String body = response.peekBody(ERROR_BODY_LIMIT).string();
        JsonNode node = Json.MAPPER.readTree(body);
        error = node != null && node.hasNonNull("error") ? node.get("error").asText() : null;
      } catch (IOException | RuntimeException e) {
        // no readable {"error": ...} body; the status says enough
      }
      return RealtimeUrls.scrub(
          "handshake refused: HTTP " + response.code() + (error == null ? "" : " " + error),
          secrets);
    }
    String message = t == null ? "unknown" : t.getClass().getSimpleName() + ": " + t.getMessage();
    return RealtimeUrls.scrub("connection failed: " + message, secrets);
  }

  @Override
  public String toString() {
    return "RealtimeConnection[" + redactedUrl + ", " + socketState + "]";
  }

  /** OkHttp's callbacks for one socket: they only hand the event to the connection's thread. */
  private final class Listener extends WebSocketListener {
    private final long gen;

    Listener(long gen) {
      this.gen = gen;
    }

    @Override
    public void onOpen(WebSocket webSocket, Response response) {
      post(() -> opened(gen));
    }

    @Override
    public void onMessage(WebSocket webSocket, String text) {
      post(() -> received(gen, text));
    }

    @Override
    public void onClosing(WebSocket webSocket, int code, String reason) {
      webSocket.close(1000, null);
      String why =
          "socket closed by the server: "
              + code
              + (Objects.toString(reason, "").isEmpty() ? "" : " " + reason);
      post(() -> lost(gen, why));
    }

    @Override
    public void onClosed(WebSocket webSocket, int code, String reason) {
      post(() -> lost(gen, "socket closed: " + code));
    }

    @Override
    public void onFailure(WebSocket webSocket, Throwable t, Response response) {
      // Read the body here: OkHttp closes the response when this callback returns.
      String why = describeFailure(t, response);
      post(() -> lost(gen, why));
    }
  }
}
