package dev.mobvibe.queue.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.UnknownHostException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link TcpProxy} between JDBC and a real PostgreSQL: each fault does to an open or a new
 * connection what the network fault it stands for would, and closing leaves nothing behind. Every
 * wait is bounded by a JDBC timeout or Awaitility.
 */
@Timeout(60)
class TcpProxyTest {
  @RegisterExtension static final TestDatabase db = new TestDatabase();

  /** Far longer than any fault needs to show: a failure within this is a fast failure. */
  private static final int PATIENT_SOCKET_TIMEOUT_SECONDS = 30;

  private static final Duration FAST = Duration.ofSeconds(5);

  @BeforeAll
  static void needsALocalServer() throws UnknownHostException {
    String host = TcpProxy.serverOf(db.jdbcUrl()).getHostString();
    boolean local = true;
    for (InetAddress address : InetAddress.getAllByName(host)) {
      local &= address.isLoopbackAddress();
    }
    assumeTrue(local, "the proxy forwards to loopback addresses only; the test server is remote");
  }

  @Test
  void queriesPassThroughAndTheCountersFollowConnections() throws Exception {
    try (TcpProxy proxy = TcpProxy.forDatabase(db)) {
      try (Connection c = connect(proxy, PATIENT_SOCKET_TIMEOUT_SECONDS)) {
        assertThat(queryString(c, "SELECT current_database()")).isEqualTo(db.name());
        assertThat(queryString(c, "SELECT repeat('x', 100000)")).hasSize(100_000);
        assertThat(proxy.connectionsAccepted()).isEqualTo(1);
        assertThat(proxy.openConnections()).isEqualTo(1);
      }
      await().atMost(FAST).until(() -> proxy.openConnections() == 0);
      assertThat(proxy.connectionsRefused()).isZero();
    }
  }

  @Test
  void refuseNewRefusesNewConnectionsAtOnceWhileOpenOnesKeepWorking() throws Exception {
    try (TcpProxy proxy = TcpProxy.forDatabase(db);
        Connection open = connect(proxy, PATIENT_SOCKET_TIMEOUT_SECONDS)) {
      proxy.refuseNew();

      long start = System.nanoTime();
      assertThatThrownBy(() -> connect(proxy, PATIENT_SOCKET_TIMEOUT_SECONDS).close())
          .isInstanceOf(SQLException.class);
      assertThat(elapsedSince(start)).isLessThan(FAST);
      assertThat(proxy.connectionsRefused()).isPositive();
      assertThat(queryString(open, "SELECT 'still here'")).isEqualTo("still here");

      proxy.acceptNew();
      try (Connection again = connect(proxy, PATIENT_SOCKET_TIMEOUT_SECONDS)) {
        assertThat(queryString(again, "SELECT 'again'")).isEqualTo("again");
      }
    }
  }

  @Test
  void cutAllMakesTheNextQueryOfAnOpenConnectionFailFast() throws Exception {
    try (TcpProxy proxy = TcpProxy.forDatabase(db);
        Connection open = connect(proxy, PATIENT_SOCKET_TIMEOUT_SECONDS)) {
      assertThat(queryString(open, "SELECT 'before'")).isEqualTo("before");

      proxy.cutAll();

      long start = System.nanoTime();
      assertThatThrownBy(() -> queryString(open, "SELECT 'after'"))
          .isInstanceOf(SQLException.class);
      assertThat(elapsedSince(start)).isLessThan(FAST);
      assertThat(proxy.openConnections()).isZero();
      try (Connection fresh = connect(proxy, PATIENT_SOCKET_TIMEOUT_SECONDS)) {
        assertThat(queryString(fresh, "SELECT 'new ones work'")).isEqualTo("new ones work");
      }
    }
  }

  @Test
  void blackholeHangsOpenAndNewConnectionsUntilTheirTimeoutAndHealLetsNewOnesWork()
      throws Exception {
    try (TcpProxy proxy = TcpProxy.forDatabase(db);
        Connection open = connect(proxy, 1)) {
      assertThat(queryString(open, "SELECT 'before'")).isEqualTo("before");

      proxy.blackhole();

      long start = System.nanoTime();
      assertThatThrownBy(() -> queryString(open, "SELECT 'lost'")).isInstanceOf(SQLException.class);
      Duration waited = elapsedSince(start);
      // Nothing came back, not even a reset: the query waited for its 1 s socket timeout.
      assertThat(waited).isGreaterThanOrEqualTo(Duration.ofMillis(900)).isLessThan(FAST);

      start = System.nanoTime();
      assertThatThrownBy(() -> connect(proxy, 1).close()).isInstanceOf(SQLException.class);
      assertThat(elapsedSince(start))
          .isGreaterThanOrEqualTo(Duration.ofMillis(900))
          .isLessThan(Duration.ofSeconds(10));
      assertThat(proxy.openConnections()).as("sockets held open by the blackhole").isPositive();

      proxy.heal();

      assertThat(proxy.openConnections()).as("connections that lived through the hole").isZero();
      try (Connection fresh = connect(proxy, PATIENT_SOCKET_TIMEOUT_SECONDS)) {
        assertThat(queryString(fresh, "SELECT 'healed'")).isEqualTo("healed");
      }
    }
  }

  @Test
  void latencyDelaysEveryRoundTripByAtLeastTheLatency() throws Exception {
    Duration latency = Duration.ofMillis(300);
    try (TcpProxy proxy = TcpProxy.forDatabase(db);
        Connection c = connect(proxy, PATIENT_SOCKET_TIMEOUT_SECONDS)) {
      proxy.latency(latency);
      long start = System.nanoTime();
      assertThat(queryString(c, "SELECT 'slow'")).isEqualTo("slow");
      assertThat(elapsedSince(start)).isGreaterThanOrEqualTo(latency);

      proxy.latency(Duration.ZERO);
      start = System.nanoTime();
      assertThat(queryString(c, "SELECT 'fast'")).isEqualTo("fast");
      assertThat(elapsedSince(start)).isLessThan(latency);
    }
  }

  @Test
  void outageRefusesAndCutsAndRecoverEndsIt() throws Exception {
    try (TcpProxy proxy = TcpProxy.forDatabase(db);
        Connection open = connect(proxy, PATIENT_SOCKET_TIMEOUT_SECONDS)) {
      proxy.outage();

      assertThatThrownBy(() -> queryString(open, "SELECT 1")).isInstanceOf(SQLException.class);
      assertThatThrownBy(() -> connect(proxy, PATIENT_SOCKET_TIMEOUT_SECONDS).close())
          .isInstanceOf(SQLException.class);

      proxy.recover();
      try (Connection fresh = connect(proxy, PATIENT_SOCKET_TIMEOUT_SECONDS)) {
        assertThat(queryString(fresh, "SELECT 'back'")).isEqualTo("back");
      }
    }
  }

  @Test
  void closeEndsEveryThreadAndSocket() throws Exception {
    TcpProxy proxy = TcpProxy.forDatabase(db);
    String prefix = "tcp-proxy-" + proxy.port() + "-";
    Connection forwarded = connect(proxy, PATIENT_SOCKET_TIMEOUT_SECONDS);
    try {
      queryString(forwarded, "SELECT 1");
      proxy.latency(Duration.ofSeconds(10));
      proxy.blackhole();
      Socket held = new Socket();
      held.connect(new InetSocketAddress(proxy.host(), proxy.port()), 2_000);
      try (held) {
        await().atMost(FAST).until(() -> proxy.openConnections() == 2);
        assertThat(threadsNamed(prefix)).isNotEmpty();

        proxy.close();

        assertThat(threadsNamed(prefix)).isEmpty();
        assertThat(proxy.openConnections()).isZero();
        held.setSoTimeout(5_000);
        assertThatThrownBy(() -> held.getInputStream().read())
            .as("the held socket was reset")
            .isInstanceOf(java.io.IOException.class);
      }
    } finally {
      // Its socket was reset, so the driver cannot say goodbye: it reports that, and is closed.
      assertThatThrownBy(forwarded::close).isInstanceOf(SQLException.class);
      assertThat(forwarded.isClosed()).isTrue();
    }
    proxy.close(); // a second close does nothing
    assertThatThrownBy(() -> new Socket(proxy.host(), proxy.port()).close())
        .as("nothing listens any more")
        .isInstanceOf(java.io.IOException.class);
  }

  @Test
  void refusesATargetThatIsNotALoopbackAddress() {
    int before = threadsNamed("tcp-proxy-").size();
    assertThatThrownBy(() -> TcpProxy.to("192.0.2.10", 5432))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("loopback");
    assertThatThrownBy(() -> TcpProxy.forJdbcUrl("jdbc:postgresql://198.51.100.7:6543/db"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("loopback");
    assertThat(threadsNamed("tcp-proxy-")).hasSize(before);
  }

  @Test
  void routeReplacesHostAndPortAndKeepsTheRest() {
    try (TcpProxy proxy = TcpProxy.to("127.0.0.1", 5432)) {
      String here = "jdbc:postgresql://127.0.0.1:" + proxy.port();
      assertThat(proxy.route("jdbc:postgresql://127.0.0.1:5432/app?sslmode=disable&x=1"))
          .isEqualTo(here + "/app?sslmode=disable&x=1");
      assertThat(proxy.route("jdbc:postgresql://localhost/app")).isEqualTo(here + "/app");
      assertThat(proxy.route("jdbc:postgresql://[::1]:5432/app")).isEqualTo(here + "/app");
      assertThat(proxy.route("jdbc:postgresql://localhost:5432?ssl=false"))
          .isEqualTo(here + "?ssl=false");
      assertThat(proxy.route("jdbc:postgresql:app")).isEqualTo(here + "/app");
      assertThatThrownBy(() -> proxy.route("jdbc:postgresql://h1:5432,h2:5432/app"))
          .isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> proxy.route("jdbc:mysql://127.0.0.1/app"))
          .isInstanceOf(IllegalArgumentException.class);
    }
    assertThat(TcpProxy.serverOf("jdbc:postgresql://[::1]:6000/app"))
        .isEqualTo(InetSocketAddress.createUnresolved("::1", 6000));
    assertThat(TcpProxy.serverOf("jdbc:postgresql:app"))
        .isEqualTo(InetSocketAddress.createUnresolved("localhost", 5432));
  }

  /** Connects through the proxy; the socket timeout bounds every read, the login included. */
  private static Connection connect(TcpProxy proxy, int socketTimeoutSeconds) throws SQLException {
    Properties properties = new Properties();
    if (db.user() != null) {
      properties.setProperty("user", db.user());
    }
    if (db.password() != null) {
      properties.setProperty("password", db.password());
    }
    properties.setProperty("connectTimeout", "2");
    properties.setProperty("socketTimeout", String.valueOf(socketTimeoutSeconds));
    properties.setProperty("loginTimeout", String.valueOf(Math.min(socketTimeoutSeconds, 5) + 1));
    return DriverManager.getConnection(proxy.jdbcUrl(db), properties);
  }

  private static String queryString(Connection c, String sql) throws SQLException {
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    }
  }

  private static Duration elapsedSince(long startNanos) {
    return Duration.ofNanos(System.nanoTime() - startNanos);
  }

  private static List<String> threadsNamed(String prefix) {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(Thread::isAlive)
        .map(Thread::getName)
        .filter(name -> name.startsWith(prefix))
        .toList();
  }
}
