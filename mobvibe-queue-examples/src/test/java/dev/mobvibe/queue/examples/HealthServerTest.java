package dev.mobvibe.queue.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The health server on 127.0.0.1: where it listens, and that clients which send slowly or never
 * read lose their thread after the time limit, so the probes are still answered.
 */
class HealthServerTest {
  private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
  private static final Duration LIMIT = Duration.ofSeconds(1);

  private static final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private final List<Socket> sockets = new ArrayList<>();
  private HealthServer server;

  @AfterEach
  void close() throws IOException {
    for (Socket s : sockets) {
      s.close();
    }
    if (server != null) {
      server.close();
    }
  }

  private HealthServer start(String metricsBody) {
    return start(() -> new HealthServer.Health(true, Map.of("status", "running")), metricsBody);
  }

  private HealthServer start(Supplier<HealthServer.Health> health, String metricsBody) {
    server = HealthServer.start(LOOPBACK, 0, LIMIT, health, () -> metricsBody);
    return server;
  }

  private HttpResponse<String> get(String path, Duration timeout) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
            .timeout(timeout)
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** A raw connection that sends these bytes and then nothing more. */
  private Socket send(String request, int receiveBuffer) throws IOException {
    Socket s = new Socket();
    sockets.add(s);
    if (receiveBuffer > 0) {
      s.setReceiveBufferSize(receiveBuffer);
    }
    s.connect(new InetSocketAddress(LOOPBACK, server.port()), 5_000);
    s.setSoTimeout(20_000);
    s.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
    s.getOutputStream().flush();
    return s;
  }

  /** Reads until the server closes the connection; returns the bytes read. */
  private static long drain(Socket s) throws IOException {
    InputStream in = s.getInputStream();
    byte[] buffer = new byte[64 * 1024];
    long total = 0;
    try {
      for (int n; (n = in.read(buffer)) >= 0; ) {
        total += n;
      }
    } catch (SocketTimeoutException e) {
      throw new AssertionError("the server did not close the connection", e);
    } catch (SocketException e) {
      // reset: closed as well
    }
    return total;
  }

  @Test
  void listensOnTheGivenAddress() throws Exception {
    start("");
    assertThat(server.address()).isEqualTo(LOOPBACK);
    assertThat(get("/health", Duration.ofSeconds(5)).statusCode()).isEqualTo(200);
    assertThat(HealthServer.resolve("[::1]").isLoopbackAddress()).isTrue();
    assertThat(HealthServer.resolve("0.0.0.0").isAnyLocalAddress()).isTrue();
  }

  @Test
  void anAddressOfAnotherMachineIsABadSetting() {
    // 192.0.2.1 is reserved for documentation: never an address of this machine.
    assertThatThrownBy(
            () ->
                HealthServer.start(
                    InetAddress.getByName("192.0.2.1"),
                    0,
                    () -> new HealthServer.Health(true, Map.of()),
                    () -> ""))
        .isInstanceOf(CliException.class)
        .hasMessageStartingWith(
            "HEALTH_CHECK_PORT 0 on HEALTH_BIND_ADDRESS 192.0.2.1 cannot be used")
        .satisfies(e -> assertThat(((CliException) e).exitCode()).isEqualTo(2));
  }

  @Test
  void clientsThatSendHalfARequestLoseTheirThreadsAfterTheLimit() throws Exception {
    start("");
    // One stalled request per thread: without a limit, nobody would be answered again.
    List<Socket> stalled = new ArrayList<>();
    for (int i = 0; i < HealthServer.THREADS; i++) {
      stalled.add(send("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: sl", 0));
    }
    HttpResponse<String> answer = get("/health", Duration.ofSeconds(15));
    assertThat(answer.statusCode()).isEqualTo(200);
    for (Socket s : stalled) {
      assertThat(drain(s)).as("bytes sent to a stalled client").isZero();
    }
  }

  @Test
  void clientsThatNeverReadLoseTheirThreadsAfterTheLimit() throws Exception {
    // Far more than the socket buffers between server and client hold: the writer blocks.
    String body = "x".repeat(16 * 1024 * 1024);
    // Healthy only when every thread answers a probe at the same time: then no thread is left
    // to a deaf client.
    CountDownLatch allThreads = new CountDownLatch(HealthServer.THREADS);
    start(
        () -> {
          allThreads.countDown();
          try {
            return new HealthServer.Health(
                allThreads.await(20, TimeUnit.SECONDS), Map.of("threads", "all"));
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new HealthServer.Health(false, Map.of());
          }
        },
        body);
    List<Socket> deaf = new ArrayList<>();
    for (int i = 0; i < HealthServer.THREADS; i++) {
      Socket s = send("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 4096);
      deaf.add(s);
      // The answer has begun: this exchange holds a thread, writing.
      await().atMost(Duration.ofSeconds(10)).until(() -> s.getInputStream().available() > 0);
    }
    List<CompletableFuture<HttpResponse<String>>> probes = new ArrayList<>();
    for (int i = 0; i < HealthServer.THREADS; i++) {
      probes.add(
          http.sendAsync(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/health"))
                  .timeout(Duration.ofSeconds(30))
                  .build(),
              HttpResponse.BodyHandlers.ofString()));
    }
    for (CompletableFuture<HttpResponse<String>> probe : probes) {
      assertThat(probe.get(40, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    }
    // Every deaf exchange was cut, so reading now gets only what the buffers held.
    for (Socket s : deaf) {
      assertThat(drain(s)).as("bytes of a cut answer").isLessThan(body.length());
    }
  }
}
