package dev.mobvibe.queue.realtime.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mobvibe.queue.realtime.ChangeEvent;
import dev.mobvibe.queue.realtime.ChannelStatus;
import dev.mobvibe.queue.realtime.PostgresChange;
import dev.mobvibe.queue.realtime.PostgresChangeFilter;
import dev.mobvibe.queue.realtime.RealtimeChannel;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One channel of a {@link RealtimeConnection}: join, rejoin with backoff, the server's replies and
 * pushes, dispatch of {@code postgres_changes} to callbacks. Every method but {@link #status()}
 * runs on the connection's thread. Internal API.
 */
public final class ChannelMachine {
  private static final Logger log = LoggerFactory.getLogger(ChannelMachine.class);

  /** The message the server sends once changes flow; realtime-js's SUBSCRIBED comes earlier. */
  static final String POSTGRES_EXTENSION = "postgres_changes";

  static final String BINDING_MISMATCH =
      "mismatch between server and client bindings for postgres changes";

  /**
   * A callback bound to a filter.
   *
   * @param filter which changes
   * @param callback what receives them
   */
  public record Binding(PostgresChangeFilter filter, Consumer<PostgresChange> callback) {
    /** Checks that both parts are present. */
    public Binding {
      Objects.requireNonNull(filter, "filter");
      Objects.requireNonNull(callback, "callback");
    }
  }

  private enum State {
    /** Created; joins when the socket opens. */
    WAITING,
    JOINING,
    JOINED,
    /** Failed; rejoins after backoff, or at once when the socket reopens. */
    ERRORED,
    CLOSED
  }

  /** Identical filters are sent once (as realtime-js does), so the server list aligns by index. */
  private static final class Group {
    final PostgresChangeFilter filter;
    final List<Consumer<PostgresChange>> callbacks = new ArrayList<>();
    Long serverId;

    Group(PostgresChangeFilter filter) {
      this.filter = filter;
    }
  }

  private final RealtimeConnection connection;
  private final String name;
  private final String topic;
  private final List<Group> groups;
  private final List<RealtimeChannel.StatusListener> statusListeners;
  private final boolean rejoinAfterServerClose;

  private volatile ChannelStatus status = ChannelStatus.JOINING;
  private volatile String statusDetail;

  // Confined to the connection's thread.
  private State state = State.WAITING;
  private String joinRef;
  private String tokenSent;
  private int rejoinTries;
  private Timer.Scheduled joinTimeoutTask;
  private Timer.Scheduled rejoinTask;
  private ChannelStatus loggedStatus;
  private String loggedDetail;

  /**
   * Creates a channel; {@link RealtimeConnection#register} starts it.
   *
   * @param connection the connection
   * @param name the channel name, without the {@code realtime:} prefix
   * @param bindings the change callbacks, at least one
   * @param statusListeners the status listeners
   * @param rejoinAfterServerClose whether a close by the server is retried rather than final
   */
  public ChannelMachine(
      RealtimeConnection connection,
      String name,
      List<Binding> bindings,
      List<RealtimeChannel.StatusListener> statusListeners,
      boolean rejoinAfterServerClose) {
    this.connection = connection;
    this.name = name;
    this.topic = "realtime:" + name;
    Map<PostgresChangeFilter, Group> byFilter = new LinkedHashMap<>();
    for (Binding b : bindings) {
      byFilter.computeIfAbsent(b.filter(), Group::new).callbacks.add(b.callback());
    }
    this.groups = List.copyOf(byFilter.values());
    this.statusListeners = List.copyOf(statusListeners);
    this.rejoinAfterServerClose = rejoinAfterServerClose;
  }

  /**
   * Returns the topic, {@code realtime:<name>}.
   *
   * @return the topic
   */
  public String topic() {
    return topic;
  }

  /**
   * Returns the name without the prefix.
   *
   * @return the name
   */
  public String name() {
    return name;
  }

  /**
   * Returns the last reported status; any thread.
   *
   * @return the status
   */
  public ChannelStatus status() {
    return status;
  }

  /**
   * Returns the detail of the last reported status (the server's text for errors); any thread.
   *
   * @return the detail, or null
   */
  public String statusDetail() {
    return statusDetail;
  }

  /**
   * Leaves the channel (user's unsubscribe). Thread-safe; idempotent.
   *
   * @param reason why, for the CLOSED status
   */
  public void leave(String reason) {
    connection.release(this);
    connection.post(() -> leaveNow(reason));
  }

  // ---- called by the connection, on its thread ----

  void socketOpened() {
    if (state == State.WAITING || state == State.ERRORED) {
      cancel(rejoinTask);
      rejoinTask = null;
      join();
    }
  }

  void socketLost(String reason) {
    if (state == State.CLOSED) {
      return;
    }
    cancel(joinTimeoutTask);
    cancel(rejoinTask);
    joinTimeoutTask = null;
    rejoinTask = null;
    state = State.ERRORED;
    report(ChannelStatus.CHANNEL_ERROR, reason);
  }

  void leaveNow(String reason) {
    if (state == State.CLOSED) {
      return;
    }
    cancel(joinTimeoutTask);
    cancel(rejoinTask);
    if ((state == State.JOINING || state == State.JOINED) && connection.isOpen()) {
      push("phx_leave", Json.MAPPER.createObjectNode());
    }
    // Like Phoenix JS, the leave resolves locally at once; the server's reply is not awaited.
    state = State.CLOSED;
    report(ChannelStatus.CLOSED, reason);
    connection.unregister(this);
  }

  void pushAccessTokenIfChanged() {
    String token = sendableToken(connection.accessToken());
    if (state == State.JOINED && token != null && !token.equals(tokenSent)) {
      ObjectNode payload = Json.MAPPER.createObjectNode().put("access_token", token);
      push("access_token", payload);
      tokenSent = token;
      log.debug("sent a new access token on {}", topic);
    }
  }

  void handle(PhoenixCodec.Message m) {
    if (state == State.CLOSED) {
      return;
    }
    boolean closing = m.event().equals("phx_close") || m.event().equals("phx_error");
    // Phoenix echoes the join ref as ref on phx_close/phx_error; V1 frames carry no join_ref.
    String incarnation = m.joinRef() != null ? m.joinRef() : closing ? m.ref() : null;
    if (incarnation != null && !incarnation.equals(joinRef)) {
      log.debug("dropping outdated {} on {} (join ref {})", m.event(), topic, incarnation);
      return;
    }
    switch (m.event()) {
      case "phx_reply" -> onReply(m);
      case "system" -> onSystem(m.payload());
      case "postgres_changes" -> onChanges(m.payload());
      case "phx_close" -> onServerClose();
      case "phx_error" -> onChannelError();
      default -> log.debug("ignoring {} on {}", m.event(), topic);
    }
  }

  // ---- protocol ----

  private void join() {
    joinRef = connection.nextRef();
    tokenSent = sendableToken(connection.accessToken());
    for (Group g : groups) {
      g.serverId = null;
    }
    connection.send(new PhoenixCodec.Message(joinRef, joinRef, topic, "phx_join", joinPayload()));
    state = State.JOINING;
    report(ChannelStatus.JOINING, null);
    String ref = joinRef;
    Duration timeout = connection.joinTimeout();
    joinTimeoutTask =
        connection.schedule(
            "join-timeout",
            timeout,
            () -> {
              if (state == State.JOINING && ref.equals(joinRef)) {
                joinTimedOut(timeout);
              }
            });
  }

  private ObjectNode joinPayload() {
    ObjectNode config = Json.MAPPER.createObjectNode();
    config.putObject("broadcast").put("ack", false).put("self", false);
    config.putObject("presence").put("key", "").put("enabled", false);
    ArrayNode changes = config.putArray("postgres_changes");
    for (Group g : groups) {
      ObjectNode binding = changes.addObject();
      binding.put("event", g.filter.event().wireName());
      binding.put("schema", g.filter.schema());
      if (g.filter.table() != null) {
        binding.put("table", g.filter.table());
      }
      if (g.filter.filter() != null) {
        binding.put("filter", g.filter.filter());
      }
    }
    config.put("private", false);
    ObjectNode payload = Json.MAPPER.createObjectNode();
    payload.set("config", config);
    if (tokenSent != null) {
      payload.put("access_token", tokenSent);
    }
    return payload;
  }

  private void joinTimedOut(Duration timeout) {
    joinTimeoutTask = null;
    report(ChannelStatus.TIMED_OUT, "no reply to the join within " + timeout.toMillis() + " ms");
    if (connection.isOpen()) {
      push("phx_leave", Json.MAPPER.createObjectNode());
    }
    // As Phoenix JS resets its join push: the server's answer to that leave (phx_close with the
    // timed-out join ref) and anything else of that incarnation is stale from now on.
    joinRef = null;
    state = State.ERRORED;
    scheduleRejoin();
  }

  private void onReply(PhoenixCodec.Message m) {
    if (state != State.JOINING || !Objects.equals(m.ref(), joinRef)) {
      log.debug("ignoring a reply to ref {} on {}", m.ref(), topic);
      return;
    }
    cancel(joinTimeoutTask);
    joinTimeoutTask = null;
    Payloads.Reply reply = read(m.payload(), Payloads.Reply.class);
    if (reply == null) {
      state = State.ERRORED;
      report(ChannelStatus.CHANNEL_ERROR, "unreadable join reply");
      scheduleRejoin();
      return;
    }
    if (!reply.ok()) {
      state = State.ERRORED;
      report(ChannelStatus.CHANNEL_ERROR, reason(reply.response()));
      scheduleRejoin();
      return;
    }
    Payloads.JoinResponse response =
        reply.response() == null ? null : read(reply.response(), Payloads.JoinResponse.class);
    List<Payloads.ServerBinding> server =
        response == null || response.postgresChanges() == null
            ? List.of()
            : response.postgresChanges();
    if (!bindingsMatch(server)) {
      push("phx_leave", Json.MAPPER.createObjectNode());
      state = State.CLOSED;
      report(ChannelStatus.CHANNEL_ERROR, BINDING_MISMATCH);
      connection.unregister(this);
      return;
    }
    for (int i = 0; i < groups.size(); i++) {
      groups.get(i).serverId = server.get(i).id();
    }
    state = State.JOINED;
    rejoinTries = 0;
    log.debug("joined {}; waiting for the server's Subscribed to PostgreSQL", topic);
    pushAccessTokenIfChanged();
  }

  private boolean bindingsMatch(List<Payloads.ServerBinding> server) {
    if (server.size() != groups.size()) {
      return false;
    }
    for (int i = 0; i < groups.size(); i++) {
      PostgresChangeFilter mine = groups.get(i).filter;
      Payloads.ServerBinding theirs = server.get(i);
      if (theirs == null
          || theirs.id() == null
          || !mine.event().wireName().equals(theirs.event())
          || !Objects.equals(mine.schema(), theirs.schema())
          || !Objects.equals(mine.table(), theirs.table())
          || !Objects.equals(mine.filter(), theirs.filter())) {
        return false;
      }
    }
    return true;
  }

  private void onSystem(JsonNode payload) {
    Payloads.SystemMessage system = read(payload, Payloads.SystemMessage.class);
    if (system == null) {
      return;
    }
    String text = system.message() == null ? "(no message)" : system.message();
    if ("ok".equals(system.status())) {
      if (POSTGRES_EXTENSION.equals(system.extension()) && state == State.JOINED) {
        report(ChannelStatus.SUBSCRIBED, text);
      } else {
        log.info("realtime server on {}: {}", topic, text);
      }
    } else if ("error".equals(system.status())) {
      // The channel stays joined (a postgres_changes error) or the server closes it next.
      report(ChannelStatus.CHANNEL_ERROR, text);
    } else {
      log.debug("ignoring a system message with status {} on {}", system.status(), topic);
    }
  }

  private void onChanges(JsonNode payload) {
    if (state != State.JOINED) {
      log.debug("ignoring postgres_changes on {} before the join completed", topic);
      return;
    }
    Payloads.ChangesMessage message = read(payload, Payloads.ChangesMessage.class);
    if (message == null || message.data() == null || message.ids() == null) {
      log.warn("ignoring a postgres_changes frame without ids or data on {}", topic);
      return;
    }
    Payloads.ChangeData data = message.data();
    ChangeEvent type = changeType(data.type());
    if (type == null) {
      log.warn("ignoring a postgres_changes frame of unknown type on {}", topic);
      return;
    }
    PostgresChange change = null;
    for (Group g : groups) {
      boolean matches =
          g.serverId != null
              && message.ids().contains(g.serverId)
              && (g.filter.event() == ChangeEvent.ALL || g.filter.event() == type);
      if (!matches) {
        continue;
      }
      if (change == null) {
        change = toChange(data, type);
      }
      for (Consumer<PostgresChange> callback : g.callbacks) {
        try {
          callback.accept(change);
        } catch (RuntimeException e) {
          log.warn("postgres change callback on {} failed", topic, e);
        }
      }
    }
    if (change == null) {
      log.debug("no binding on {} matches ids {} and type {}", topic, message.ids(), type);
    }
  }

  private void onServerClose() {
    cancel(joinTimeoutTask);
    cancel(rejoinTask);
    if (rejoinAfterServerClose) {
      state = State.ERRORED;
      report(ChannelStatus.CHANNEL_ERROR, "channel closed by the server");
      scheduleRejoin();
    } else {
      state = State.CLOSED;
      report(ChannelStatus.CLOSED, "channel closed by the server");
      connection.unregister(this);
    }
  }

  private void onChannelError() {
    cancel(joinTimeoutTask);
    state = State.ERRORED;
    report(ChannelStatus.CHANNEL_ERROR, "channel error on the server");
    scheduleRejoin();
  }

  private void scheduleRejoin() {
    cancel(rejoinTask);
    rejoinTries++;
    Duration delay = connection.rejoinDelays().delay(rejoinTries);
    log.debug("rejoining {} in {} ms (try {})", topic, delay.toMillis(), rejoinTries);
    rejoinTask =
        connection.schedule(
            "rejoin",
            delay,
            () -> {
              rejoinTask = null;
              // When the socket is down, the reconnect rejoins at once on open.
              if (state == State.ERRORED && connection.isOpen()) {
                join();
              }
            });
  }

  // ---- helpers ----

  private void push(String event, JsonNode payload) {
    connection.send(new PhoenixCodec.Message(joinRef, connection.nextRef(), topic, event, payload));
  }

  private void report(ChannelStatus next, String detail) {
    status = next;
    statusDetail = detail;
    // Log each change once: a retry that fails the same way again logs at debug only.
    boolean repeat =
        next == ChannelStatus.JOINING
            || (next == loggedStatus && Objects.equals(detail, loggedDetail));
    if (repeat) {
      log.debug("channel {}: {}{}", topic, next, detail == null ? "" : " (" + detail + ")");
    } else {
      loggedStatus = next;
      loggedDetail = detail;
      if (next == ChannelStatus.SUBSCRIBED || next == ChannelStatus.CLOSED) {
        log.info("channel {}: {} ({})", topic, next, detail);
      } else {
        log.warn("channel {}: {} ({})", topic, next, detail);
      }
    }
    for (RealtimeChannel.StatusListener listener : statusListeners) {
      try {
        listener.onStatus(next, detail);
      } catch (RuntimeException e) {
        log.warn("status listener of {} failed on {}", topic, next, e);
      }
    }
  }

  private static String sendableToken(String token) {
    // The server ignores sb_ keys as access tokens; only JWTs are worth sending.
    return token == null || token.startsWith("sb_") ? null : token;
  }

  private static String reason(JsonNode response) {
    if (response == null || response.isNull()) {
      return "join refused";
    }
    if (!response.isObject()) {
      return response.isTextual() ? response.asText() : response.toString();
    }
    Payloads.ErrorResponse error = read(response, Payloads.ErrorResponse.class);
    if (error != null && error.reason() != null) {
      return error.reason();
    }
    // realtime-js joins every value of the response: Object.values(response).join(', ').
    List<String> values = new ArrayList<>();
    response
        .elements()
        .forEachRemaining(v -> values.add(v.isTextual() ? v.asText() : v.toString()));
    return values.isEmpty() ? "join refused" : String.join(", ", values);
  }

  private static ChangeEvent changeType(String type) {
    if (type == null) {
      return null;
    }
    return switch (type.toUpperCase(Locale.ROOT)) {
      case "INSERT" -> ChangeEvent.INSERT;
      case "UPDATE" -> ChangeEvent.UPDATE;
      case "DELETE" -> ChangeEvent.DELETE;
      default -> null;
    };
  }

  private static PostgresChange toChange(Payloads.ChangeData data, ChangeEvent type) {
    Instant committed = null;
    if (data.commitTimestamp() != null) {
      try {
        committed = Instant.parse(data.commitTimestamp());
      } catch (DateTimeParseException e) {
        log.debug("unreadable commit_timestamp {}", data.commitTimestamp());
      }
    }
    JsonNode empty = Json.MAPPER.createObjectNode();
    return new PostgresChange(
        data.schema(),
        data.table(),
        type,
        committed,
        data.record() == null || data.record().isNull() ? empty : data.record(),
        data.oldRecord() == null || data.oldRecord().isNull() ? empty : data.oldRecord(),
        data.errors());
  }

  private static <T> T read(JsonNode node, Class<T> type) {
    if (node == null || !node.isObject()) {
      log.warn(
          "ignoring a payload that is not an object where a {} was expected", type.getSimpleName());
      return null;
    }
    try {
      return Json.MAPPER.treeToValue(node, type);
    } catch (JsonProcessingException e) {
      log.warn(
          "ignoring an unreadable {} payload: {}", type.getSimpleName(), e.getOriginalMessage());
      return null;
    } catch (IllegalArgumentException e) {
      log.warn("ignoring an unreadable {} payload", type.getSimpleName());
      return null;
    }
  }

  private static void cancel(Timer.Scheduled task) {
    if (task != null) {
      task.cancel();
    }
  }
}
