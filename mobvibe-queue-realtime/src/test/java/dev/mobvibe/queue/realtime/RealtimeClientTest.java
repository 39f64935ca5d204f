package dev.mobvibe.queue.realtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mobvibe.queue.realtime.FakeRealtimeServer.Frame;
import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.net.SocketFactory;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The general-purpose client: any table, any event, filters, typed changes, statuses. */
class RealtimeClientTest {
  static final String KEY = "client-test-key";
  static final Duration WAIT = Duration.ofSeconds(10);

  private FakeRealtimeServer server;
  private final ManualTimer timer = new ManualTimer();
  private RealtimeClient client;
  private final List<String> statuses = new CopyOnWriteArrayList<>();

  @BeforeEach
  void start() throws Exception {
    server = new FakeRealtimeServer();
    client = RealtimeClient.builder().supabaseUrl(server.url()).apiKey(KEY).timer(timer).build();
  }

  @AfterEach
  void stop() throws Exception {
    client.close();
    server.close();
  }

  private void record(ChannelStatus status, String detail) {
    statuses.add(detail == null ? status.name() : status + ": " + detail);
  }

  private static ObjectNode row(String id, String status) {
    return FakeRealtimeServer.JSON.createObjectNode().put("id", id).put("status", status);
  }

  @Test
  void deliversTypedChangesOfAnyTableThroughMatchingBindingsOnly() {
    List<PostgresChange> paid = new CopyOnWriteArrayList<>();
    List<PostgresChange> deleted = new CopyOnWriteArrayList<>();
    List<PostgresChange> anything = new CopyOnWriteArrayList<>();
    RealtimeChannel channel =
        client
            .channel("orders")
            .onPostgresChange(
                PostgresChangeFilter.of(ChangeEvent.UPDATE, "public", "orders")
                    .withFilter("status=eq.paid"),
                paid::add)
            .onPostgresChange(
                PostgresChangeFilter.of(ChangeEvent.DELETE, "public", "orders"), deleted::add)
            .onPostgresChange(
                new PostgresChangeFilter(ChangeEvent.ALL, "shop", null, null), anything::add)
            .onStatus(this::record)
            .subscribe();
    assertThat(channel.topic()).isEqualTo("realtime:orders");
    FakeRealtimeServer.Conn conn = server.latest();
    await().atMost(WAIT).until(() -> channel.status() == ChannelStatus.SUBSCRIBED);
    Frame join = conn.lastFrame("realtime:orders", "phx_join");
    assertThat(join.payload().path("config").path("postgres_changes").toString())
        .isEqualTo(
            "[{\"event\":\"UPDATE\",\"schema\":\"public\",\"table\":\"orders\",\"filter\":\"status=eq.paid\"},"
                + "{\"event\":\"DELETE\",\"schema\":\"public\",\"table\":\"orders\"},"
                + "{\"event\":\"*\",\"schema\":\"shop\"}]");
    long updateId = FakeRealtimeServer.bindingIdOf(join, 0);
    long deleteId = FakeRealtimeServer.bindingIdOf(join, 1);
    long anyId = FakeRealtimeServer.bindingIdOf(join, 2);

    conn.change(
        "realtime:orders",
        FakeRealtimeServer.data("public", "orders", "UPDATE", row("o1", "paid"), row("o1", "new")),
        999,
        updateId);
    conn.change(
        "realtime:orders",
        FakeRealtimeServer.data("public", "orders", "INSERT", row("o2", "paid"), null),
        updateId); // wrong type
    conn.change(
        "realtime:orders",
        FakeRealtimeServer.data("public", "orders", "UPDATE", row("o3", "paid"), null),
        999); // unknown id
    conn.change(
        "realtime:orders",
        FakeRealtimeServer.data("public", "orders", "DELETE", null, row("o4", "x")),
        deleteId);
    conn.change(
        "realtime:orders",
        FakeRealtimeServer.data("shop", "carts", "INSERT", row("c1", "open"), null),
        anyId);

    await().atMost(WAIT).until(() -> anything.size() == 1);
    assertThat(paid).hasSize(1);
    PostgresChange update = paid.get(0);
    assertThat(update.type()).isEqualTo(ChangeEvent.UPDATE);
    assertThat(update.schema()).isEqualTo("public");
    assertThat(update.table()).isEqualTo("orders");
    assertThat(update.newRecord().get("id").asText()).isEqualTo("o1");
    assertThat(update.oldRecord().get("status").asText()).isEqualTo("new");
    assertThat(update.commitTimestamp()).isEqualTo(Instant.parse("2025-01-15T10:20:30.123Z"));
    assertThat(update.errors()).isEmpty();
    assertThat(deleted)
        .singleElement()
        .satisfies(
            d -> {
              assertThat(d.type()).isEqualTo(ChangeEvent.DELETE);
              assertThat(d.newRecord().isEmpty()).isTrue();
              assertThat(d.oldRecord().get("id").asText()).isEqualTo("o4");
            });
    assertThat(anything.get(0).table()).isEqualTo("carts");
    assertThat(statuses).containsExactly("JOINING", "SUBSCRIBED: Subscribed to PostgreSQL");
  }

  @Test
  void identicalFiltersAreJoinedOnceAndServeEveryCallback() {
    PostgresChangeFilter f = PostgresChangeFilter.of(ChangeEvent.INSERT, "public", "coding_jobs");
    List<PostgresChange> a = new CopyOnWriteArrayList<>();
    List<PostgresChange> b = new CopyOnWriteArrayList<>();
    RealtimeChannel channel =
        client.channel("dup").onPostgresChange(f, a::add).onPostgresChange(f, b::add).subscribe();
    FakeRealtimeServer.Conn conn = server.latest();
    await().atMost(WAIT).until(() -> channel.status() == ChannelStatus.SUBSCRIBED);
    Frame join = conn.lastFrame("realtime:dup", "phx_join");
    assertThat(join.payload().path("config").path("postgres_changes")).hasSize(1);
    conn.change(
        "realtime:dup", "INSERT", row("j1", "pending"), FakeRealtimeServer.bindingIdOf(join, 0));
    await().atMost(WAIT).until(() -> a.size() == 1 && b.size() == 1);
  }

  @Test
  void aBindingMismatchInTheReplyIsAnErrorAndLeaves() {
    server.mismatchBindings = true;
    RealtimeChannel channel =
        client
            .channel("mismatch")
            .onPostgresChange(PostgresChangeFilter.of(ChangeEvent.INSERT, "public", "t"), c -> {})
            .onStatus(this::record)
            .subscribe();
    FakeRealtimeServer.Conn conn = server.latest();
    conn.awaitFrame(f -> f.event().equals("phx_leave"));
    await().atMost(WAIT).until(() -> channel.status() == ChannelStatus.CHANNEL_ERROR);
    assertThat(channel.statusDetail())
        .isEqualTo("mismatch between server and client bindings for postgres changes");
    assertThat(timer.hasPending("rejoin")).isFalse();
  }

  @Test
  void aChannelCrashRejoinsWithANewJoinRefAndAStaleCloseIsIgnored() {
    RealtimeChannel channel = subscribe("crashy");
    FakeRealtimeServer.Conn conn = server.latest();
    Frame first = conn.lastFrame("realtime:crashy", "phx_join");
    conn.send(
        first.joinRef(),
        first.joinRef(),
        "realtime:crashy",
        "phx_error",
        FakeRealtimeServer.JSON.createObjectNode());
    await().atMost(WAIT).until(() -> timer.hasPending("rejoin"));
    assertThat(channel.status()).isEqualTo(ChannelStatus.CHANNEL_ERROR);
    assertThat(channel.statusDetail()).isEqualTo("channel error on the server");
    timer.fire("rejoin");
    await()
        .atMost(WAIT)
        .until(
            () ->
                conn.frames("phx_join").size() == 2
                    && channel.status() == ChannelStatus.SUBSCRIBED);
    Frame second = conn.lastFrame("realtime:crashy", "phx_join");
    assertThat(second.joinRef()).isNotEqualTo(first.joinRef());

    // The server's close of the old incarnation (as after a duplicate join) is not ours.
    conn.send(
        first.joinRef(),
        first.joinRef(),
        "realtime:crashy",
        "phx_close",
        FakeRealtimeServer.JSON.createObjectNode());
    conn.change(
        "realtime:crashy",
        "INSERT",
        row("after", "pending"),
        FakeRealtimeServer.bindingIdOf(second, 0));
    await().atMost(WAIT).until(() -> received.size() == 1);
    assertThat(channel.status()).isEqualTo(ChannelStatus.SUBSCRIBED);
  }

  private final List<PostgresChange> received = new CopyOnWriteArrayList<>();

  private RealtimeChannel subscribe(String name) {
    RealtimeChannel channel =
        client
            .channel(name)
            .onPostgresChange(
                PostgresChangeFilter.of(ChangeEvent.INSERT, "public", "coding_jobs"), received::add)
            .onStatus(this::record)
            .subscribe();
    await().atMost(WAIT).until(() -> channel.status() == ChannelStatus.SUBSCRIBED);
    return channel;
  }

  @Test
  void aSystemErrorThenCloseFromTheServerEndsTheChannelUnlessRejoinIsAsked() {
    RealtimeChannel channel = subscribe("expiring");
    FakeRealtimeServer.Conn conn = server.latest();
    Frame join = conn.lastFrame("realtime:expiring", "phx_join");
    conn.systemError("realtime:expiring", "Token has expired 12 seconds ago", "system");
    conn.send(
        join.joinRef(),
        join.joinRef(),
        "realtime:expiring",
        "phx_close",
        FakeRealtimeServer.JSON.createObjectNode());
    await().atMost(WAIT).until(() -> channel.status() == ChannelStatus.CLOSED);
    assertThat(statuses)
        .containsSubsequence(
            "CHANNEL_ERROR: Token has expired 12 seconds ago",
            "CLOSED: channel closed by the server");
    assertThat(timer.hasPending("rejoin")).isFalse();
    // Removed from the client: the name can be subscribed again.
    RealtimeChannel again = subscribe("expiring");
    assertThat(again.status()).isEqualTo(ChannelStatus.SUBSCRIBED);
  }

  @Test
  void aRefusedHandshakeIsSurfacedWithTheServersErrorAndRetried() {
    server.refuseNext.set(1);
    server.refuseCode = 401;
    server.refuseBody = "{\"error\":\"Token has expired\"}";
    RealtimeChannel channel =
        client
            .channel("refused")
            .onPostgresChange(PostgresChangeFilter.of(ChangeEvent.INSERT, "public", "t"), c -> {})
            .onStatus(this::record)
            .subscribe();
    await().atMost(WAIT).until(() -> timer.hasPending("reconnect"));
    assertThat(channel.status()).isEqualTo(ChannelStatus.CHANNEL_ERROR);
    assertThat(channel.statusDetail()).isEqualTo("handshake refused: HTTP 401 Token has expired");
    timer.fire("reconnect");
    await().atMost(WAIT).until(() -> channel.status() == ChannelStatus.SUBSCRIBED);
  }

  @Test
  void anAbruptDropIsAChannelErrorAndTheReopenRejoinsAtOnce() throws Exception {
    // The caller's OkHttp client is used; its socket factory lets the test cut the TCP connection.
    List<Socket> sockets = new CopyOnWriteArrayList<>();
    SocketFactory recording =
        new SocketFactory() {
          private Socket keep(Socket s) {
            sockets.add(s);
            return s;
          }

          @Override
          public Socket createSocket() {
            return keep(new Socket());
          }

          @Override
          public Socket createSocket(String host, int port) throws IOException {
            return keep(new Socket(host, port));
          }

          @Override
          public Socket createSocket(String host, int port, InetAddress local, int localPort)
              throws IOException {
            return keep(new Socket(host, port, local, localPort));
          }

          @Override
          public Socket createSocket(InetAddress host, int port) throws IOException {
            return keep(new Socket(host, port));
          }

          @Override
          public Socket createSocket(InetAddress host, int port, InetAddress local, int localPort)
              throws IOException {
            return keep(new Socket(host, port, local, localPort));
          }
        };
    OkHttpClient http = new OkHttpClient.Builder().socketFactory(recording).build();
    client.close();
    client =
        RealtimeClient.builder()
            .supabaseUrl(server.url())
            .apiKey(KEY)
            .httpClient(http)
            .timer(timer)
            .build();
    RealtimeChannel channel = subscribe("dropped");
    assertThat(sockets).hasSize(1);
    sockets.get(0).close();
    await().atMost(WAIT).until(() -> timer.hasPending("reconnect"));
    assertThat(channel.status()).isEqualTo(ChannelStatus.CHANNEL_ERROR);
    assertThat(channel.statusDetail()).startsWith("connection failed");
    timer.fire("reconnect");
    await().atMost(WAIT).until(() -> channel.status() == ChannelStatus.SUBSCRIBED);
    assertThat(server.connections).hasSize(2);
    assertThat(timer.delays("rejoin")).isEmpty(); // rejoined on open, not after a rejoin delay
    client.close();
    // The caller's client is not shut down by ours.
    assertThat(http.dispatcher().executorService().isShutdown()).isFalse();
  }

  @Test
  void unsubscribeLeavesOneChannelAndKeepsTheSocketForOthers() {
    RealtimeChannel a = subscribe("a");
    RealtimeChannel b = subscribe("b");
    FakeRealtimeServer.Conn conn = server.latest();
    a.unsubscribe();
    assertThat(conn.awaitFrame(f -> f.event().equals("phx_leave")).topic()).isEqualTo("realtime:a");
    await().atMost(WAIT).until(() -> a.status() == ChannelStatus.CLOSED);
    a.unsubscribe(); // idempotent
    conn.change(
        "realtime:b",
        "INSERT",
        row("b1", "pending"),
        FakeRealtimeServer.bindingIdOf(conn.lastFrame("realtime:b", "phx_join"), 0));
    await().atMost(WAIT).until(() -> received.size() == 1);
    assertThat(b.status()).isEqualTo(ChannelStatus.SUBSCRIBED);
    assertThat(client.isConnected()).isTrue();
    assertThat(server.connections).hasSize(1);
  }

  @Test
  void aNameCanBeSubscribedAgainRightAfterUnsubscribing() {
    PostgresChangeFilter f = PostgresChangeFilter.of(ChangeEvent.INSERT, "public", "coding_jobs");
    RealtimeChannel first = subscribe("again");
    first.unsubscribe();
    RealtimeChannel second = client.channel("again").onPostgresChange(f, received::add).subscribe();
    await().atMost(WAIT).until(() -> second.status() == ChannelStatus.SUBSCRIBED);
    assertThat(first.status()).isEqualTo(ChannelStatus.CLOSED);
    // The old channel's leave must not free the new one's name.
    assertThatThrownBy(() -> client.channel("again").onPostgresChange(f, c -> {}).subscribe())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("already subscribed");
  }

  @Test
  void aChannelIsCheckedWhenItSubscribes() {
    PostgresChangeFilter f = PostgresChangeFilter.of(ChangeEvent.INSERT, "public", "t");
    assertThatThrownBy(() -> client.channel(" ").onPostgresChange(f, c -> {}).subscribe())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("name");
    assertThatThrownBy(() -> client.channel("realtime:x").onPostgresChange(f, c -> {}).subscribe())
        .hasMessageContaining("prefix");
    assertThatThrownBy(() -> client.channel("none").subscribe())
        .hasMessageContaining("at least one onPostgresChange");
    client.channel("once").onPostgresChange(f, c -> {}).subscribe();
    assertThatThrownBy(() -> client.channel("once").onPostgresChange(f, c -> {}).subscribe())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("already subscribed");
    assertThatThrownBy(() -> PostgresChangeFilter.of(ChangeEvent.INSERT, " ", "t"))
        .hasMessageContaining("schema");
    assertThatThrownBy(() -> f.withFilter(" ")).hasMessageContaining("filter");
    client.close();
    assertThatThrownBy(() -> client.channel("late").onPostgresChange(f, c -> {}).subscribe())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("closed");
  }

  @Test
  void aThrowingCallbackDoesNotStopTheOthers() {
    List<PostgresChange> good = new CopyOnWriteArrayList<>();
    PostgresChangeFilter f = PostgresChangeFilter.of(ChangeEvent.INSERT, "public", "coding_jobs");
    RealtimeChannel channel =
        client
            .channel("throwing")
            .onPostgresChange(
                f,
                c -> {
                  throw new IllegalStateException("callback bug");
                })
            .onPostgresChange(f, good::add)
            .onStatus(
                (s, d) -> {
                  throw new IllegalStateException("status listener bug");
                })
            .subscribe();
    FakeRealtimeServer.Conn conn = server.latest();
    await().atMost(WAIT).until(() -> channel.status() == ChannelStatus.SUBSCRIBED);
    long id = FakeRealtimeServer.bindingIdOf(conn.lastFrame("realtime:throwing", "phx_join"), 0);
    conn.change("realtime:throwing", "INSERT", row("1", "pending"), id);
    conn.change("realtime:throwing", "INSERT", row("2", "pending"), id);
    await().atMost(WAIT).until(() -> good.size() == 2);
  }
}
