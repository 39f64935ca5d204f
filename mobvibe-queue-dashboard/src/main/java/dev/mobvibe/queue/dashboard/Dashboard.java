package dev.mobvibe.queue.dashboard;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import dev.mobvibe.queue.JobQueue;
import dev.mobvibe.queue.NotifierState;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * The web dashboard of a {@link JobQueue}, served by the JDK's built-in HTTP server ({@code
 * com.sun.net.httpserver}): an overview (counts per status, plan tier and kind, completions and
 * failures of the last hour, the oldest pending job, the workers holding jobs), a job list with
 * filters and keyset paging, a page per job (arguments, error history, session events), the dead
 * letters with replay, and the recurring schedules the workers registered. The overview refreshes
 * itself by polling.
 *
 * <pre>{@code
 * Dashboard dashboard = Dashboard.builder(queue).token(System.getenv("DASHBOARD_TOKEN")).build();
 * dashboard.mount(httpServer, "/dashboard");           // on a server you already run
 * HttpHandler h = dashboard.handler("/dashboard");      // or under a server of another kind
 * try (Dashboard.Server s = dashboard.start("127.0.0.1", 8081)) { ... } // or on its own
 * }</pre>
 *
 * <p>Every request needs the token: a login form sets an HttpOnly, SameSite=Strict cookie, and
 * scripts may send {@code Authorization: Bearer <token>}. Actions are POST only and checked against
 * cross-site requests. The dashboard starts no thread of its own unless {@link #start} is called.
 * Thread-safe: one dashboard may serve any number of concurrent requests and be mounted more than
 * once.
 */
public final class Dashboard {

  /** How often the overview page polls for new figures unless set: every 5 seconds. */
  public static final Duration DEFAULT_REFRESH_INTERVAL = Duration.ofSeconds(5);

  /** How long a login lasts unless set: 12 hours. */
  public static final Duration DEFAULT_SESSION_LIFETIME = Duration.ofHours(12);

  /** The shortest token accepted: 16 characters. */
  public static final int MIN_TOKEN_LENGTH = 16;

  /** Threads of a standalone server ({@link #start}): {@value}. */
  public static final int STANDALONE_THREADS = 4;

  private final DashboardSettings settings;

  private Dashboard(DashboardSettings settings) {
    this.settings = settings;
  }

  /**
   * Starts building a dashboard for a queue.
   *
   * @param queue the queue to show and act on; the dashboard does not close it
   * @return a builder
   * @throws NullPointerException if the queue is null
   */
  public static Builder builder(JobQueue queue) {
    return new Builder(Objects.requireNonNull(queue, "queue must not be null"));
  }

  /**
   * Serves the dashboard under a path of a server the caller runs (and stops). Requests run on the
   * server's executor.
   *
   * @param server the server
   * @param path where to mount, for example {@code /dashboard}: starts with {@code /}, no trailing
   *     slash (except {@code /} itself), letters, digits, {@code -}, {@code _}, {@code .} and
   *     {@code /} only
   * @throws IllegalArgumentException if the path is malformed, or already taken on the server
   */
  public void mount(HttpServer server, String path) {
    Objects.requireNonNull(server, "server must not be null");
    // handler(path) checks the path first, so the context is only created for a valid one.
    HttpHandler handler = handler(path);
    server.createContext(path, handler);
  }

  /**
   * Returns a handler that serves the dashboard under a path, for a server that hands requests to a
   * {@link HttpHandler} without being an {@link HttpServer} the dashboard could {@link #mount}
   * itself on: a servlet container through an adapter, for example (the Spring Boot starter does
   * this). The handler reads the path from {@link HttpExchange#getRequestURI()} as the client sent
   * it (raw, with its query), so give it only requests whose path starts with {@code path}; links,
   * redirects and the login cookie's {@code Path} are built from {@code path}, so it must be the
   * full path the client sees (a servlet context path included). Each call returns a new handler;
   * every handler is thread-safe, and closes each exchange it handles.
   *
   * @param path the path the dashboard answers under, for example {@code /dashboard}: starts with
   *     {@code /}, no trailing slash (except {@code /} itself), letters, digits, {@code -}, {@code
   *     _}, {@code .} and {@code /} only
   * @return the handler
   * @throws IllegalArgumentException if the path is malformed
   */
  public HttpHandler handler(String path) {
    return new DashboardHandler(settings, checkPath(path));
  }

  /**
   * Starts a server of its own that serves the dashboard at its root, on {@value
   * #STANDALONE_THREADS} daemon threads named {@code mobvibe-dashboard-<n>}.
   *
   * @param host the address to listen on; use {@code 127.0.0.1} unless others must reach it
   * @param port the port, 0 for any free one
   * @return the running server; close it to stop
   * @throws UncheckedIOException if the address and port cannot be bound
   */
  public Server start(String host, int port) {
    Objects.requireNonNull(host, "host must not be null");
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port must be between 0 and 65535, was " + port);
    }
    HttpServer server;
    try {
      server = HttpServer.create(new InetSocketAddress(InetAddress.getByName(host), port), 32);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot listen on " + host + " port " + port + ": " + e.getMessage(), e);
    }
    AtomicInteger threads = new AtomicInteger();
    ExecutorService pool =
        Executors.newFixedThreadPool(
            STANDALONE_THREADS,
            r -> {
              Thread t = new Thread(r, "mobvibe-dashboard-" + threads.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    server.setExecutor(pool);
    mount(server, "/");
    server.start();
    return new Server(server, pool);
  }

  static String checkPath(String path) {
    Objects.requireNonNull(path, "path must not be null");
    if ("/".equals(path)) {
      return "";
    }
    if (!path.matches("(/[A-Za-z0-9._-]+)+")) {
      throw new IllegalArgumentException(
          "path must look like /dashboard (no trailing slash), was '" + path + "'");
    }
    return path;
  }

  /**
   * A dashboard running on a server of its own ({@link #start}). Closing it stops the server at
   * once; the queue stays open.
   */
  public static final class Server implements AutoCloseable {
    private final HttpServer server;
    private final ExecutorService pool;

    private Server(HttpServer server, ExecutorService pool) {
      this.server = server;
      this.pool = pool;
    }

    /**
     * Returns the port the server listens on (useful after asking for port 0).
     *
     * @return the bound port
     */
    public int port() {
      return server.getAddress().getPort();
    }

    /**
     * Returns the address the server listens on.
     *
     * @return the bound address
     */
    public InetAddress address() {
      return server.getAddress().getAddress();
    }

    /** Stops the server; a second call does nothing. */
    @Override
    public void close() {
      server.stop(0);
      pool.shutdownNow();
    }
  }

  /** Builds a {@link Dashboard}. Not thread-safe; every check happens in {@link #build()}. */
  public static final class Builder {
    private final JobQueue queue;
    private String token;
    private Duration refreshInterval = DEFAULT_REFRESH_INTERVAL;
    private Duration sessionLifetime = DEFAULT_SESSION_LIFETIME;
    private Supplier<NotifierState> notifierState;
    private Clock clock = Clock.systemUTC();

    private Builder(JobQueue queue) {
      this.queue = queue;
    }

    /**
     * Sets the secret every request must present (required). It is never shown or logged.
     *
     * @param token at least {@value #MIN_TOKEN_LENGTH} characters, no whitespace
     * @return this builder
     */
    public Builder token(String token) {
      this.token = token;
      return this;
    }

    /**
     * Sets how often the overview page fetches new figures. Default {@link
     * #DEFAULT_REFRESH_INTERVAL}.
     *
     * @param refreshInterval from 500 ms to 10 minutes
     * @return this builder
     */
    public Builder refreshInterval(Duration refreshInterval) {
      this.refreshInterval = refreshInterval;
      return this;
    }

    /**
     * Sets how long a login (the cookie) stays valid. Default {@link #DEFAULT_SESSION_LIFETIME}.
     *
     * @param sessionLifetime from 1 minute to 30 days
     * @return this builder
     */
    public Builder sessionLifetime(Duration sessionLifetime) {
      this.sessionLifetime = sessionLifetime;
      return this;
    }

    /**
     * Shows the state of the worker's notifier on the overview, for a dashboard that runs inside a
     * worker. Default: none shown.
     *
     * @param notifierState asked on every overview request; must be fast and thread-safe
     * @return this builder
     */
    public Builder notifierState(Supplier<NotifierState> notifierState) {
      this.notifierState = notifierState;
      return this;
    }

    /**
     * Sets the clock that dates logins. Default the system clock (UTC).
     *
     * @param clock the clock
     * @return this builder
     */
    public Builder clock(Clock clock) {
      this.clock = clock;
      return this;
    }

    /**
     * Checks the options and builds the dashboard.
     *
     * @return the dashboard
     * @throws IllegalArgumentException naming the first option that is missing or out of range
     *     (never showing the token)
     */
    public Dashboard build() {
      if (token == null || token.isEmpty()) {
        throw new IllegalArgumentException("token is required");
      }
      if (token.length() < MIN_TOKEN_LENGTH || !token.chars().noneMatch(Character::isWhitespace)) {
        throw new IllegalArgumentException(
            "token must be at least "
                + MIN_TOKEN_LENGTH
                + " characters without whitespace (value not shown)");
      }
      Objects.requireNonNull(refreshInterval, "refreshInterval must not be null");
      if (refreshInterval.compareTo(Duration.ofMillis(500)) < 0
          || refreshInterval.compareTo(Duration.ofMinutes(10)) > 0) {
        throw new IllegalArgumentException(
            "refreshInterval must be between 500 ms and 10 minutes, was " + refreshInterval);
      }
      Objects.requireNonNull(sessionLifetime, "sessionLifetime must not be null");
      if (sessionLifetime.compareTo(Duration.ofMinutes(1)) < 0
          || sessionLifetime.compareTo(Duration.ofDays(30)) > 0) {
        throw new IllegalArgumentException(
            "sessionLifetime must be between 1 minute and 30 days, was " + sessionLifetime);
      }
      Objects.requireNonNull(clock, "clock must not be null");
      return new Dashboard(
          new DashboardSettings(
              queue,
              new Auth(token, sessionLifetime, clock),
              refreshInterval,
              notifierState == null ? () -> null : notifierState));
    }
  }
}
