package dev.mobvibe.queue.examples;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.read.ListAppender;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * Keeps every log event of this JVM, at the levels the root logger lets through, while open: what
 * the worker would print, for tests that check what reaches the log and what never does.
 */
final class LogCapture implements AutoCloseable {
  private final Logger root;
  private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

  private LogCapture(Logger root) {
    this.root = root;
    appender.setContext(root.getLoggerContext());
    appender.setName("test-capture");
    appender.start();
    root.addAppender(appender);
  }

  /** Starts capturing. */
  static LogCapture start() {
    return new LogCapture((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME));
  }

  /**
   * The events so far, one string each: level, logger, message, and the stack trace of an attached
   * exception (a secret must not hide there either).
   */
  List<String> lines() {
    List<ILoggingEvent> events;
    synchronized (appender) { // doAppend holds this lock while it adds
      events = new ArrayList<>(appender.list);
    }
    List<String> lines = new ArrayList<>(events.size());
    for (ILoggingEvent e : events) {
      String line = e.getLevel() + " " + e.getLoggerName() + " - " + e.getFormattedMessage();
      if (e.getThrowableProxy() != null) {
        line += "\n" + ThrowableProxyUtil.asString(e.getThrowableProxy());
      }
      lines.add(line);
    }
    return lines;
  }

  /** The lines at WARN that contain the text. */
  List<String> warnings(String containing) {
    return lines().stream().filter(l -> l.startsWith("WARN ") && l.contains(containing)).toList();
  }

  @Override
  public void close() {
    root.detachAppender(appender);
    appender.stop();
  }
}
