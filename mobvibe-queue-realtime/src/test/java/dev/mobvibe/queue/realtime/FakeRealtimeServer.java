package dev.mobvibe.queue.realtime;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mobvibe.queue.realtime.RealtimeClient.ProtocolVersion;
import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.Response;
import okhttp3.WebSocket;
import okhttp3.WebSocketListener;

/**
 * A Supabase Realtime server for tests, on OkHttp's MockWebServer, that speaks the protocol as
 * realtime-protocol.md §9 and §10.2 show: serializer chosen by {@code vsn} (missing = 1.0.0, other
 * values refused), heartbeat replies, join replies echoing the bindings with integer ids, the
 * {@code system} "Subscribed to PostgreSQL" push, leave replies followed by {@code phx_close}, and
 * scripted faults.
 */
final class FakeRealtimeServer implements AutoCloseable {
  static final ObjectMapper JSON = new ObjectMapper();
  static final String PATH = "/realtime/v1/websocket";

  enum JoinMode {
    /** Reply ok, then push system ok if {@link #systemOkAfterJoin}. */
    OK,
    /** Reply with status error and {@link #joinErrorReason}. */
    ERROR,
    /** Never reply. */
    SILENT
  }

  volatile JoinMode joinMode = JoinMode.OK;
  volatile String joinErrorReason =
      "Unauthorized: You do not have permissions to read from this Channel topic: new_jobs";
  volatile boolean systemOkAfterJoin = true;
  volatile boolean replyToHeartbeats = true;

  /** Echo the bindings with a different filter, as a server that disagrees would. */
  volatile boolean mismatchBindings;

  /** Refuse this many next upgrades with {@link #refuseCode} and {@link #refuseBody}. */
  final AtomicInteger refuseNext = new AtomicInteger();

  volatile int refuseCode = 503;
  volatile String refuseBody = "{\"error\":\"Error connecting to Realtime\"}";

  final List<RecordedRequest> requests = new CopyOnWriteArrayList<>();
  final List<Conn> connections = new CopyOnWriteArrayList<>();
  private final MockWebServer server = new MockWebServer();

  FakeRealtimeServer() throws IOException {
    server.setDispatcher(
        new Dispatcher() {
          @Override
          public MockResponse dispatch(RecordedRequest request) {
            requests.add(request);
            if (!PATH.equals(request.getUrl().encodedPath())) {
              return new MockResponse.Builder().code(404).body("{\"error\":\"not found\"}").build();
            }
            if (refuseNext.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
              return new MockResponse.Builder().code(refuseCode).body(refuseBody).build();
            }
            String vsn = request.getUrl().queryParameter("vsn");
            ProtocolVersion version;
            if (vsn == null || vsn.equals("1.0.0")) {
              version = ProtocolVersion.V1;
            } else if (vsn.equals("2.0.0")) {
              version = ProtocolVersion.V2;
            } else {
              return new MockResponse.Builder().code(400).body("{\"error\":\"bad vsn\"}").build();
            }
            Conn conn = new Conn(version);
            connections.add(conn);
            return new MockResponse.Builder().webSocketUpgrade(conn).build();
          }
        });
    server.start(InetAddress.getByName("127.0.0.1"), 0);
  }

  /** The SUPABASE_URL of this server. */
  String url() {
    return "http://127.0.0.1:" + server.getPort();
  }

  Conn connection(int index) {
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> connections.size() > index && connections.get(index).ws != null);
    return connections.get(index);
  }

  Conn latest() {
    await().atMost(Duration.ofSeconds(10)).until(() -> !connections.isEmpty());
    Conn c = connections.get(connections.size() - 1);
    await().atMost(Duration.ofSeconds(10)).until(() -> c.ws != null);
    return c;
  }

  @Override
  public void close() throws IOException {
    server.close();
  }

  /** A frame as the server read it. */
  record Frame(
      String joinRef, String ref, String topic, String event, JsonNode payload, String raw) {}

  /** One accepted WebSocket. */
  final class Conn extends WebSocketListener {
    final ProtocolVersion version;
    volatile WebSocket ws;
    final List<Frame> received = new CopyOnWriteArrayList<>();
    final List<String> malformed = new CopyOnWriteArrayList<>();

    /** topic -> join_ref of its current incarnation. */
    final Map<String, String> joinRefs = new ConcurrentHashMap<>();

    volatile Integer clientCloseCode;
    volatile String clientCloseReason;
    volatile boolean closed;

    Conn(ProtocolVersion version) {
      this.version = version;
    }

    @Override
    public void onOpen(WebSocket webSocket, Response response) {
      ws = webSocket;
    }

    @Override
    public void onMessage(WebSocket webSocket, String text) {
      Frame f;
      try {
        JsonNode root = JSON.readTree(text);
        if (version == ProtocolVersion.V2) {
          f =
              new Frame(
                  str(root.get(0)),
                  str(root.get(1)),
                  root.get(2).asText(),
                  root.get(3).asText(),
                  root.get(4),
                  text);
        } else {
          if (!root.has("ref")) {
            malformed.add(text); // Phoenix drops V1 frames without a ref key
            return;
          }
          f =
              new Frame(
                  str(root.get("join_ref")),
                  str(root.get("ref")),
                  root.get("topic").asText(),
                  root.get("event").asText(),
                  root.get("payload"),
                  text);
        }
      } catch (IOException | RuntimeException e) {
        malformed.add(text);
        return;
      }
      received.add(f);
      respond(f);
    }

    private void respond(Frame f) {
      if (f.topic().equals("phoenix") && f.event().equals("heartbeat")) {
        if (replyToHeartbeats) {
          send(null, f.ref(), "phoenix", "phx_reply", okReply(JSON.createObjectNode()));
        }
        return;
      }
      switch (f.event()) {
        case "phx_join" -> {
          joinRefs.put(f.topic(), f.joinRef() == null ? f.ref() : f.joinRef());
          switch (joinMode) {
            case OK -> {
              ArrayNode echoed = JSON.createArrayNode();
              for (JsonNode binding : f.payload().path("config").path("postgres_changes")) {
                ObjectNode copy = ((ObjectNode) binding).deepCopy();
                copy.put("id", bindingId(binding));
                if (mismatchBindings) {
                  copy.put("filter", "id=eq.1");
                }
                echoed.add(copy);
              }
              ObjectNode response = JSON.createObjectNode();
              response.set("postgres_changes", echoed);
              send(f.joinRef(), f.ref(), f.topic(), "phx_reply", okReply(response));
              if (systemOkAfterJoin) {
                systemOk(f.topic());
              }
            }
            case ERROR -> {
              ObjectNode response = JSON.createObjectNode().put("reason", joinErrorReason);
              ObjectNode payload = JSON.createObjectNode().put("status", "error");
              payload.set("response", response);
              send(f.joinRef(), f.ref(), f.topic(), "phx_reply", payload);
            }
            case SILENT -> {}
          }
        }
        case "phx_leave" -> {
          send(f.joinRef(), f.ref(), f.topic(), "phx_reply", okReply(JSON.createObjectNode()));
          String jr = f.joinRef();
          send(jr, jr, f.topic(), "phx_close", JSON.createObjectNode());
        }
        default -> {} // access_token and unknown events get no reply
      }
    }

    @Override
    public void onClosing(WebSocket webSocket, int code, String reason) {
      clientCloseCode = code;
      clientCloseReason = reason;
      webSocket.close(1000, null);
    }

    @Override
    public void onClosed(WebSocket webSocket, int code, String reason) {
      closed = true;
    }

    @Override
    public void onFailure(WebSocket webSocket, Throwable t, Response response) {
      closed = true;
    }

    /** Sends a frame in this connection's serializer (V1 never carries join_ref). */
    void send(String joinRef, String ref, String topic, String event, JsonNode payload) {
      String text;
      if (version == ProtocolVersion.V2) {
        ArrayNode a = JSON.createArrayNode();
        a.add(joinRef);
        a.add(ref);
        a.add(topic);
        a.add(event);
        a.add(payload);
        text = a.toString();
      } else {
        ObjectNode o = JSON.createObjectNode();
        o.put("topic", topic);
        o.put("event", event);
        o.set("payload", payload);
        o.put("ref", ref);
        text = o.toString();
      }
      ws.send(text);
    }

    void sendRaw(String text) {
      ws.send(text);
    }

    void systemOk(String topic) {
      send(
          joinRefs.get(topic),
          null,
          topic,
          "system",
          system("Subscribed to PostgreSQL", "ok", "postgres_changes", topic));
    }

    void systemError(String topic, String message, String extension) {
      send(joinRefs.get(topic), null, topic, "system", system(message, "error", extension, topic));
    }

    /** A postgres_changes push on coding_jobs (fastlane: join_ref and ref null). */
    void change(String topic, String type, JsonNode record, long... ids) {
      change(
          topic,
          data(
              "public",
              "coding_jobs",
              type,
              type.equals("DELETE") ? null : record,
              type.equals("DELETE") ? record : null),
          ids);
    }

    /** A postgres_changes push as Realtime sends it (fastlane: join_ref and ref null). */
    void change(String topic, ObjectNode data, long... ids) {
      ArrayNode idArray = JSON.createArrayNode();
      for (long id : ids) {
        idArray.add(id);
      }
      ObjectNode payload = JSON.createObjectNode();
      payload.set("ids", idArray);
      payload.set("data", data);
      send(null, null, topic, "postgres_changes", payload);
    }

    /** The server id the current join of this topic got for its first binding. */
    long firstBindingId(String topic) {
      Frame join = lastFrame(topic, "phx_join");
      return bindingId(join.payload().path("config").path("postgres_changes").get(0));
    }

    Frame lastFrame(String topic, String event) {
      Frame last = null;
      for (Frame f : received) {
        if (f.topic().equals(topic) && f.event().equals(event)) {
          last = f;
        }
      }
      if (last == null) {
        throw new AssertionError("no " + event + " on " + topic + " in " + received);
      }
      return last;
    }

    Frame awaitFrame(Predicate<Frame> what) {
      await().atMost(Duration.ofSeconds(10)).until(() -> received.stream().anyMatch(what));
      return received.stream().filter(what).reduce((a, b) -> b).orElseThrow();
    }

    List<Frame> frames(String event) {
      List<Frame> out = new ArrayList<>();
      for (Frame f : received) {
        if (f.event().equals(event)) {
          out.add(f);
        }
      }
      return out;
    }
  }

  /** The data of a change, shaped as realtime-protocol.md §4.1 shows. */
  static ObjectNode data(
      String schema, String table, String type, JsonNode record, JsonNode oldRecord) {
    ObjectNode data = JSON.createObjectNode();
    ArrayNode columns = data.putArray("columns");
    columns.addObject().put("name", "id").put("type", "uuid");
    data.put("commit_timestamp", "2025-01-15T10:20:30.123Z");
    data.putNull("errors");
    data.put("schema", schema);
    data.put("table", table);
    if (record != null) {
      data.set("record", record);
    }
    if (oldRecord != null) {
      data.set("old_record", oldRecord);
    }
    data.put("type", type);
    return data;
  }

  /** The server id of the i-th binding of the current join of a topic. */
  static long bindingIdOf(Frame join, int i) {
    return bindingId(join.payload().path("config").path("postgres_changes").get(i));
  }

  static ObjectNode okReply(JsonNode response) {
    ObjectNode payload = JSON.createObjectNode().put("status", "ok");
    payload.set("response", response);
    return payload;
  }

  static ObjectNode system(String message, String status, String extension, String topic) {
    return JSON.createObjectNode()
        .put("message", message)
        .put("status", status)
        .put("extension", extension)
        .put("channel", topic.substring("realtime:".length()));
  }

  /** Stable per binding map, like the server's phash2, in [0, 2^27). */
  static long bindingId(JsonNode binding) {
    return Math.floorMod(binding.toString().hashCode(), 1 << 27);
  }

  static ObjectNode jobRecord(String id, String sessionId, int priority) {
    return JsonNodeFactory.instance
        .objectNode()
        .put("id", id)
        .put("session_id", sessionId)
        .put("prompt", "fix the flaky test")
        .put("status", "pending")
        .put("priority", priority)
        .put("created_at", "2025-01-15T10:20:30.101234+00:00");
  }

  private static String str(JsonNode n) {
    return n == null || n.isNull() ? null : n.asText();
  }
}
