package dev.mobvibe.queue.internal.engine;

import java.io.PrintWriter;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * A real data source whose statements fail on demand: the next {@code n} statements whose text
 * contains a given fragment throw an {@link SQLException} when prepared (they never run), with a
 * connection-failure SQLState ({@code 08006}) or one the test chooses; or they run and then throw
 * as if their reply had been lost (they ran and committed). Steps may be queued: each applies to
 * the statements that match it until its count is spent, then the next step takes over. Every other
 * statement reaches PostgreSQL unchanged.
 */
final class FaultyDataSource implements DataSource {
  /** The connection-failure SQLState of {@link #failNext(String, int)}. */
  static final String CONNECTION_FAILURE = "08006";

  /** A step of the plan: {@code left} more matching statements fail with {@code sqlState}. */
  private static final class Step {
    final String fragment;
    final String sqlState; // null: let the statement through
    int left;

    Step(String fragment, String sqlState, int times) {
      this.fragment = fragment;
      this.sqlState = sqlState;
      this.left = times;
    }
  }

  private final DataSource real;
  private final Deque<Step> plan = new ArrayDeque<>();
  private final AtomicInteger failed = new AtomicInteger();
  private volatile String lostReplyFragment;
  private final AtomicInteger lostRepliesLeft = new AtomicInteger();

  FaultyDataSource(DataSource real) {
    this.real = real;
  }

  /** Fails the next {@code times} statements containing {@code fragment}, as a lost connection. */
  void failNext(String fragment, int times) {
    failNext(fragment, times, CONNECTION_FAILURE);
  }

  /** Fails the next {@code times} statements containing {@code fragment} with {@code sqlState}. */
  synchronized void failNext(String fragment, int times, String sqlState) {
    if (times > 0) {
      plan.addLast(new Step(fragment, sqlState, times));
    }
  }

  /** Lets the next {@code times} statements containing {@code fragment} through, then goes on. */
  synchronized void letThrough(String fragment, int times) {
    if (times > 0) {
      plan.addLast(new Step(fragment, null, times));
    }
  }

  /** The SQLState to fail this statement with, or null to run it; spends a step of the plan. */
  private synchronized String faultFor(String sql) {
    Step step = plan.peekFirst();
    if (step == null || !sql.contains(step.fragment)) {
      return null;
    }
    if (--step.left == 0) {
      plan.removeFirst();
    }
    return step.sqlState;
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
                  && args[0] instanceof String sql) {
                String sqlState = faultFor(sql);
                if (sqlState != null) {
                  failed.incrementAndGet();
                  throw new SQLException("injected fault", sqlState);
                }
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
