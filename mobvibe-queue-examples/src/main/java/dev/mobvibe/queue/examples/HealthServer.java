package dev.mobvibe.queue.examples;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker's HTTP endpoint on the JDK's built-in server: {@code GET /health} answers 200 with a
 * JSON object when the worker is running and reaches its database, else 503 with the same object;
 * {@code GET /metrics} answers Prometheus text. One daemon thread, {@code mobvibe-health}.
 */
final class HealthServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(HealthServer.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** What {@code /health} reports: whether healthy, and the JSON body. */
  record Health(boolean ok, Map<String, Object> body) {}

  private final HttpServer server;
  private final ExecutorService executor;

  private HealthServer(HttpServer server, ExecutorService executor) {
    this.server = server;
    this.executor = executor;
  }

  /**
   * Starts the server on all interfaces.
   *
   * @param port the port, 0 for any free one
   * @param health computes the health report per request
   * @param metrics renders the Prometheus text per request
   * @return the running server
   * @throws CliException if the port cannot be bound
   */
  static HealthServer start(int port, Supplier<Health> health, Supplier<String> metrics) {
    HttpServer server;
    try {
      server = HttpServer.create(new InetSocketAddress(port), 16);
    } catch (IOException e) {
      throw new CliException(2, "HEALTH_CHECK_PORT " + port + " cannot be used: " + e.getMessage());
    }
    ExecutorService executor =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "mobvibe-health");
              t.setDaemon(true);
              return t;
            });
    server.setExecutor(executor);
    server.createContext(
        "/health",
        exchange ->
            respond(
                exchange,
                () -> {
                  Health h = health.get();
                  return new Reply(h.ok() ? 200 : 503, "application/json", json(h.body()));
                }));
    server.createContext(
        "/metrics",
        exchange ->
            respond(
                exchange,
                () -> new Reply(200, "text/plain; version=0.0.4; charset=utf-8", metrics.get())));
    server.createContext(
        "/",
        exchange ->
            respond(exchange, () -> new Reply(404, "text/plain", "try /health or /metrics\n")));
    server.start();
    return new HealthServer(server, executor);
  }

  /**
   * The port the server listens on.
   *
   * @return the bound port
   */
  int port() {
    return server.getAddress().getPort();
  }

  /** A response: status, content type and body. */
  private record Reply(int status, String type, String body) {}

  /**
   * Answers GET and HEAD with the reply, computed only then (it may query the database); any other
   * method gets 405 without it.
   */
  private static void respond(HttpExchange exchange, Supplier<Reply> reply) throws IOException {
    try (exchange) {
      if (!"GET".equals(exchange.getRequestMethod())
          && !"HEAD".equals(exchange.getRequestMethod())) {
        exchange.sendResponseHeaders(405, -1);
        return;
      }
      Reply r = reply.get();
      byte[] bytes = r.body().getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", r.type());
      exchange.getResponseHeaders().set("Cache-Control", "no-store");
      if ("HEAD".equals(exchange.getRequestMethod())) {
        exchange.sendResponseHeaders(r.status(), -1);
        return;
      }
      exchange.sendResponseHeaders(r.status(), bytes.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    } catch (RuntimeException e) {
      log.warn("health endpoint failed: {}", e.toString());
      throw e;
    }
  }

  private static String json(Map<String, Object> body) {
    try {
      return JSON.writeValueAsString(body) + "\n";
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Stops at once: the health endpoint is not worth waiting for at shutdown. */
  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
