package dev.mobvibe.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.mobvibe.queue.testing.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A job's session follows it through a processor: active when claimed, completed on success, failed
 * on dead letter; with {@link SessionTracking#STATUS_AND_EVENTS} a {@code state_changed} event per
 * transition, by default ({@link SessionTracking#STATUS}) only for the dead letter; handlers append
 * their own events (thinking, terminal, completion) through the context.
 */
class SessionLifecycleTest {
  @RegisterExtension static final TestDatabase db = new TestDatabase();

  static JobQueue queue;

  @BeforeAll
  static void migrate() {
    queue = db.migratedQueue();
  }

  @BeforeEach
  void emptyTheQueue() {
    db.emptyQueueTables();
  }

  /** One row of session_events. */
  record Event(String type, String from, String to, String error) {}

  @Test
  void sessionBecomesActiveWhenClaimedAndCompletedOnSuccess() {
    Job job = queue.enqueue(NewJob.of("succeeds"));
    assertThat(sessionStatus(job)).isEqualTo("pending");
    Map<String, String> seenInside = new ConcurrentHashMap<>();
    JobHandler handler =
        (j, ctx) -> {
          seenInside.put("status", sessionStatus(j));
          seenInside.put(
              "startedAt",
              String.valueOf(
                  sessionColumn(j, "(started_at IS NOT NULL AND started_at <= now())::text")));
        };
    try (JobProcessor processor =
        JobProcessor.builder(queue, handler)
            .sessionTracking(SessionTracking.STATUS_AND_EVENTS)
            .workerId("lifecycle-" + shortId())
            .build()) {
      processor.start();
      await().atMost(Duration.ofSeconds(5)).until(() -> "completed".equals(sessionStatus(job)));
    }
    assertThat(seenInside).containsEntry("status", "active").containsEntry("startedAt", "true");
    assertThat(sessionColumn(job, "(completed_at IS NOT NULL)::text")).isEqualTo("true");
    assertThat(sessionColumn(job, "error_message")).isNull();
    assertThat(stateChanges(job))
        .containsExactly(
            new Event("state_changed", "pending", "active", null),
            new Event("state_changed", "active", "completed", null));
  }

  @Test
  void byDefaultTheSessionMovesWithoutStateChangedEventsButItsDeadLetterHasOne() {
    Job ok = queue.enqueue(NewJob.of("succeeds"));
    Job bad = queue.enqueue(NewJob.builder("fails").maxAttempts(1).build());
    try (JobProcessor processor =
        JobProcessor.builder(
                queue,
                (j, ctx) -> {
                  if (j.id().equals(bad.id())) {
                    throw new IllegalStateException("compiler crashed");
                  }
                })
            .workerId("lifecycle-default-" + shortId())
            .build()) {
      processor.start();
      await()
          .atMost(Duration.ofSeconds(5))
          .until(
              () -> "completed".equals(sessionStatus(ok)) && "failed".equals(sessionStatus(bad)));
    }
    assertThat(sessionColumn(ok, "started_at")).isNotNull();
    assertThat(sessionColumn(ok, "completed_at")).isNotNull();
    assertThat(stateChanges(ok)).isEmpty();
    assertThat(stateChanges(bad))
        .containsExactly(
            new Event(
                "state_changed", "active", "failed", "IllegalStateException: compiler crashed"));
  }

  @Test
  void sessionFailsWithTheErrorWhenItsJobIsDeadLettered() {
    Job job = queue.enqueue(NewJob.builder("fails twice").maxAttempts(2).build());
    try (JobProcessor processor =
        JobProcessor.builder(
                queue,
                (j, ctx) -> {
                  throw new IllegalStateException("compiler crashed");
                })
            .pollInterval(Duration.ofMillis(100))
            .sessionTracking(SessionTracking.STATUS_AND_EVENTS)
            .workerId("lifecycle-fail-" + shortId())
            .build()) {
      processor.start();
      await().atMost(Duration.ofSeconds(5)).until(() -> "failed".equals(sessionStatus(job)));
    }
    assertThat(queue.findJob(job.id()).orElseThrow().status()).isEqualTo(JobStatus.FAILED);
    assertThat(sessionColumn(job, "error_message"))
        .isEqualTo("IllegalStateException: compiler crashed");
    // The retry claims a session that is already active: no second pending->active event.
    assertThat(stateChanges(job))
        .containsExactly(
            new Event("state_changed", "pending", "active", null),
            new Event(
                "state_changed", "active", "failed", "IllegalStateException: compiler crashed"));
  }

  @Test
  void handlerEventsLandInSessionEventsWithTheirData() {
    Job job = queue.enqueue(NewJob.of("talks while it works"));
    Map<String, Object> terminal = new LinkedHashMap<>();
    terminal.put("command", "npm test");
    terminal.put("exitCode", 0);
    terminal.put("output", "✓ 12 passed\n\"quoted\" \\ back");
    terminal.put("lines", List.of("a", "b"));
    terminal.put("meta", Map.of("cwd", "/app", "ms", 1234.5));
    record Completion(String summary, int filesChanged, boolean success) {}
    JobHandler handler =
        (j, ctx) -> {
          ctx.emitEvent("thinking", Map.of("text", "Planning the todo app…"));
          ctx.emitEvent("terminal", terminal);
          ctx.emitEvent("completion", new Completion("done", 3, true));
          ctx.emitEvent("file_change", null);
        };
    try (JobProcessor processor =
        JobProcessor.builder(queue, handler)
            .sessionTracking(SessionTracking.STATUS_AND_EVENTS)
            .workerId("emitter-" + shortId())
            .build()) {
      processor.start();
      await()
          .atMost(Duration.ofSeconds(5))
          .until(
              () ->
                  db.queryLong(
                          "SELECT count(*) FROM session_events WHERE session_id = '"
                              + job.sessionId()
                              + "' AND event_type <> 'state_changed'")
                      == 4);
      await().atMost(Duration.ofSeconds(5)).until(() -> "completed".equals(sessionStatus(job)));
    }
    assertThat(eventData(job, "thinking")).isEqualTo("{\"text\": \"Planning the todo app…\"}");
    assertThat(
            db.queryLong(
                "SELECT count(*) FROM session_events WHERE session_id = '"
                    + job.sessionId()
                    + "' AND event_type = 'terminal' AND event_data = "
                    + "'{\"command\":\"npm test\",\"exitCode\":0,"
                    + "\"output\":\"✓ 12 passed\\n\\\"quoted\\\" \\\\ back\","
                    + "\"lines\":[\"a\",\"b\"],\"meta\":{\"cwd\":\"/app\",\"ms\":1234.5}}'::jsonb"))
        .isEqualTo(1);
    assertThat(
            db.queryString(
                "SELECT event_data->>'output' FROM session_events WHERE session_id = '"
                    + job.sessionId()
                    + "' AND event_type = 'terminal'"))
        .isEqualTo("✓ 12 passed\n\"quoted\" \\ back");
    assertThat(eventData(job, "completion"))
        .isEqualTo("{\"success\": true, \"summary\": \"done\", \"filesChanged\": 3}");
    assertThat(eventData(job, "file_change")).isEqualTo("{}");
    // In the order they happened, between the two state changes.
    assertThat(eventTypes(job))
        .containsExactly(
            "state_changed", "thinking", "terminal", "completion", "file_change", "state_changed");
  }

  @Test
  void emitEventRejectsBlankTypesAndDataThatIsNotAnObject() {
    Job job = queue.enqueue(NewJob.of("emits nonsense"));
    List<String> problems = new CopyOnWriteArrayList<>();
    AtomicReference<Throwable> unexpected = new AtomicReference<>();
    JobHandler handler =
        (j, ctx) -> {
          try {
            expectIllegal(problems, () -> ctx.emitEvent(null, Map.of()));
            expectIllegal(problems, () -> ctx.emitEvent("", Map.of()));
            expectIllegal(problems, () -> ctx.emitEvent("   ", Map.of()));
            expectIllegal(problems, () -> ctx.emitEvent("x".repeat(65), Map.of()));
            expectIllegal(problems, () -> ctx.emitEvent("thinking", "just a string"));
            expectIllegal(problems, () -> ctx.emitEvent("thinking", 42));
            expectIllegal(problems, () -> ctx.emitEvent("thinking", List.of("a", "b")));
            ctx.emitEvent("x".repeat(64), Map.of("ok", true)); // the longest type accepted
          } catch (Throwable t) {
            unexpected.set(t);
          }
        };
    try (JobProcessor processor =
        JobProcessor.builder(queue, handler)
            .sessionTracking(SessionTracking.STATUS_AND_EVENTS)
            .workerId("rejecter-" + shortId())
            .build()) {
      processor.start();
      await().atMost(Duration.ofSeconds(5)).until(() -> "completed".equals(sessionStatus(job)));
    }
    assertThat(unexpected.get()).isNull();
    assertThat(problems).hasSize(7);
    assertThat(problems.subList(0, 3)).allSatisfy(m -> assertThat(m).contains("type"));
    assertThat(problems.get(3)).contains("64");
    assertThat(problems.subList(4, 7)).allSatisfy(m -> assertThat(m).contains("JSON object"));
    assertThat(eventTypes(job)).containsExactly("state_changed", "x".repeat(64), "state_changed");
  }

  // --- helpers ------------------------------------------------------------------------------

  static void expectIllegal(List<String> problems, ThrowingCallable call) {
    AtomicReference<String> message = new AtomicReference<>();
    assertThatThrownBy(call)
        .isInstanceOf(IllegalArgumentException.class)
        .satisfies(e -> message.set(e.getMessage()));
    problems.add(message.get());
  }

  static String sessionStatus(Job job) {
    return sessionColumn(job, "status");
  }

  static String sessionColumn(Job job, String expression) {
    return db.queryString(
        "SELECT " + expression + " FROM coding_sessions WHERE id = '" + job.sessionId() + "'");
  }

  static String eventData(Job job, String type) {
    return db.queryString(
        "SELECT event_data::text FROM session_events WHERE session_id = '"
            + job.sessionId()
            + "' AND event_type = '"
            + type
            + "'");
  }

  static List<Event> stateChanges(Job job) {
    List<Event> events = new ArrayList<>();
    for (List<String> row :
        rows(
            "SELECT event_type, event_data->>'from', event_data->>'to', event_data->>'error'"
                + " FROM session_events WHERE session_id = ? AND event_type = 'state_changed'"
                + " ORDER BY created_at, id",
            job.sessionId())) {
      events.add(new Event(row.get(0), row.get(1), row.get(2), row.get(3)));
    }
    return events;
  }

  static List<String> eventTypes(Job job) {
    return rows(
            "SELECT event_type FROM session_events WHERE session_id = ? ORDER BY created_at, id",
            job.sessionId())
        .stream()
        .map(r -> r.get(0))
        .toList();
  }

  static List<List<String>> rows(String sql, UUID sessionId) {
    try (Connection c = db.connect();
        PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setObject(1, sessionId);
      List<List<String>> rows = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        int n = rs.getMetaData().getColumnCount();
        while (rs.next()) {
          List<String> row = new ArrayList<>(n);
          for (int i = 1; i <= n; i++) {
            row.add(rs.getString(i));
          }
          rows.add(row);
        }
      }
      return rows;
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  static String shortId() {
    return UUID.randomUUID().toString().substring(0, 8);
  }
}
