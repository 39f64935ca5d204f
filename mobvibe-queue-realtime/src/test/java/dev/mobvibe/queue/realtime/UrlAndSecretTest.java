package dev.mobvibe.queue.realtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The key goes only to the configured host, never into text; without TLS to another host than this
 * machine, one warning says it travels unencrypted.
 */
class UrlAndSecretTest {
  /** Unique per run, so the log check cannot be fooled by another test's lines. */
  static final String KEY = "sk-" + UUID.randomUUID();

  static final String TOKEN = "jwt-" + UUID.randomUUID();

  private static RealtimeClient.Builder builder(String url) {
    return RealtimeClient.builder().supabaseUrl(url).apiKey(KEY);
  }

  @Test
  void plainWebSocketsToOtherHostsAreAllowedWithOneWarning() throws Exception {
    // Unique host names and ports, so that lines of other tests cannot count here.
    String run = UUID.randomUUID().toString().substring(0, 8);
    List<String> remote =
        List.of(
            "http://kong-" + run + ":8000",
            "ws://realtime-" + run + ".internal:4000/",
            "http://10.0.0.1:" + (20_000 + Math.abs(run.hashCode() % 10_000)));
    for (String url : remote) {
      assertThatCode(() -> builder(url).build().close()).as(url).doesNotThrowAnyException();
    }
    try (SupabaseRealtimeNotifier notifier =
        SupabaseRealtimeNotifier.builder()
            .supabaseUrl("http://supabase-" + run + ":8000")
            .apiKey(KEY)
            .build()) {
      assertThat(notifier.toString()).doesNotContain(KEY);
    }
    int loopbackPort = 30_000 + Math.abs(run.hashCode() % 10_000);
    List<String> local =
        List.of(
            "http://localhost:" + loopbackPort,
            "ws://127.0.0.1:" + loopbackPort,
            "http://[::1]:" + loopbackPort,
            "http://127.0.0.2:" + loopbackPort,
            "https://tls-" + run + ".example.com",
            "wss://tls-" + run + ".example.com/");
    for (String url : local) {
      assertThatCode(() -> builder(url).build().close()).as(url).doesNotThrowAnyException();
    }

    List<String> lines =
        Files.readAllLines(Path.of(System.getProperty("org.slf4j.simpleLogger.logFile")));
    for (String host : List.of("kong-" + run, "realtime-" + run + ".internal", "supabase-" + run)) {
      assertThat(lines.stream().filter(l -> l.contains("WARN") && l.contains(host + " is not")))
          .as(host)
          .singleElement()
          .asString()
          .contains("travels unencrypted")
          .contains("apikey=***")
          .doesNotContain(KEY);
    }
    assertThat(lines)
        .filteredOn(l -> l.contains("10.0.0.1 is not"))
        .anyMatch(l -> l.contains("WARN"));
    assertThat(lines)
        .filteredOn(l -> l.contains(":" + loopbackPort) || l.contains("tls-" + run))
        .noneMatch(l -> l.contains("WARN"));
    assertThat(lines).noneMatch(l -> l.contains(KEY));
  }

  @Test
  void otherSchemesAreRefused() {
    for (String bad : List.of("ftp://example.com", "file:///etc/passwd", "mailto:a@example.com")) {
      assertThatThrownBy(() -> builder(bad).build())
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("supabaseUrl")
          .hasMessageNotContaining(KEY);
    }
  }

  @Test
  void otherBadOptionsAreNamedWithoutTheSecret() {
    assertThatThrownBy(() -> builder("ftp://abc.supabase.co").build())
        .hasMessageContaining("supabaseUrl");
    assertThatThrownBy(() -> builder(null).build()).hasMessageContaining("supabaseUrl");
    assertThatThrownBy(() -> builder("https://abc.supabase.co?apikey=" + KEY).build())
        .hasMessageContaining("supabaseUrl")
        .hasMessageNotContaining(KEY);
    assertThatThrownBy(() -> builder("https://u:" + KEY + "@abc.supabase.co").build())
        .hasMessageNotContaining(KEY);
    assertThatThrownBy(() -> RealtimeClient.builder().supabaseUrl("https://a.supabase.co").build())
        .hasMessageContaining("apiKey");
    assertThatThrownBy(
            () ->
                RealtimeClient.builder()
                    .supabaseUrl("https://a.supabase.co")
                    .apiKey(KEY + " x")
                    .build())
        .hasMessageContaining("apiKey")
        .hasMessageNotContaining(KEY);
    assertThatThrownBy(
            () -> builder("https://a.supabase.co").heartbeatInterval(Duration.ZERO).build())
        .hasMessageContaining("heartbeatInterval")
        .hasMessageContaining("PT0S");
    assertThatThrownBy(() -> builder("https://a.supabase.co").reconnectDelays(List.of()).build())
        .hasMessageContaining("reconnectDelays");
    assertThatThrownBy(
            () ->
                SupabaseRealtimeNotifier.builder()
                    .supabaseUrl("ftp://example.com")
                    .apiKey(KEY)
                    .build())
        .hasMessageContaining("supabaseUrl")
        .hasMessageNotContaining(KEY);
    assertThatThrownBy(() -> SupabaseRealtimeNotifier.builder().channelName("realtime:x").build())
        .hasMessageContaining("channelName");
  }

  @Test
  void toStringShowsNoSecret() {
    RealtimeClient.Builder b = builder("https://abc.supabase.co").accessToken(TOKEN);
    assertThat(b.toString()).doesNotContain(KEY).doesNotContain(TOKEN);
    try (RealtimeClient client = b.build();
        SupabaseRealtimeNotifier notifier =
            SupabaseRealtimeNotifier.builder()
                .supabaseUrl("https://abc.supabase.co")
                .apiKey(KEY)
                .build()) {
      assertThat(client.toString())
          .doesNotContain(KEY)
          .contains("wss://abc.supabase.co/realtime/v1/websocket?apikey=***&vsn=2.0.0");
      assertThat(notifier.toString()).doesNotContain(KEY).contains("apikey=***");
    }
  }

  @Test
  void theKeyAndTokensNeverReachTheLog() throws Exception {
    try (FakeRealtimeServer server = new FakeRealtimeServer()) {
      ManualTimer timer = new ManualTimer();
      server.refuseNext.set(1);
      server.refuseCode = 401;
      // A body that echoes the key must not carry it into our messages either.
      server.refuseBody = "{\"error\":\"bad key " + KEY + "\"}";
      server.joinMode = FakeRealtimeServer.JoinMode.ERROR;
      server.joinErrorReason = "InvalidJWTToken: Token has expired 5 seconds ago";
      try (RealtimeClient client =
          RealtimeClient.builder()
              .supabaseUrl(server.url())
              .apiKey(KEY)
              .accessToken(TOKEN)
              .timer(timer)
              .build()) {
        RealtimeChannel channel =
            client
                .channel("secret")
                .onPostgresChange(
                    PostgresChangeFilter.of(ChangeEvent.INSERT, "public", "t"), c -> {})
                .subscribe();
        await().atMost(Duration.ofSeconds(10)).until(() -> timer.hasPending("reconnect"));
        assertThat(channel.statusDetail())
            .startsWith("handshake refused: HTTP 401")
            .doesNotContain(KEY);
        timer.fire("reconnect");
        await().atMost(Duration.ofSeconds(10)).until(() -> timer.hasPending("rejoin"));
        server.joinMode = FakeRealtimeServer.JoinMode.OK;
        timer.fire("rejoin");
        await()
            .atMost(Duration.ofSeconds(10))
            .until(() -> channel.status() == ChannelStatus.SUBSCRIBED);
        client.setAuth(TOKEN + "-2");
        server.latest().awaitFrame(f -> f.event().equals("access_token"));
        // The key did travel, but only in the URL of the configured host.
        assertThat(server.requests.get(1).getUrl().queryParameter("apikey")).isEqualTo(KEY);
      }
    }
    String log = Files.readString(Path.of(System.getProperty("org.slf4j.simpleLogger.logFile")));
    assertThat(log).contains("apikey=***").contains("handshake refused: HTTP 401");
    assertThat(log).doesNotContain(KEY).doesNotContain(TOKEN);
  }
}
