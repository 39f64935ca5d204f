package dev.mobvibe.queue.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP proxy for fault-injection tests: put it between a connection pool and PostgreSQL, then
 * switch network faults on and off while the test runs.
 *
 * <pre>{@code
 * try (TcpProxy proxy = TcpProxy.forDatabase(db)) {
 *   String url = proxy.jdbcUrl(db);          // the database, reached through the proxy
 *   ... connect, run some work ...
 *   proxy.cutAll();                          // every open connection is reset
 *   proxy.blackhole();                       // sockets stay open, no byte gets through
 *   proxy.heal();                            // back to normal
 * }
 * }</pre>
 *
 * <p>The proxy listens on an ephemeral port of {@code 127.0.0.1} and forwards each connection to
 * one target, which must be a loopback address: it never connects anywhere else. Faults, each
 * switchable at any time from any thread:
 *
 * <ul>
 *   <li>{@link #refuseNew()}: a new connection is accepted and reset at once (the client sees a
 *       refused or reset connection); open connections keep working. {@link #acceptNew()} ends it.
 *   <li>{@link #cutAll()}: every open connection is reset on both sides (RST, no FIN), as when the
 *       server restarts or a firewall drops the flows. New connections still work.
 *   <li>{@link #blackhole()}: a half-open network, as during a failover or with a dead peer. Every
 *       socket stays open but no byte is forwarded either way and no close is passed on; new
 *       connections are accepted and then hang too. Bytes sent during the hole are <b>dropped</b>,
 *       never delivered later. Since such a connection has lost bytes it can never be in step
 *       again, {@link #heal()} resets every connection that was open during the hole (its client
 *       sees a reset at its next read or write) and forwards new connections normally.
 *   <li>{@link #latency(Duration)}: each chunk of bytes read from either side is held this long
 *       before it is forwarded, so a request and its reply each take at least this much longer.
 *   <li>{@link #outage()}: {@link #refuseNew()} and {@link #cutAll()}; {@link #recover()} ends
 *       every fault at once.
 * </ul>
 *
 * <p>Counters tell how many connections were accepted, refused and are open. Thread-safe. {@link
 * #close()} closes every socket and ends every thread of the proxy; its threads are daemons named
 * {@code tcp-proxy-<port>-...}, after the port the proxy listens on.
 */
public final class TcpProxy implements AutoCloseable {
  private static final String JDBC_PREFIX = "jdbc:postgresql:";

  /** The port a JDBC URL without one means. */
  private static final int DEFAULT_POSTGRES_PORT = 5432;

  /** The address the proxy listens on. */
  private static final String LISTEN_HOST = "127.0.0.1";

  /** How long a connection to the target may take; a loopback target answers at once. */
  private static final int CONNECT_TIMEOUT_MILLIS = 5_000;

  /** How long {@link #close()} waits for the proxy's threads to end. */
  private static final long CLOSE_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(5);

  private static final int BUFFER_SIZE = 16 * 1024;

  private final String targetHost;
  private final List<InetAddress> targetAddresses;
  private final int targetPort;
  private final ServerSocket server;
  private final String threadPrefix;
  private final Set<Thread> threads = ConcurrentHashMap.newKeySet();
  private final AtomicLong accepted = new AtomicLong();
  private final AtomicLong refused = new AtomicLong();

  // Guarded by this: the open connections and the switches that decide what a new one gets.
  private final Map<Long, Link> links = new HashMap<>();
  private long nextLinkId;
  private boolean refusing;
  private boolean blackholed;
  private boolean closed;

  private volatile long latencyNanos;

  private TcpProxy(String targetHost, List<InetAddress> targetAddresses, int targetPort)
      throws IOException {
    this.targetHost = targetHost;
    this.targetAddresses = targetAddresses;
    this.targetPort = targetPort;
    this.server = new ServerSocket(0, 50, InetAddress.getByName(LISTEN_HOST));
    this.threadPrefix = "tcp-proxy-" + server.getLocalPort();
  }

  /**
   * Starts a proxy to a target on this machine.
   *
   * @param host the target host: a loopback address, or a name whose every address is loopback
   *     (such as {@code localhost})
   * @param port the target port, 1 to 65535
   * @return the running proxy, listening on an ephemeral port of {@code 127.0.0.1}
   * @throws IllegalArgumentException if the host is not a loopback address or cannot be resolved,
   *     or the port is out of range; nothing was started
   * @throws IllegalStateException if no local port can be opened
   */
  public static TcpProxy to(String host, int port) {
    Objects.requireNonNull(host, "host must not be null");
    if (port < 1 || port > 65_535) {
      throw new IllegalArgumentException("port must be between 1 and 65535, was " + port);
    }
    InetAddress[] addresses;
    try {
      addresses = InetAddress.getAllByName(host);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("target host '" + host + "' cannot be resolved", e);
    }
    for (InetAddress address : addresses) {
      if (!address.isLoopbackAddress()) {
        throw new IllegalArgumentException(
            "target must be a loopback address, but '"
                + host
                + "' resolves to "
                + address.getHostAddress());
      }
    }
    try {
      TcpProxy proxy = new TcpProxy(host, List.of(addresses), port);
      proxy.startThread(proxy.threadPrefix + "-accept", proxy::acceptLoop);
      return proxy;
    } catch (IOException e) {
      throw new IllegalStateException("cannot listen on " + LISTEN_HOST, e);
    }
  }

  /**
   * Starts a proxy to the server a {@code jdbc:postgresql:} URL names.
   *
   * @param jdbcUrl a URL with one host (port 5432 when it names none)
   * @return the running proxy
   * @throws IllegalArgumentException if the URL is not a single-host PostgreSQL JDBC URL or its
   *     host is not a loopback address
   */
  public static TcpProxy forJdbcUrl(String jdbcUrl) {
    InetSocketAddress target = serverOf(jdbcUrl);
    return to(target.getHostString(), target.getPort());
  }

  /**
   * Starts a proxy to the server of a test class's database.
   *
   * @param database the test class's database, already created
   * @return the running proxy; {@link #jdbcUrl(TestDatabase)} gives the URL through it
   * @throws IllegalArgumentException if the database's server is not on a loopback address (for
   *     example a remote {@code MOBVIBE_TEST_DATABASE_URL}): such tests cannot run there
   */
  public static TcpProxy forDatabase(TestDatabase database) {
    return forJdbcUrl(database.jdbcUrl());
  }

  /**
   * Returns the host and port a {@code jdbc:postgresql:} URL connects to, without resolving the
   * host: {@code localhost:5432} for {@code jdbc:postgresql:db}, port 5432 when none is given.
   *
   * @param jdbcUrl the URL
   * @return the host and port, unresolved
   * @throws IllegalArgumentException if the URL is not a PostgreSQL JDBC URL or names several hosts
   */
  public static InetSocketAddress serverOf(String jdbcUrl) {
    String authority = authorityOf(jdbcUrl);
    if (authority == null) {
      return InetSocketAddress.createUnresolved("localhost", DEFAULT_POSTGRES_PORT);
    }
    String host = authority;
    int port = DEFAULT_POSTGRES_PORT;
    int colon = authority.lastIndexOf(':');
    int bracket = authority.lastIndexOf(']');
    if (colon > bracket) {
      host = authority.substring(0, colon);
      try {
        port = Integer.parseInt(authority.substring(colon + 1));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("JDBC URL has a malformed port: " + authority, e);
      }
    }
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    if (host.isEmpty()) {
      host = "localhost";
    }
    return InetSocketAddress.createUnresolved(host, port);
  }

  /**
   * Returns a JDBC URL that reaches the same database through this proxy: the URL with its host and
   * port replaced by the proxy's, database and query parameters kept.
   *
   * @param jdbcUrl a single-host {@code jdbc:postgresql:} URL of this proxy's target
   * @return the URL through the proxy
   * @throws IllegalArgumentException if the URL is not a PostgreSQL JDBC URL or names several hosts
   */
  public String route(String jdbcUrl) {
    String authority = authorityOf(jdbcUrl);
    String rest = jdbcUrl.substring(JDBC_PREFIX.length());
    String here = "//" + LISTEN_HOST + ":" + port();
    if (authority == null) {
      // jdbc:postgresql:db (or :/db) names a database on localhost
      return JDBC_PREFIX + here + (rest.startsWith("/") ? rest : "/" + rest);
    }
    return JDBC_PREFIX + here + rest.substring(2 + authority.length());
  }

  /**
   * Returns the JDBC URL of a test class's database through this proxy; connect with the database's
   * {@link TestDatabase#user()} and {@link TestDatabase#password()}.
   *
   * @param database the test class's database
   * @return the URL through the proxy
   */
  public String jdbcUrl(TestDatabase database) {
    return route(database.jdbcUrl());
  }

  /** Returns the text between {@code //} and the path, or null for a URL without {@code //}. */
  private static String authorityOf(String jdbcUrl) {
    Objects.requireNonNull(jdbcUrl, "jdbcUrl must not be null");
    if (!jdbcUrl.startsWith(JDBC_PREFIX)) {
      throw new IllegalArgumentException("not a jdbc:postgresql: URL");
    }
    String rest = jdbcUrl.substring(JDBC_PREFIX.length());
    if (!rest.startsWith("//")) {
      return null;
    }
    int end = rest.length();
    for (char c : new char[] {'/', '?'}) {
      int i = rest.indexOf(c, 2);
      if (i >= 0 && i < end) {
        end = i;
      }
    }
    String authority = rest.substring(2, end);
    if (authority.contains(",")) {
      throw new IllegalArgumentException("a JDBC URL with several hosts cannot be proxied");
    }
    return authority;
  }

  /**
   * Returns the host the proxy listens on.
   *
   * @return {@code 127.0.0.1}
   */
  public String host() {
    return LISTEN_HOST;
  }

  /**
   * Returns the ephemeral port the proxy listens on.
   *
   * @return the port
   */
  public int port() {
    return server.getLocalPort();
  }

  /**
   * From now on, resets each new connection as soon as it is accepted; open connections keep
   * working. Idempotent.
   */
  public synchronized void refuseNew() {
    refusing = true;
  }

  /** Ends {@link #refuseNew()}: new connections are forwarded again. Idempotent. */
  public synchronized void acceptNew() {
    refusing = false;
  }

  /**
   * Resets every open connection on both sides (RST), including those held in a blackhole. New
   * connections are not affected.
   */
  public synchronized void cutAll() {
    for (Link link : new ArrayList<>(links.values())) {
      link.close(true);
    }
  }

  /**
   * Stops forwarding: every socket stays open, bytes from either side are dropped and closes are
   * not passed on; new connections are accepted and held the same way, never reaching the target.
   * Idempotent. See {@link #heal()}.
   */
  public synchronized void blackhole() {
    blackholed = true;
    for (Link link : links.values()) {
      link.swallowed = true;
    }
  }

  /**
   * Ends a {@link #blackhole()}: every connection that was open during it is reset (its bytes were
   * dropped, so it can never be in step again), and new connections are forwarded normally. Without
   * a blackhole it does nothing.
   */
  public synchronized void heal() {
    blackholed = false;
    for (Link link : new ArrayList<>(links.values())) {
      if (link.swallowed) {
        link.close(true);
      }
    }
  }

  /**
   * Holds each chunk of bytes this long before forwarding it, in both directions, on open and new
   * connections.
   *
   * @param latency the added delay; {@link Duration#ZERO} for none (the default)
   * @throws IllegalArgumentException if it is negative
   */
  public void latency(Duration latency) {
    Objects.requireNonNull(latency, "latency must not be null");
    if (latency.isNegative()) {
      throw new IllegalArgumentException("latency must not be negative, was " + latency);
    }
    latencyNanos = latency.toNanos();
  }

  /** A server outage: {@link #refuseNew()} and {@link #cutAll()}, in that order. */
  public synchronized void outage() {
    refuseNew();
    cutAll();
  }

  /**
   * Ends every fault: accepts new connections, {@linkplain #heal() heals} a blackhole and removes
   * latency.
   */
  public synchronized void recover() {
    acceptNew();
    heal();
    latency(Duration.ZERO);
  }

  /**
   * Returns how many connections the proxy accepted from clients, refused ones included.
   *
   * @return the count since the proxy started
   */
  public long connectionsAccepted() {
    return accepted.get();
  }

  /**
   * Returns how many connections were reset at once because of {@link #refuseNew()}, or because the
   * target refused them.
   *
   * @return the count since the proxy started
   */
  public long connectionsRefused() {
    return refused.get();
  }

  /**
   * Returns how many connections are open now: forwarded, or held in a blackhole.
   *
   * @return the count
   */
  public synchronized int openConnections() {
    return links.size();
  }

  /**
   * Closes the listening socket and every connection (reset), and waits up to 5 seconds for the
   * proxy's threads to end. Idempotent.
   *
   * @throws IllegalStateException if a thread of the proxy is still alive after that wait
   */
  @Override
  public void close() {
    List<Link> open;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      open = new ArrayList<>(links.values());
    }
    closeQuietly(server);
    for (Link link : open) {
      link.close(true);
    }
    long deadline = System.nanoTime() + CLOSE_TIMEOUT_NANOS;
    for (Thread thread : List.copyOf(threads)) {
      if (thread == Thread.currentThread()) {
        continue;
      }
      thread.interrupt(); // a pump may be holding a chunk back for latency
      try {
        thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    List<String> alive =
        threads.stream()
            .filter(t -> t.isAlive() && t != Thread.currentThread())
            .map(Thread::getName)
            .toList();
    if (!alive.isEmpty()) {
      throw new IllegalStateException("proxy threads did not end: " + alive);
    }
  }

  /**
   * Describes the proxy: where it listens and its target.
   *
   * @return for example {@code TcpProxy[127.0.0.1:41234 -> localhost:5432]}
   */
  @Override
  public String toString() {
    return "TcpProxy[" + LISTEN_HOST + ":" + port() + " -> " + targetHost + ":" + targetPort + "]";
  }

  private void acceptLoop() {
    while (true) {
      Socket client;
      try {
        client = server.accept();
      } catch (IOException e) {
        return; // closed
      }
      accepted.incrementAndGet();
      admit(client);
    }
  }

  private void admit(Socket client) {
    Link link;
    synchronized (this) {
      if (closed || refusing) {
        refused.incrementAndGet();
        reset(client);
        return;
      }
      link = new Link(nextLinkId++, client);
      links.put(link.id, link);
      if (blackholed) {
        link.swallowed = true; // held open, never connected to the target
        return;
      }
    }
    Socket upstream = connectToTarget();
    synchronized (this) {
      if (upstream == null) {
        refused.incrementAndGet();
        link.close(true);
        return;
      }
      link.upstream = upstream;
      if (link.closed.get()) {
        reset(upstream); // cut or closed while connecting
      } else if (!link.swallowed) {
        link.startPumps();
      } // else: a blackhole began while connecting; held until heal() or close()
    }
  }

  private Socket connectToTarget() {
    for (InetAddress address : targetAddresses) {
      Socket socket = new Socket();
      try {
        socket.setTcpNoDelay(true);
        socket.connect(new InetSocketAddress(address, targetPort), CONNECT_TIMEOUT_MILLIS);
        return socket;
      } catch (IOException e) {
        closeQuietly(socket); // try the target's next address
      }
    }
    return null;
  }

  private void startThread(String name, Runnable body) {
    Thread thread =
        new Thread(
            () -> {
              try {
                body.run();
              } finally {
                threads.remove(Thread.currentThread());
              }
            },
            name);
    thread.setDaemon(true);
    threads.add(thread);
    thread.start();
  }

  private static void reset(Socket socket) {
    try {
      socket.setSoLinger(true, 0); // close with RST, not FIN
    } catch (IOException e) {
      // already closed
    }
    closeQuietly(socket);
  }

  private static void closeQuietly(AutoCloseable closeable) {
    try {
      closeable.close();
    } catch (Exception e) {
      // closing is best effort: the socket is unusable either way
    }
  }

  /** One client connection and its connection to the target. */
  private final class Link {
    final long id;
    final Socket client;
    final AtomicBoolean closed = new AtomicBoolean();

    /** The connection to the target; null while a blackhole holds the client. Guarded by proxy. */
    Socket upstream;

    /** Set for good once a blackhole has held this link: its bytes are dropped from then on. */
    volatile boolean swallowed;

    Link(long id, Socket client) {
      this.id = id;
      this.client = client;
      try {
        client.setTcpNoDelay(true);
      } catch (IOException e) {
        // the first read will fail and close the link
      }
    }

    void startPumps() {
      String name = threadPrefix + "-" + id;
      Socket server = upstream;
      startThread(name + "-to-target", () -> pump(client, server));
      startThread(name + "-to-client", () -> pump(server, client));
    }

    private void pump(Socket from, Socket to) {
      byte[] buffer = new byte[BUFFER_SIZE];
      try {
        InputStream in = from.getInputStream();
        OutputStream out = to.getOutputStream();
        int n;
        while ((n = in.read(buffer)) >= 0) {
          long delay = latencyNanos;
          if (delay > 0 && !swallowed) {
            TimeUnit.NANOSECONDS.sleep(delay);
          }
          if (!swallowed) {
            out.write(buffer, 0, n);
            out.flush();
          }
        }
      } catch (IOException e) {
        // reset or closed: the end of this link, handled below
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt(); // close() or cutAll() ended the link while it waited
      }
      if (!swallowed) {
        // The end of one side ends the other, as on a real connection; a blackhole passes on
        // nothing, so a swallowed link stays open until heal() or close().
        close(false);
      }
    }

    /**
     * Closes both sockets, with a reset when {@code abort}, else with a normal close (FIN).
     * Idempotent.
     */
    void close(boolean abort) {
      if (!closed.compareAndSet(false, true)) {
        return;
      }
      Socket server;
      synchronized (TcpProxy.this) {
        links.remove(id);
        server = upstream;
      }
      for (Socket socket : new Socket[] {client, server}) {
        if (socket == null) {
          continue;
        }
        if (abort) {
          reset(socket);
        } else {
          closeQuietly(socket);
        }
      }
    }
  }
}
