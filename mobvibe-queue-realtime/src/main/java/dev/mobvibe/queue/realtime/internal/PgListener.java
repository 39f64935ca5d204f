package dev.mobvibe.queue.realtime.internal;

import dev.mobvibe.queue.JobSignal;
import dev.mobvibe.queue.ListenerFanout;
import dev.mobvibe.queue.NotifierState;
import dev.mobvibe.queue.RetryPolicy;
import dev.mobvibe.queue.Subscription;
import dev.mobvibe.queue.realtime.JobStatusChange;
import dev.mobvibe.queue.realtime.PgNotifier;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The thread behind {@link PgNotifier}: one dedicated connection, {@code LISTEN new_job} (and
 * {@code job_status_changed} while someone wants it), drained with pgjdbc's blocking wait, and
 * reconnects with backoff. Internal API.
 */
public final class PgListener {
  private static final Logger log = LoggerFactory.getLogger(PgListener.class);

  /** The listener thread's name. */
  public static final String THREAD_NAME = "mobvibe-pg-listener";

  static final String NEW_JOB_CHANNEL = "new_job";
  static final String STATUS_CHANNEL = "job_status_changed";

  /**
   * Longest single blocking wait. Between waits the thread applies LISTEN/UNLISTEN of the status
   * channel and runs the health check; the wait itself sends nothing to the server.
   */
  static final int WAIT_SLICE_MILLIS = 500;

  /** How long the health check's {@code SELECT 1} may take before the connection counts as lost. */
  static final int HEALTH_CHECK_TIMEOUT_MILLIS = 10_000;

  /** How long {@link #close()} waits for the thread. */
  static final long JOIN_MILLIS = 10_000;

  private static final JobSignal CATCH_UP = JobSignal.of(JobSignal.Source.RECONNECT);

  private final PgNotifier.ConnectionFactory factory;
  private final RetryPolicy reconnectPolicy;
  private final long healthCheckNanos;
  private final String target;
  private final ListenerFanout<JobSignal> signals = new ListenerFanout<>("job signal");
  private final ListenerFanout<JobStatusChange> statusListeners =
      new ListenerFanout<>("job status change");

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition wake = lock.newCondition();
  private Thread thread;
  private volatile NotifierState state = NotifierState.IDLE;
  private volatile boolean closed;
  private volatile boolean wantStatus;
  private volatile boolean statusActive;
  private volatile Connection current;
  private volatile int backendPid;

  /**
   * Creates a listener; its thread starts with the first subscription.
   *
   * @param factory opens the dedicated connection
   * @param reconnectPolicy delay before reconnect try n
   * @param healthCheckInterval how often the idle connection is checked with {@code SELECT 1}
   * @param target what the connection reaches, without secrets, for logs
   */
  public PgListener(
      PgNotifier.ConnectionFactory factory,
      RetryPolicy reconnectPolicy,
      Duration healthCheckInterval,
      String target) {
    this.factory = factory;
    this.reconnectPolicy = reconnectPolicy;
    this.healthCheckNanos = healthCheckInterval.toNanos();
    this.target = target;
  }

  /**
   * Adds a job signal listener, starting the thread if needed.
   *
   * @param listener the listener
   * @return its handle
   */
  public Subscription subscribe(Consumer<JobSignal> listener) {
    lock.lock();
    try {
      requireOpen();
      Subscription s = signals.add(listener);
      start();
      return s;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Adds a status change listener, starting the thread if needed; the status channel is listened to
   * while at least one such listener is registered.
   *
   * @param listener the listener
   * @return its handle
   */
  public Subscription subscribeToStatusChanges(Consumer<JobStatusChange> listener) {
    lock.lock();
    try {
      requireOpen();
      Subscription s = statusListeners.add(listener);
      wantStatus = true;
      start();
      return () -> {
        s.unsubscribe();
        lock.lock();
        try {
          wantStatus = !statusListeners.isEmpty();
        } finally {
          lock.unlock();
        }
      };
    } finally {
      lock.unlock();
    }
  }

  /**
   * Returns the state.
   *
   * @return the state
   */
  public NotifierState state() {
    return state;
  }

  /**
   * Returns the backend pid of the current connection.
   *
   * @return the pid, or 0 when not connected
   */
  public int backendPid() {
    return backendPid;
  }

  /**
   * Tells whether {@code LISTEN job_status_changed} is in effect on the current connection.
   *
   * @return {@code true} when in effect
   */
  public boolean statusChangesActive() {
    return statusActive;
  }

  /**
   * Returns the listener thread.
   *
   * @return the thread, or null before the first subscription
   */
  public Thread thread() {
    lock.lock();
    try {
      return thread;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Stops the thread: aborts the connection (which ends a blocking wait at once), wakes a backoff
   * wait, and joins the thread for up to ten seconds. Idempotent.
   */
  public void close() {
    Thread t;
    lock.lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      signals.clear();
      statusListeners.clear();
      setState(NotifierState.CLOSED, null);
      wake.signalAll();
      t = thread;
    } finally {
      lock.unlock();
    }
    abort(current);
    if (t != null && t != Thread.currentThread()) {
      t.interrupt();
      try {
        t.join(JOIN_MILLIS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      if (t.isAlive()) {
        log.warn(
            "{} did not stop within {} ms; it ends when its connect attempt does",
            THREAD_NAME,
            JOIN_MILLIS);
      }
    }
  }

  private void requireOpen() {
    if (closed) {
      throw new IllegalStateException("notifier is closed");
    }
  }

  private void start() {
    if (thread != null) {
      return;
    }
    setState(NotifierState.CONNECTING, null);
    thread = new Thread(this::run, THREAD_NAME);
    thread.setDaemon(true);
    thread.start();
  }

  // ---- the thread ----

  private void run() {
    int failures = 0;
    while (!closed) {
      Connection c = null;
      try {
        c = factory.open();
        if (c == null) {
          throw new SQLException("connection factory returned null");
        }
        current = c;
        if (closed) {
          break;
        }
        listen(c);
        NotifierState before = state;
        setState(
            NotifierState.LISTENING,
            before == NotifierState.RECONNECTING ? "after " + failures + " failed tries" : null);
        failures = 0;
        // Jobs inserted before LISTEN took effect were announced to nobody: look now.
        signals.publish(CATCH_UP);
        drain(c);
      } catch (SQLException | RuntimeException e) {
        if (closed) {
          break;
        }
        failures++;
        lost(e, failures);
      } finally {
        current = null;
        backendPid = 0;
        statusActive = false;
        closeQuietly(c);
      }
      if (!closed && !backoff(failures)) {
        break;
      }
    }
    log.debug("{} stopped", THREAD_NAME);
  }

  private void listen(Connection c) throws SQLException {
    if (!c.getAutoCommit()) {
      c.setAutoCommit(true); // LISTEN inside a transaction would wait for a commit
    }
    c.setNetworkTimeout(Runnable::run, HEALTH_CHECK_TIMEOUT_MILLIS);
    try (Statement st = c.createStatement()) {
      try (ResultSet rs = st.executeQuery("SELECT pg_backend_pid()")) {
        backendPid = rs.next() ? rs.getInt(1) : 0;
      }
      st.execute("LISTEN " + NEW_JOB_CHANNEL);
      if (wantStatus) {
        st.execute("LISTEN " + STATUS_CHANNEL);
        statusActive = true;
      }
    }
  }

  private void drain(Connection c) throws SQLException {
    PGConnection pg = c.unwrap(PGConnection.class);
    long nextCheck = System.nanoTime() + healthCheckNanos;
    while (!closed) {
      boolean want = wantStatus;
      if (want != statusActive) {
        try (Statement st = c.createStatement()) {
          st.execute((want ? "LISTEN " : "UNLISTEN ") + STATUS_CHANNEL);
        }
        statusActive = want;
        log.debug("{} {}", want ? "listening on" : "stopped listening on", STATUS_CHANNEL);
      }
      PGNotification[] batch = pg.getNotifications(WAIT_SLICE_MILLIS);
      if (batch != null) {
        for (PGNotification n : batch) {
          dispatch(n);
        }
      }
      if (System.nanoTime() - nextCheck >= 0) {
        try (Statement st = c.createStatement()) {
          st.execute("SELECT 1");
        }
        nextCheck = System.nanoTime() + healthCheckNanos;
      }
    }
  }

  private void dispatch(PGNotification n) {
    switch (n.getName()) {
      case NEW_JOB_CHANNEL -> signals.publish(NotificationPayloads.newJob(n.getParameter()));
      case STATUS_CHANNEL -> {
        if (!statusListeners.isEmpty()) {
          JobStatusChange change = NotificationPayloads.statusChange(n.getParameter());
          if (change != null) {
            statusListeners.publish(change);
          }
        }
      }
      default -> log.debug("ignoring a notification on channel {}", n.getName());
    }
  }

  private void lost(Exception e, int failures) {
    NotifierState before = state;
    if (before == NotifierState.LISTENING) {
      setState(NotifierState.RECONNECTING, e.getMessage());
      log.debug("listen connection failure", e);
    } else if (failures == 1) {
      log.warn(
          "cannot listen on {} yet ({}); retrying with backoff, polling covers the gap",
          target,
          e.getMessage());
      log.debug("listen connection failure", e);
    } else {
      log.debug("listen connection try {} failed: {}", failures, e.getMessage());
    }
  }

  /** Waits before reconnect try n; false when closed meanwhile. */
  private boolean backoff(int failures) {
    Duration delay = reconnectPolicy.backoff(Math.max(1, failures));
    long remaining = delay.toNanos();
    lock.lock();
    try {
      while (!closed && remaining > 0) {
        remaining = wake.awaitNanos(remaining);
      }
      return !closed;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } finally {
      lock.unlock();
    }
  }

  private void setState(NotifierState next, String detail) {
    NotifierState before = state;
    if (before == next || before == NotifierState.CLOSED) {
      return;
    }
    state = next;
    String suffix = detail == null ? "" : " (" + detail + ")";
    switch (next) {
      case RECONNECTING ->
          log.warn("LISTEN connection to {} lost{}; reconnecting with backoff", target, suffix);
      case LISTENING ->
          log.info(
              "listening on {} at {}{}",
              NEW_JOB_CHANNEL,
              target,
              before == NotifierState.RECONNECTING ? " again" + suffix : suffix);
      default -> log.info("PostgreSQL notifier {}{}", next.name().toLowerCase(Locale.ROOT), suffix);
    }
  }

  private static void abort(Connection c) {
    if (c == null) {
      return;
    }
    try {
      // abort() is the JDBC way to end a connection from another thread without its lock.
      c.abort(Runnable::run);
    } catch (SQLException | RuntimeException e) {
      closeQuietly(c);
    }
  }

  private static void closeQuietly(Connection c) {
    if (c == null) {
      return;
    }
    try {
      c.close();
    } catch (SQLException | RuntimeException e) {
      log.debug("closing the listen connection failed", e);
    }
  }

  @Override
  public String toString() {
    return "PgListener[" + target + ", " + state + "]";
  }
}
