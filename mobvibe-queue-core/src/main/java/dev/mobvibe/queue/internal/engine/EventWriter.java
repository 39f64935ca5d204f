package dev.mobvibe.queue.internal.engine;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mobvibe.queue.JobContext;
import dev.mobvibe.queue.internal.JobStore;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns handlers' event data into JSON, buffers the events and writes them in batches on its own
 * thread, so a handler never waits for the database. Bounded: when full, new events are dropped and
 * counted. A batch the database refuses for its data is written in halves, recursively, so only the
 * rows it refuses alone are dropped (counted apart, and logged with their job and type); a batch it
 * cannot take now is retried as it is, with backoff.
 */
final class EventWriter {
  private static final Logger log = LoggerFactory.getLogger(EventWriter.class);
  private static final int BATCH = 1000;

  /**
   * Characters of JSON in one batch at most: far below PostgreSQL's 1 GB message limit even when
   * every event is near {@link JobContext#MAX_EVENT_DATA_BYTES}.
   */
  static final int MAX_BATCH_CHARS = 8 << 20;

  private final JobStore store;
  private final ObjectMapper json;
  private final BlockingQueue<JobStore.SessionEvent> queue;
  private final AtomicLong dropped = new AtomicLong();
  private final AtomicLong rejected = new AtomicLong();
  private final Thread thread;
  private volatile boolean running = true;

  /**
   * @param store where events are written
   * @param capacity events that may wait to be written
   * @param workerId names the thread
   * @param json serializes event data (the queue's mapper)
   */
  EventWriter(JobStore store, int capacity, String workerId, ObjectMapper json) {
    this.store = store;
    this.json = json;
    this.queue = new ArrayBlockingQueue<>(capacity);
    this.thread = new Thread(this::run, "mobvibe-events-" + workerId);
    this.thread.setDaemon(true);
  }

  /**
   * Serializes event data under the rules of {@link JobContext#emitEvent}: a JSON object, NUL
   * characters replaced by U+FFFD, at most {@link JobContext#MAX_EVENT_DATA_BYTES} bytes.
   *
   * @param data the handler's value, or {@code null} for {@code {}}
   * @return the JSON object text
   * @throws IllegalArgumentException if the data is not an object, cannot be serialized, or is too
   *     large
   */
  String toJsonObject(Object data) {
    JsonNode node = json.valueToTree(data == null ? Map.of() : data);
    if (node == null || !node.isObject()) {
      throw new IllegalArgumentException(
          "event data must serialize to a JSON object, got "
              + (node == null ? "null" : node.getNodeType()));
    }
    return toJson(node, "event data", JobContext.MAX_EVENT_DATA_BYTES, "1 MiB");
  }

  /**
   * Serializes a value with the queue's mapper, NUL characters replaced by U+FFFD, refusing JSON
   * longer than a limit in UTF-8: the rules of {@link JobContext#emitEvent} and {@link
   * JobContext#recordOutput}.
   *
   * @param value the value
   * @param what names the value in errors ({@code event data}, {@code output})
   * @param maxBytes the most UTF-8 bytes the JSON may take
   * @param limitName the limit in words, such as {@code 1 MiB}
   * @return the JSON text
   * @throws IllegalArgumentException if the value cannot be serialized or is too large
   */
  String toJson(Object value, String what, int maxBytes, String limitName) {
    String text;
    try {
      text = withoutNul(json.writeValueAsString(value));
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(what + " cannot be serialized: " + e.getMessage(), e);
    }
    long bytes;
    if ((long) text.length() * 3 > maxBytes && (bytes = utf8Length(text)) > maxBytes) {
      throw new IllegalArgumentException(
          what
              + " is "
              + bytes
              + " bytes of JSON; the limit is "
              + maxBytes
              + " bytes ("
              + limitName
              + ")");
    }
    return text;
  }

  /**
   * Replaces each NUL in a JSON text by U+FFFD: PostgreSQL's {@code jsonb} refuses the JSON escape
   * of U+0000, which is how Jackson writes a NUL in a string or a field name. Escape pairs are
   * stepped over whole, so an escaped backslash followed by the letters {@code u0000} stays as it
   * is.
   */
  static String withoutNul(String text) {
    if (text.indexOf("\\u0000") < 0 && text.indexOf('\0') < 0) {
      return text;
    }
    StringBuilder out = new StringBuilder(text.length());
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '\\' && i + 1 < text.length()) {
        if (text.startsWith("u0000", i + 1)) {
          out.append('\uFFFD');
          i += 5;
        } else {
          out.append(c).append(text.charAt(i + 1));
          i++;
        }
      } else {
        out.append(c == '\0' ? '\uFFFD' : c);
      }
    }
    return out.toString();
  }

  /** The length of a string in UTF-8 bytes. */
  static long utf8Length(String s) {
    long bytes = s.length();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isSurrogate(c)) {
        bytes += 1; // a pair is four bytes
      } else if (c >= 0x800) {
        bytes += 2;
      } else if (c >= 0x80) {
        bytes += 1;
      }
    }
    return bytes;
  }

  void start() {
    thread.start();
  }

  void offer(JobStore.SessionEvent event) {
    if (!queue.offer(event)) {
      long n = dropped.incrementAndGet();
      if (Long.bitCount(n) == 1) { // log at 1, 2, 4, 8... drops, not once per event
        log.warn("session event buffer full; {} events dropped so far", n);
      }
    }
  }

  /** Events dropped because the buffer was full. */
  long dropped() {
    return dropped.get();
  }

  /** Events dropped because the database refused them alone for their data. */
  long rejected() {
    return rejected.get();
  }

  private void run() {
    List<JobStore.SessionEvent> batch = new ArrayList<>(BATCH);
    long backoffMillis = 100;
    while (running || !queue.isEmpty() || !batch.isEmpty()) {
      try {
        if (batch.isEmpty()) {
          JobStore.SessionEvent first = queue.poll(100, TimeUnit.MILLISECONDS);
          if (first == null) {
            continue;
          }
          fill(batch, first);
        }
        write(batch);
        backoffMillis = 100;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (RuntimeException e) {
        if (!running) {
          log.warn(
              "dropping {} session events at shutdown: {}", batch.size(), DataErrors.describe(e));
          return;
        }
        log.warn(
            "cannot write {} session events, retrying in {} ms: {}",
            batch.size(),
            backoffMillis,
            DataErrors.describe(e));
        if (!Engine.pauseAfterError(backoffMillis)) {
          return;
        }
        backoffMillis = Math.min(5000, backoffMillis * 2);
      }
    }
  }

  /** Fills a batch up to {@value #BATCH} events and {@link #MAX_BATCH_CHARS} characters. */
  private void fill(List<JobStore.SessionEvent> batch, JobStore.SessionEvent first) {
    batch.add(first);
    long chars = first.json().length();
    // Only this thread takes from the queue, so the head that peek sees is the one poll returns.
    for (JobStore.SessionEvent next = queue.peek();
        next != null && batch.size() < BATCH && chars + next.json().length() <= MAX_BATCH_CHARS;
        next = queue.peek()) {
      batch.add(queue.poll());
      chars += next.json().length();
    }
  }

  /**
   * Writes a batch and empties it. A range of rows refused for its data is replaced by its two
   * halves, so in the end only rows refused alone are dropped, and the rest are written in their
   * order. When the database cannot take a write now this throws, leaving in the batch the rows not
   * yet written, to be retried.
   */
  private void write(List<JobStore.SessionEvent> batch) {
    int from = 0; // rows before it are written or dropped
    Deque<Integer> ends = new ArrayDeque<>(); // ends of the ranges still to write, nearest on top
    ends.push(batch.size());
    try {
      while (!ends.isEmpty()) {
        int to = ends.peek();
        List<JobStore.SessionEvent> rows = batch.subList(from, to);
        try {
          store.insertEvents(rows);
        } catch (RuntimeException e) {
          if (!DataErrors.isDataError(e)) {
            throw e;
          }
          if (rows.size() > 1) {
            ends.push(from + rows.size() / 2);
            continue;
          }
          reject(rows.get(0), e);
        }
        ends.pop();
        from = to;
      }
    } finally {
      batch.subList(0, from).clear();
    }
  }

  private void reject(JobStore.SessionEvent event, RuntimeException e) {
    long n = rejected.incrementAndGet();
    // The data itself stays out of the log: it is the user's, and may be large.
    log.warn(
        "session event of job {} (type '{}', {} characters of JSON) refused by the database and"
            + " dropped ({} so far): {}",
        event.jobId(),
        event.type(),
        event.json().length(),
        n,
        DataErrors.describe(e));
  }

  /** Stops taking new batches once the queue is empty, and waits for the last write. */
  void stopAndFlush(long timeoutMillis) {
    running = false;
    try {
      thread.join(timeoutMillis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (thread.isAlive()) {
      thread.interrupt();
    }
  }
}
