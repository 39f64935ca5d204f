package dev.mobvibe.queue.internal.engine;

import java.lang.reflect.Method;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/** Factories of handler threads named {@code mobvibe-handler-<worker>-<n>}. Internal API. */
public final class HandlerThreads {
  private HandlerThreads() {}

  /**
   * Daemon platform threads.
   *
   * @param workerId the worker, for the names
   * @return the factory
   */
  public static ThreadFactory platform(String workerId) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, "mobvibe-handler-" + workerId + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  /**
   * Virtual threads (Java 21 and newer).
   *
   * @param workerId the worker, for the names
   * @return the factory
   * @throws IllegalArgumentException on a JVM older than 21
   */
  public static ThreadFactory virtual(String workerId) {
    try {
      // Thread.ofVirtual().name(prefix, 1).factory(), found reflectively: the baseline is Java 17.
      Object builder = Thread.class.getMethod("ofVirtual").invoke(null);
      Class<?> ofVirtual = Class.forName("java.lang.Thread$Builder$OfVirtual");
      Method name = ofVirtual.getMethod("name", String.class, long.class);
      builder = name.invoke(builder, "mobvibe-handler-" + workerId + "-", 1L);
      return (ThreadFactory) ofVirtual.getMethod("factory").invoke(builder);
    } catch (ReflectiveOperationException e) {
      throw new IllegalArgumentException(
          "virtualThreads needs Java 21 or newer; this is Java " + Runtime.version().feature(), e);
    }
  }
}
