package dev.mobvibe.queue.realtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mobvibe.queue.JobSignal;
import dev.mobvibe.queue.NotifierState;
import dev.mobvibe.queue.realtime.FakeRealtimeServer.Frame;
import dev.mobvibe.queue.realtime.RealtimeClient.ProtocolVersion;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The Supabase notifier against an in-test Realtime server, message by message as
 * realtime-protocol.md §9 shows. Time moves only through {@link ManualTimer}: no sleeps.
 */
class SupabaseRealtimeNotifierTest {
  static final String KEY = "service-role-key-for-tests";
  static final String TOPIC = "realtime:new_jobs";
  static final Duration WAIT = Duration.ofSeconds(10);
  static final String JOIN_PAYLOAD =
      "{\"config\":{\"broadcast\":{\"ack\":false,\"self\":false},"
          + "\"presence\":{\"key\":\"\",\"enabled\":false},"
          + "\"postgres_changes\":[{\"event\":\"INSERT\",\"schema\":\"public\","
          + "\"table\":\"coding_jobs\",\"filter\":\"status=eq.pending\"}],\"private\":false},"
          + "\"access_token\":\""
          + KEY
          + "\"}";

  private FakeRealtimeServer server;
  private final ManualTimer timer = new ManualTimer();
  private final List<JobSignal> signals = new CopyOnWriteArrayList<>();
  private SupabaseRealtimeNotifier notifier;

  @BeforeEach
  void startServer() throws Exception {
    server = new FakeRealtimeServer();
  }

  @AfterEach
  void stop() throws Exception {
    if (notifier != null) {
      notifier.close();
    }
    server.close();
  }

  private SupabaseRealtimeNotifier start(ProtocolVersion version) {
    notifier =
        SupabaseRealtimeNotifier.builder()
            .supabaseUrl(server.url())
            .apiKey(KEY)
            .protocolVersion(version)
            .timer(timer)
            .build();
    notifier.subscribe(signals::add);
    return notifier;
  }

  private FakeRealtimeServer.Conn subscribed(ProtocolVersion version) {
    start(version);
    FakeRealtimeServer.Conn conn = server.latest();
    awaitListening(1);
    return conn;
  }

  private void awaitListening(long catchUps) {
    await()
        .atMost(WAIT)
        .until(
            () ->
                notifier.state() == NotifierState.LISTENING
                    && count(JobSignal.Source.RECONNECT) == catchUps);
  }

  private long count(JobSignal.Source source) {
    return signals.stream().filter(s -> s.source() == source).count();
  }

  private boolean notified(UUID jobId) {
    return signals.stream()
        .anyMatch(s -> s.source() == JobSignal.Source.NOTIFICATION && jobId.equals(s.jobId()));
  }

  private UUID insert(FakeRealtimeServer.Conn conn) {
    UUID id = UUID.randomUUID();
    conn.change(
        TOPIC,
        "INSERT",
        FakeRealtimeServer.jobRecord(id.toString(), UUID.randomUUID().toString(), 10),
        conn.firstBindingId(TOPIC));
    return id;
  }

  private Frame join(FakeRealtimeServer.Conn conn, int n) {
    await().atMost(WAIT).until(() -> conn.frames("phx_join").size() >= n);
    return conn.frames("phx_join").get(n - 1);
  }

  @ParameterizedTest
  @EnumSource(ProtocolVersion.class)
  void joinsLikeTheSeedClientAndSubscribesOnlyWhenTheServerSaysChangesFlow(ProtocolVersion v) {
    server.systemOkAfterJoin = false;
    start(v);
    FakeRealtimeServer.Conn conn = server.latest();
    assertThat(conn.version).isEqualTo(v);
    assertThat(server.requests.get(0).getUrl().encodedPath()).isEqualTo("/realtime/v1/websocket");
    assertThat(server.requests.get(0).getUrl().encodedQuery())
        .isEqualTo("apikey=" + KEY + "&vsn=" + v.vsn());

    Frame join = join(conn, 1);
    assertThat(join.ref()).isEqualTo(join.joinRef()).isNotNull();
    String ref = join.ref();
    assertThat(join.raw())
        .isEqualTo(
            v == ProtocolVersion.V2
                ? "[\""
                    + ref
                    + "\",\""
                    + ref
                    + "\",\""
                    + TOPIC
                    + "\",\"phx_join\","
                    + JOIN_PAYLOAD
                    + "]"
                : "{\"topic\":\""
                    + TOPIC
                    + "\",\"event\":\"phx_join\",\"payload\":"
                    + JOIN_PAYLOAD
                    + ",\"ref\":\""
                    + ref
                    + "\",\"join_ref\":\""
                    + ref
                    + "\"}");

    // The join reply alone is not SUBSCRIBED: the official client says so here and misses changes.
    UUID early = insert(conn); // the reply was processed once this change gets through
    await().atMost(WAIT).until(() -> notified(early));
    assertThat(notifier.state()).isEqualTo(NotifierState.CONNECTING);
    assertThat(notifier.channelStatus()).isEqualTo(ChannelStatus.JOINING);
    assertThat(count(JobSignal.Source.RECONNECT)).isZero();

    conn.systemOk(TOPIC);
    awaitListening(1); // SUBSCRIBED, with one catch-up signal at that moment
    assertThat(notifier.channelStatus()).isEqualTo(ChannelStatus.SUBSCRIBED);

    UUID id = UUID.randomUUID();
    UUID session = UUID.randomUUID();
    conn.change(
        TOPIC,
        "INSERT",
        FakeRealtimeServer.jobRecord(id.toString(), session.toString(), 5),
        conn.firstBindingId(TOPIC));
    await().atMost(WAIT).until(() -> notified(id));
    assertThat(signals).contains(new JobSignal(JobSignal.Source.NOTIFICATION, id, session, 5));
    assertThat(conn.malformed).isEmpty();
  }

  @ParameterizedTest
  @EnumSource(ProtocolVersion.class)
  void heartbeatRepliesKeepTheConnectionAlive(ProtocolVersion v) {
    FakeRealtimeServer.Conn conn = subscribed(v);
    for (int i = 1; i <= 3; i++) {
      await().atMost(WAIT).until(() -> timer.hasPending("heartbeat"));
      assertThat(timer.pendingDelay("heartbeat")).contains(Duration.ofSeconds(25));
      timer.fire("heartbeat");
      int n = i;
      await().atMost(WAIT).until(() -> conn.frames("heartbeat").size() == n);
      Frame hb = conn.frames("heartbeat").get(i - 1);
      assertThat(hb.raw())
          .isEqualTo(
              v == ProtocolVersion.V2
                  ? "[null,\"" + hb.ref() + "\",\"phoenix\",\"heartbeat\",{}]"
                  : "{\"topic\":\"phoenix\",\"event\":\"heartbeat\",\"payload\":{},\"ref\":\""
                      + hb.ref()
                      + "\"}");
      // The reply cancels the timeout and schedules the next heartbeat one interval later.
      await()
          .atMost(WAIT)
          .until(() -> timer.hasPending("heartbeat") && !timer.hasPending("heartbeat-timeout"));
    }
    assertThat(server.connections).hasSize(1);
    assertThat(timer.delays("reconnect")).isEmpty();
    assertThat(notifier.state()).isEqualTo(NotifierState.LISTENING);
  }

  @Test
  void aMissedHeartbeatReplyClosesTheSocketAndReconnects() {
    FakeRealtimeServer.Conn first = subscribed(ProtocolVersion.V2);
    server.replyToHeartbeats = false;
    await().atMost(WAIT).until(() -> timer.hasPending("heartbeat"));
    timer.fire("heartbeat");
    await().atMost(WAIT).until(() -> timer.hasPending("heartbeat-timeout"));
    assertThat(timer.pendingDelay("heartbeat-timeout")).contains(Duration.ofSeconds(25));
    timer.fire("heartbeat-timeout");

    await().atMost(WAIT).until(() -> first.clientCloseCode != null);
    assertThat(first.clientCloseCode).isEqualTo(1000);
    assertThat(first.clientCloseReason).isEqualTo("heartbeat timeout");
    await().atMost(WAIT).until(() -> notifier.state() == NotifierState.RECONNECTING);
    assertThat(notifier.channelStatus()).isEqualTo(ChannelStatus.CHANNEL_ERROR);

    server.replyToHeartbeats = true;
    await().atMost(WAIT).until(() -> timer.hasPending("reconnect"));
    assertThat(timer.pendingDelay("reconnect")).contains(Duration.ofSeconds(1));
    timer.fire("reconnect");
    FakeRealtimeServer.Conn second = server.connection(1);
    awaitListening(2); // rejoined at once on open, with a new catch-up signal
    assertThat(join(second, 1).joinRef()).isNotEqualTo(join(first, 1).joinRef());
    UUID id = insert(second);
    await().atMost(WAIT).until(() -> notified(id));
  }

  @Test
  void aServerSideCloseReconnectsOnTheOfficialClientsSchedule() {
    FakeRealtimeServer.Conn first = subscribed(ProtocolVersion.V2);
    server.refuseNext.set(4);
    first.ws.close(1001, "going away");
    await().atMost(WAIT).until(() -> notifier.state() == NotifierState.RECONNECTING);

    // Four refused tries, then a good one: delays 1 s, 2 s, 5 s, 10 s, 10 s.
    for (int i = 1; i <= 5; i++) {
      int tries = i;
      await().atMost(WAIT).until(() -> timer.delays("reconnect").size() == tries);
      timer.fire("reconnect");
    }
    awaitListening(2);
    assertThat(timer.delays("reconnect"))
        .containsExactly(
            Duration.ofSeconds(1),
            Duration.ofSeconds(2),
            Duration.ofSeconds(5),
            Duration.ofSeconds(10),
            Duration.ofSeconds(10));
    assertThat(server.requests).hasSize(6);

    // A successful open starts the schedule over.
    server.latest().ws.close(1001, "going away");
    await().atMost(WAIT).until(() -> timer.delays("reconnect").size() == 6);
    assertThat(timer.delays("reconnect").get(5)).isEqualTo(Duration.ofSeconds(1));
  }

  @Test
  void aJoinErrorIsReportedAndRetriedWithBackoff() {
    server.joinMode = FakeRealtimeServer.JoinMode.ERROR;
    start(ProtocolVersion.V2);
    FakeRealtimeServer.Conn conn = server.latest();
    await().atMost(WAIT).until(() -> timer.hasPending("rejoin"));
    assertThat(notifier.channelStatus()).isEqualTo(ChannelStatus.CHANNEL_ERROR);
    assertThat(notifier.state()).isEqualTo(NotifierState.RECONNECTING);

    timer.fire("rejoin");
    await().atMost(WAIT).until(() -> timer.delays("rejoin").size() == 2);
    server.joinMode = FakeRealtimeServer.JoinMode.OK;
    timer.fire("rejoin");
    awaitListening(1);
    assertThat(timer.delays("rejoin"))
        .containsExactly(Duration.ofSeconds(1), Duration.ofSeconds(2));
    List<Frame> joins = conn.frames("phx_join");
    assertThat(joins).hasSize(3);
    assertThat(joins).extracting(Frame::joinRef).doesNotHaveDuplicates();
    assertThat(server.connections).hasSize(1); // a rejoin, not a reconnect
  }

  @Test
  void aJoinTimeoutIsReportedLeftAndRetried() {
    server.joinMode = FakeRealtimeServer.JoinMode.SILENT;
    start(ProtocolVersion.V2);
    FakeRealtimeServer.Conn conn = server.latest();
    Frame join = join(conn, 1);
    await().atMost(WAIT).until(() -> timer.hasPending("join-timeout"));
    assertThat(timer.pendingDelay("join-timeout")).contains(Duration.ofSeconds(10));
    timer.fire("join-timeout");

    await().atMost(WAIT).until(() -> notifier.channelStatus() == ChannelStatus.TIMED_OUT);
    assertThat(notifier.state()).isEqualTo(NotifierState.RECONNECTING);
    Frame leave = conn.awaitFrame(f -> f.event().equals("phx_leave"));
    assertThat(leave.joinRef()).isEqualTo(join.joinRef());

    server.joinMode = FakeRealtimeServer.JoinMode.OK;
    await().atMost(WAIT).until(() -> timer.hasPending("rejoin"));
    assertThat(timer.pendingDelay("rejoin")).contains(Duration.ofSeconds(1));
    timer.fire("rejoin");
    awaitListening(1);
  }

  @Test
  void aSystemErrorAfterTheJoinIsSurfacedAndHeartbeatsGoOn() {
    FakeRealtimeServer.Conn conn = subscribed(ProtocolVersion.V2);
    String text =
        "Unable to subscribe to changes with given parameters. Please check Realtime is enabled"
            + " for the given connect parameters: [event: INSERT, schema: public, table:"
            + " coding_jobs, filters: [{\"status\", \"eq\", \"pending\", false}], select: nil]";
    conn.systemError(TOPIC, text, "postgres_changes");
    await().atMost(WAIT).until(() -> notifier.channelStatus() == ChannelStatus.CHANNEL_ERROR);
    assertThat(notifier.state()).isEqualTo(NotifierState.RECONNECTING);

    await().atMost(WAIT).until(() -> timer.hasPending("heartbeat"));
    timer.fire("heartbeat");
    await().atMost(WAIT).until(() -> conn.frames("heartbeat").size() == 1);
    await().atMost(WAIT).until(() -> timer.hasPending("heartbeat"));
    assertThat(server.connections).hasSize(1);

    // A later confirmation (the server retries transient errors) brings it back.
    conn.systemOk(TOPIC);
    awaitListening(2);
  }

  @Test
  void theAccessTokenIsRefreshedWithoutReconnecting() {
    FakeRealtimeServer.Conn conn = subscribed(ProtocolVersion.V2);
    Frame join = join(conn, 1);
    notifier.setAuth("NEW_JWT");
    Frame token = conn.awaitFrame(f -> f.event().equals("access_token"));
    assertThat(token.raw())
        .isEqualTo(
            "[\""
                + join.joinRef()
                + "\",\""
                + token.ref()
                + "\",\""
                + TOPIC
                + "\",\"access_token\",{\"access_token\":\"NEW_JWT\"}]");

    notifier.setAuth("NEW_JWT"); // unchanged: nothing is sent
    await().atMost(WAIT).until(() -> timer.hasPending("heartbeat"));
    timer.fire(
        "heartbeat"); // frames arrive in order: once the heartbeat is in, so would a token be
    await().atMost(WAIT).until(() -> conn.frames("heartbeat").size() == 1);
    assertThat(conn.frames("access_token")).hasSize(1);
    assertThat(server.connections).hasSize(1);
    assertThat(notifier.state()).isEqualTo(NotifierState.LISTENING);

    // Later joins carry the new token.
    conn.send(
        join.joinRef(),
        join.joinRef(),
        TOPIC,
        "phx_error",
        FakeRealtimeServer.JSON.createObjectNode());
    await().atMost(WAIT).until(() -> timer.hasPending("rejoin"));
    timer.fire("rejoin");
    Frame rejoin = join(conn, 2);
    assertThat(rejoin.payload().get("access_token").asText()).isEqualTo("NEW_JWT");
    assertThat(rejoin.joinRef()).isNotEqualTo(join.joinRef());
    awaitListening(2);
  }

  @ParameterizedTest
  @EnumSource(ProtocolVersion.class)
  void malformedUnknownAndForeignFramesAreIgnored(ProtocolVersion v) {
    FakeRealtimeServer.Conn conn = subscribed(v);
    Frame join = join(conn, 1);
    var empty = FakeRealtimeServer.JSON.createObjectNode();
    conn.sendRaw("{not json");
    conn.sendRaw("");
    conn.sendRaw("[1,2]");
    conn.sendRaw(v == ProtocolVersion.V2 ? "{\"topic\":\"x\"}" : "[null,null,\"x\",\"y\",{}]");
    conn.sendRaw("\"just a string\"");
    conn.send(null, null, "realtime:other", "postgres_changes", empty);
    conn.send(null, "77", "phoenix", "phx_reply", FakeRealtimeServer.okReply(empty));
    conn.send(join.joinRef(), null, TOPIC, "presence_state", empty);
    conn.send(join.joinRef(), null, TOPIC, "broadcast", empty);
    conn.send(join.joinRef(), "999", TOPIC, "phx_reply", FakeRealtimeServer.okReply(empty));
    conn.send(join.joinRef(), null, TOPIC, "system", FakeRealtimeServer.JSON.createArrayNode());
    conn.send("999", "999", TOPIC, "phx_close", empty); // stale: an older incarnation
    conn.send(null, null, TOPIC, "postgres_changes", empty);
    conn.send(
        null,
        null,
        TOPIC,
        "postgres_changes",
        FakeRealtimeServer.JSON.createObjectNode().put("ids", "x"));
    long mine = conn.firstBindingId(TOPIC);
    UUID unknownId = UUID.randomUUID();
    conn.change(
        TOPIC, "INSERT", FakeRealtimeServer.jobRecord(unknownId.toString(), "x", 1), mine + 1);
    UUID wrongType = UUID.randomUUID();
    conn.change(TOPIC, "UPDATE", FakeRealtimeServer.jobRecord(wrongType.toString(), "x", 1), mine);
    var badRecord =
        FakeRealtimeServer.JSON.createObjectNode().put("id", "not-a-uuid").put("priority", "high");
    conn.change(TOPIC, "INSERT", badRecord, mine);

    UUID id = UUID.randomUUID();
    conn.change(
        TOPIC,
        "INSERT",
        FakeRealtimeServer.jobRecord(id.toString(), UUID.randomUUID().toString(), 0),
        mine + 1,
        mine);
    await().atMost(WAIT).until(() -> notified(id));
    assertThat(notified(unknownId)).isFalse();
    assertThat(notified(wrongType)).isFalse();
    // [unknown, mine] is delivered once; the bad record still wakes, without ids.
    assertThat(signals.stream().filter(s -> id.equals(s.jobId()))).hasSize(1);
    assertThat(signals).contains(JobSignal.of(JobSignal.Source.NOTIFICATION));
    assertThat(notifier.state()).isEqualTo(NotifierState.LISTENING);
    assertThat(server.connections).hasSize(1);
  }

  @Test
  void closeLeavesTheChannelAndClosesTheSocket() {
    FakeRealtimeServer.Conn conn = subscribed(ProtocolVersion.V2);
    Frame join = join(conn, 1);
    notifier.close();
    assertThat(notifier.state()).isEqualTo(NotifierState.CLOSED);
    Frame leave = conn.awaitFrame(f -> f.event().equals("phx_leave"));
    assertThat(leave.joinRef()).isEqualTo(join.joinRef());
    assertThat(leave.raw()).endsWith(",\"" + TOPIC + "\",\"phx_leave\",{}]");
    await().atMost(WAIT).until(() -> conn.clientCloseCode != null);
    assertThat(conn.clientCloseCode).isEqualTo(1000);
    await()
        .atMost(WAIT)
        .until(
            () ->
                Thread.getAllStackTraces().keySet().stream()
                    .noneMatch(t -> t.getName().equals("mobvibe-realtime-ws") && t.isAlive()));
    assertThat(timer.delays("reconnect")).isEmpty();
    notifier.close(); // idempotent
  }

  @Test
  void aSharedClientStaysOpenWhenTheNotifierCloses() {
    try (RealtimeClient client =
        RealtimeClient.builder().supabaseUrl(server.url()).apiKey(KEY).timer(timer).build()) {
      notifier = SupabaseRealtimeNotifier.builder().client(client).channelName("jobs-a").build();
      notifier.subscribe(signals::add);
      awaitListening(1);
      notifier.close();
      FakeRealtimeServer.Conn conn = server.latest();
      conn.awaitFrame(f -> f.event().equals("phx_leave"));
      assertThat(client.isConnected()).isTrue();
      assertThat(conn.clientCloseCode).isNull();
    }
  }
}
