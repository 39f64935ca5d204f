package dev.mobvibe.queue.internal.engine;

import java.io.PrintWriter;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * A real data source whose statements fail on demand: the next {@code n} statements whose text
 * contains a given fragment throw a connection-failure {@link SQLException} when prepared (they
 * never run), or run and then throw as if their reply had been lost (they ran and committed). Every
 * other statement reaches PostgreSQL unchanged.
 */
final class FaultyDataSource implements DataSource {
  private final DataSource real;
  private volatile String fragment;
  private final AtomicInteger failuresLeft = new AtomicInteger();
  private final AtomicInteger failed = new AtomicInteger();
  private volatile String lostReplyFragment;
  private final AtomicInteger lostRepliesLeft = new AtomicInteger();

  FaultyDataSource(DataSource real) {
    this.real = real;
  }

  /** Fails the next {@code times} statements containing {@code fragment}. */
  void failNext(String fragment, int times) {
    this.fragment = fragment;
    failuresLeft.set(times);
  }

  /** Runs the next {@code times} statements containing {@code fragment}, then fails them. */
  void loseReplyOfNext(String fragment, int times) {
    this.lostReplyFragment = fragment;
    lostRepliesLeft.set(times);
  }

  /** How many statements were failed so far. */
  int failed() {
    return failed.get();
  }

  @Override
  public Connection getConnection() throws SQLException {
    return wrap(real.getConnection());
  }

  @Override
  public Connection getConnection(String user, String password) throws SQLException {
    return wrap(real.getConnection(user, password));
  }

  private Connection wrap(Connection c) {
    return (Connection)
        Proxy.newProxyInstance(
            Connection.class.getClassLoader(),
            new Class<?>[] {Connection.class},
            (proxy, method, args) -> {
              if (method.getName().startsWith("prepare")
                  && args != null
                  && args[0] instanceof String sql
                  && fragment != null
                  && sql.contains(fragment)
                  && failuresLeft.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                failed.incrementAndGet();
                throw new SQLException("injected fault", "08006");
              }
              Object result = invoke(c, method, args);
              if (method.getName().equals("prepareStatement")
                  && args != null
                  && args[0] instanceof String sql
                  && lostReplyFragment != null
                  && sql.contains(lostReplyFragment)
                  && lostRepliesLeft.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                return loseReply((PreparedStatement) result);
              }
              return result;
            });
  }

  private PreparedStatement loseReply(PreparedStatement ps) {
    return (PreparedStatement)
        Proxy.newProxyInstance(
            PreparedStatement.class.getClassLoader(),
            new Class<?>[] {PreparedStatement.class},
            (proxy, method, args) -> {
              Object result = invoke(ps, method, args);
              if (method.getName().startsWith("execute")) {
                failed.incrementAndGet();
                throw new SQLException("injected fault: reply lost", "08006");
              }
              return result;
            });
  }

  private static Object invoke(Object target, java.lang.reflect.Method method, Object[] args)
      throws Throwable {
    try {
      return method.invoke(target, args);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }

  @Override
  public PrintWriter getLogWriter() throws SQLException {
    return real.getLogWriter();
  }

  @Override
  public void setLogWriter(PrintWriter out) throws SQLException {
    real.setLogWriter(out);
  }

  @Override
  public void setLoginTimeout(int seconds) throws SQLException {
    real.setLoginTimeout(seconds);
  }

  @Override
  public int getLoginTimeout() throws SQLException {
    return real.getLoginTimeout();
  }

  @Override
  public Logger getParentLogger() throws SQLFeatureNotSupportedException {
    return real.getParentLogger();
  }

  @Override
  public <T> T unwrap(Class<T> iface) throws SQLException {
    return real.unwrap(iface);
  }

  @Override
  public boolean isWrapperFor(Class<?> iface) throws SQLException {
    return real.isWrapperFor(iface);
  }
}
