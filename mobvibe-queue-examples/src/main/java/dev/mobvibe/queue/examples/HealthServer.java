package dev.mobvibe.queue.examples;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.mobvibe.queue.dashboard.Dashboard;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker's HTTP endpoint on the JDK's built-in server: {@code GET /health} answers 200 with a
 * JSON object when the worker is running and reaches its database, else 503 with the same object;
 * {@code GET /metrics} answers Prometheus text; with a dashboard, {@value #DASHBOARD_PATH} serves
 * it (its own token check applies).
 *
 * <p>{@value #THREADS} daemon threads, {@code mobvibe-health-<n>}, answer requests; the server's
 * own dispatcher thread only accepts connections and hands over those with data. Each exchange
 * (reading the request, computing the answer, writing it) may hold a thread for {@link
 * #REQUEST_TIME_LIMIT} at most, counted from when it starts on a thread: then the thread is
 * interrupted, which closes the exchange's channel (an interruptible channel) and frees the thread.
 * So a client that sends its request slowly, or never reads the answer, cannot hold a thread for
 * long. (The JDK's own limits, {@code sun.net.httpserver.maxReqTime} and {@code maxRspTime}, are
 * JVM-wide system properties read once, by the first server of the process; this limit belongs to
 * this server.)
 */
final class HealthServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(HealthServer.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Threads that answer requests: enough for probes and scrapes side by side. */
  static final int THREADS = 4;

  /**
   * The longest one exchange may hold a thread: 10 seconds, well above the database probe's 2 s and
   * a scrape's, and far above what a probe waits (Kubernetes: 1 s by default).
   */
  static final Duration REQUEST_TIME_LIMIT = Duration.ofSeconds(10);

  /** Where the dashboard is served when DASHBOARD_TOKEN is set. */
  static final String DASHBOARD_PATH = "/dashboard";

  /** What {@code /health} reports: whether healthy, and the JSON body. */
  record Health(boolean ok, Map<String, Object> body) {}

  private final HttpServer server;
  private final ExecutorService pool;
  private final ScheduledExecutorService watchdog;

  private HealthServer(HttpServer server, ExecutorService pool, ScheduledExecutorService watchdog) {
    this.server = server;
    this.pool = pool;
    this.watchdog = watchdog;
  }

  /**
   * Finds the address to listen on.
   *
   * @param bindAddress HEALTH_BIND_ADDRESS: an IP address (IPv6 with or without brackets) or a host
   *     name
   * @return the address
   * @throws CliException (exit code 2) when a host name does not resolve
   */
  static InetAddress resolve(String bindAddress) {
    String host =
        bindAddress.startsWith("[") && bindAddress.endsWith("]")
            ? bindAddress.substring(1, bindAddress.length() - 1)
            : bindAddress;
    try {
      return InetAddress.getByName(host);
    } catch (UnknownHostException e) {
      throw new CliException(
          2, "HEALTH_BIND_ADDRESS '" + bindAddress + "' is not a known host or an IP address");
    }
  }

  /**
   * Starts the server with the default {@link #REQUEST_TIME_LIMIT}.
   *
   * @param address the address to listen on (0.0.0.0: every interface)
   * @param port the port, 0 for any free one
   * @param health computes the health report per request
   * @param metrics renders the Prometheus text per request
   * @return the running server
   * @throws CliException (exit code 2) if the address and port cannot be bound
   */
  static HealthServer start(
      InetAddress address, int port, Supplier<Health> health, Supplier<String> metrics) {
    return start(address, port, REQUEST_TIME_LIMIT, health, metrics);
  }

  /**
   * Starts the server.
   *
   * @param address the address to listen on (0.0.0.0: every interface)
   * @param port the port, 0 for any free one
   * @param timeLimit the longest one exchange may hold a thread
   * @param health computes the health report per request
   * @param metrics renders the Prometheus text per request
   * @return the running server
   * @throws CliException (exit code 2) if the address and port cannot be bound
   */
  static HealthServer start(
      InetAddress address,
      int port,
      Duration timeLimit,
      Supplier<Health> health,
      Supplier<String> metrics) {
    return start(address, port, timeLimit, health, metrics, null);
  }

  /**
   * Starts the server, with the web dashboard at {@value #DASHBOARD_PATH} when one is given.
   *
   * @param address the address to listen on (0.0.0.0: every interface)
   * @param port the port, 0 for any free one
   * @param timeLimit the longest one exchange may hold a thread
   * @param health computes the health report per request
   * @param metrics renders the Prometheus text per request
   * @param dashboard the dashboard to serve, or null for none
   * @return the running server
   * @throws CliException (exit code 2) if the address and port cannot be bound
   */
  static HealthServer start(
      InetAddress address,
      int port,
      Duration timeLimit,
      Supplier<Health> health,
      Supplier<String> metrics,
      Dashboard dashboard) {
    HttpServer server;
    try {
      server = HttpServer.create(new InetSocketAddress(address, port), 16);
    } catch (IOException e) {
      throw new CliException(
          2,
          "HEALTH_CHECK_PORT "
              + port
              + " on HEALTH_BIND_ADDRESS "
              + address.getHostAddress()
              + " cannot be used: "
              + e.getMessage());
    }
    AtomicInteger threads = new AtomicInteger();
    ExecutorService pool =
        Executors.newFixedThreadPool(
            THREADS,
            r -> {
              Thread t = new Thread(r, "mobvibe-health-" + threads.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    ScheduledExecutorService watchdog =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "mobvibe-health-watchdog");
              t.setDaemon(true);
              return t;
            });
    server.setExecutor(new TimeLimit(pool, watchdog, timeLimit));
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
    if (dashboard != null) {
      dashboard.mount(server, DASHBOARD_PATH);
    }
    server.createContext(
        "/",
        exchange ->
            respond(exchange, () -> new Reply(404, "text/plain", "try /health or /metrics\n")));
    server.start();
    return new HealthServer(server, pool, watchdog);
  }

  /**
   * The port the server listens on.
   *
   * @return the bound port
   */
  int port() {
    return server.getAddress().getPort();
  }

  /**
   * The address the server listens on.
   *
   * @return the bound address
   */
  InetAddress address() {
    return server.getAddress().getAddress();
  }

  /**
   * Runs each exchange on the pool under a deadline counted from when it starts on a thread (an
   * exchange waiting in the queue holds no thread, and a probe queued behind slow clients still
   * gets its full time): past it, the thread is interrupted.
   */
  private static final class TimeLimit implements Executor {
    private final ExecutorService pool;
    private final ScheduledExecutorService watchdog;
    private final long limitNanos;

    TimeLimit(ExecutorService pool, ScheduledExecutorService watchdog, Duration limit) {
      this.pool = pool;
      this.watchdog = watchdog;
      this.limitNanos = limit.toNanos();
    }

    @Override
    public void execute(Runnable exchange) {
      pool.execute(() -> run(exchange));
    }

    private void run(Runnable exchange) {
      Deadline d = new Deadline(Thread.currentThread());
      ScheduledFuture<?> timer = null;
      try {
        timer = watchdog.schedule(d::expire, limitNanos, TimeUnit.NANOSECONDS);
      } catch (RejectedExecutionException e) {
        d.expire(); // closing: end the exchange at once
      }
      try {
        exchange.run();
      } finally {
        if (timer != null) {
          timer.cancel(false);
        }
        d.finish();
      }
    }
  }

  /** One exchange's deadline: interrupts its thread, unless the exchange finished first. */
  private static final class Deadline {
    private final Thread thread;
    private boolean finished; // guarded by this

    Deadline(Thread thread) {
      this.thread = thread;
    }

    synchronized void expire() {
      if (!finished) {
        thread.interrupt();
      }
    }

    /** Called on the exchange's thread: later expiry does nothing, and the flag is cleared. */
    synchronized void finish() {
      finished = true;
      Thread.interrupted(); // the pool thread serves the next exchange uninterrupted
    }
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
    pool.shutdownNow();
    watchdog.shutdownNow();
  }
}
