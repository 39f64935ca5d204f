package dev.mobvibe.queue.test;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mobvibe.queue.CancellationReason;
import dev.mobvibe.queue.Job;
import dev.mobvibe.queue.JobContext;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The context of one attempt in a drain: never cancelled, no time limit; {@link #awaitCancellation}
 * advances the test clock instead of waiting; events are kept in memory and written to {@code
 * session_events} at once; the output is kept for the drain to write on success.
 */
final class DrainContext implements JobContext {
  private static final int MAX_EVENT_TYPE_LENGTH = 64;

  private final Job job;
  private final ObjectMapper mapper;
  private final DrainStore store;
  private final TestClock clock;
  private final List<DrainResult.Event> events = new ArrayList<>();
  private String outputJson;

  DrainContext(Job job, ObjectMapper mapper, DrainStore store, TestClock clock) {
    this.job = job;
    this.mapper = mapper;
    this.store = store;
    this.clock = clock;
  }

  @Override
  public Job job() {
    return job;
  }

  @Override
  public int attempt() {
    return job.attempt();
  }

  @Override
  public String workerId() {
    return DrainStore.WORKER_ID;
  }

  @Override
  public boolean isCancelled() {
    return false;
  }

  @Override
  public Optional<CancellationReason> cancellationReason() {
    return Optional.empty();
  }

  /** Nothing cancels a drained job: the wait passes at once, on the test clock. */
  @Override
  public boolean awaitCancellation(Duration timeout) {
    Objects.requireNonNull(timeout, "timeout must not be null");
    if (!timeout.isNegative()) {
      clock.advance(timeout);
    }
    return false;
  }

  @Override
  public void heartbeat() {}

  @Override
  public synchronized void emitEvent(String type, @Nullable Object data) {
    if (type == null || type.isBlank()) {
      throw new IllegalArgumentException("event type must not be blank");
    }
    if (type.length() > MAX_EVENT_TYPE_LENGTH || type.indexOf('\0') >= 0) {
      throw new IllegalArgumentException(
          "event type must be at most " + MAX_EVENT_TYPE_LENGTH + " characters without NUL");
    }
    if (job.sessionId() == null) {
      throw new IllegalStateException(
          "job " + job.id() + " of kind " + job.kind() + " belongs to no session: no events");
    }
    String json = toJson(data == null ? mapper.createObjectNode() : data, "event data");
    try {
      if (!mapper.readTree(json).isObject()) {
        throw new IllegalArgumentException("event data must be a JSON object, was " + json);
      }
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("event data is not JSON: " + e.getOriginalMessage(), e);
    }
    checkSize(json, MAX_EVENT_DATA_BYTES, "event data");
    store.insertEvent(job.sessionId(), type, json);
    events.add(new DrainResult.Event(type, json));
  }

  @Override
  public synchronized void recordOutput(@Nullable Object value) {
    if (value == null) {
      outputJson = null;
      return;
    }
    String json = toJson(value, "output");
    checkSize(json, MAX_OUTPUT_BYTES, "output");
    outputJson = json;
  }

  @Override
  public Optional<Duration> timeLeft() {
    return Optional.empty();
  }

  synchronized String outputJson() {
    return outputJson;
  }

  synchronized List<DrainResult.Event> events() {
    return List.copyOf(events);
  }

  private String toJson(Object value, String what) {
    try {
      JsonNode tree = mapper.valueToTree(value);
      // PostgreSQL's jsonb cannot store U+0000; the processor replaces it the same way.
      return mapper.writeValueAsString(tree).replace("\\u0000", "\uFFFD");
    } catch (IllegalArgumentException | JsonProcessingException e) {
      throw new IllegalArgumentException("cannot serialize the " + what + ": " + e.getMessage(), e);
    }
  }

  private static void checkSize(String json, int limit, String what) {
    int size = json.getBytes(StandardCharsets.UTF_8).length;
    if (size > limit) {
      throw new IllegalArgumentException(
          "the " + what + " is " + size + " bytes of JSON, more than the limit of " + limit);
    }
  }
}
