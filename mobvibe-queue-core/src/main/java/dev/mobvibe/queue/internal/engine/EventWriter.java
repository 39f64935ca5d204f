package dev.mobvibe.queue.internal.engine;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mobvibe.queue.internal.JobStore;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Buffers session events from handlers and writes them in batches on its own thread, so a handler
 * never waits for the database. Bounded: when full, new events are dropped and counted.
 */
final class EventWriter {
  private static final Logger log = LoggerFactory.getLogger(EventWriter.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int BATCH = 1000;

  private final JobStore store;
  private final BlockingQueue<JobStore.SessionEvent> queue;
  private final AtomicLong dropped = new AtomicLong();
  private final Thread thread;
  private volatile boolean running = true;

  EventWriter(JobStore store, int capacity, String workerId) {
    this.store = store;
    this.queue = new ArrayBlockingQueue<>(capacity);
    this.thread = new Thread(this::run, "mobvibe-events-" + workerId);
    this.thread.setDaemon(true);
  }

  static String toJsonObject(Object data) {
    JsonNode node = JSON.valueToTree(data);
    if (node == null || !node.isObject()) {
      throw new IllegalArgumentException(
          "event data must serialize to a JSON object, got "
              + (node == null ? "null" : node.getNodeType()));
    }
    try {
      return JSON.writeValueAsString(node);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("event data cannot be serialized: " + e.getMessage(), e);
    }
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

  long dropped() {
    return dropped.get();
  }

  private void run() {
    List<JobStore.SessionEvent> batch = new ArrayList<>(BATCH);
    long backoffMillis = 100;
    while (running || !queue.isEmpty()) {
      try {
        if (batch.isEmpty()) {
          JobStore.SessionEvent first = queue.poll(100, TimeUnit.MILLISECONDS);
          if (first == null) {
            continue;
          }
          batch.add(first);
          queue.drainTo(batch, BATCH - 1);
        }
        store.insertEvents(batch);
        batch.clear();
        backoffMillis = 100;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (RuntimeException e) {
        if (!running) {
          log.warn("dropping {} session events at shutdown: {}", batch.size(), e.getMessage());
          return;
        }
        log.warn("cannot write {} session events, retrying: {}", batch.size(), e.getMessage());
        try {
          Thread.sleep(backoffMillis); // error path only: the database is failing
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          return;
        }
        backoffMillis = Math.min(5000, backoffMillis * 2);
      }
    }
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
