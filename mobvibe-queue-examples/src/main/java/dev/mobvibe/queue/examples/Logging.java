package dev.mobvibe.queue.examples;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Sets logback levels from LOG_LEVEL at run time, and flushes logback before a halt. */
final class Logging {
  private Logging() {}

  /**
   * Sets the root level (and the queue's own loggers) to a LOG_LEVEL value.
   *
   * @param level trace, debug, info, warn, error or off
   */
  static void setLevel(String level) {
    root().setLevel(Level.toLevel(level, Level.INFO));
    queueLogger().setLevel(null); // inherit
  }

  /**
   * Quiets the SDK's own loggers to ERROR (the demo narrates instead); the caller decides when, the
   * demo when no log level was asked for.
   */
  static void quietQueueLogs() {
    queueLogger().setLevel(Level.ERROR);
  }

  /** Flushes and stops logback: appenders are closed, nothing buffered is lost. */
  static void stop() {
    if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
      context.stop();
    }
  }

  private static ch.qos.logback.classic.Logger root() {
    return (ch.qos.logback.classic.Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME);
  }

  private static ch.qos.logback.classic.Logger queueLogger() {
    return (ch.qos.logback.classic.Logger) LoggerFactory.getLogger("dev.mobvibe.queue");
  }
}
