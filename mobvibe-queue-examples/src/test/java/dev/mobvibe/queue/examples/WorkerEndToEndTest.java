package dev.mobvibe.queue.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mobvibe.queue.NotifierState;
import dev.mobvibe.queue.testing.TestDatabase;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@code enqueue}, then {@code worker}, {@code stats}, {@code jobs} and {@code migrate}. */
class WorkerEndToEndTest {
  @RegisterExtension static final TestDatabase db = new TestDatabase();

  private static List<String> ids(CliRunner.Result r) {
    assertThat(r.code()).as(r.err()).isZero();
    return r.out().lines().toList();
  }

  @Test
  void enqueuedJobsAreProcessedEndToEnd() throws Exception {
    Map<String, String> env = CliRunner.env(db);
    List<String> pro =
        ids(
            CliRunner.run(
                env, "enqueue", "--prompt", "Add a dark mode", "--tier", "pro", "--count", "3"));
    List<String> free = ids(CliRunner.run(env, "enqueue", "--count", "2", "--delay", "200ms"));
    assertThat(pro).hasSize(3).allMatch(id -> id.matches("[0-9a-f-]{36}"));
    assertThat(free).hasSize(2);
    assertThat(db.queryLong("SELECT count(*) FROM coding_jobs WHERE priority = 10")).isEqualTo(3);
    assertThat(db.queryLong("SELECT count(*) FROM coding_sessions")).isEqualTo(5);

    CliRunner.Result worker =
        CliRunner.run(
            env, "worker", "--work-ms", "40", "--max-concurrent-jobs", "4", "--exit-when-idle");
    assertThat(worker.code()).as(worker.err()).isZero();

    assertThat(db.queryLong("SELECT count(*) FROM coding_jobs WHERE status = 'completed'"))
        .isEqualTo(5);
    assertThat(db.queryLong("SELECT count(*) FROM coding_sessions WHERE status = 'completed'"))
        .isEqualTo(5);
    for (String type : List.of("thinking", "terminal", "completion")) {
      assertThat(
              db.queryLong(
                  "SELECT count(DISTINCT session_id) FROM session_events WHERE event_type = '"
                      + type
                      + "'"))
          .as(type)
          .isEqualTo(5);
    }

    CliRunner.Result stats = CliRunner.run(env, "stats", "--json");
    assertThat(stats.code()).isZero();
    assertThat(stats.out().lines()).hasSize(1);
    JsonNode json = new ObjectMapper().readTree(stats.out());
    assertThat(json.get("completed").asLong()).isEqualTo(5);
    assertThat(json.get("pendingByTier").get("pro").asLong()).isZero();
    assertThat(json.get("kinds").get("coding_session").get("completed").asLong()).isEqualTo(5);
    assertThat(json.get("kinds").size()).isEqualTo(1);

    CliRunner.Result text = CliRunner.run(env, "stats");
    assertThat(text.out())
        .contains("📊 Queue Statistics:", "Completed: 5", "Pending by tier: Pro 0")
        .doesNotContain("Kind "); // only the seed's kind: the seed's block

    CliRunner.Result list = CliRunner.run(env, "jobs", "--status", "completed");
    assertThat(list.code()).isZero();
    assertThat(list.out()).contains(pro.get(0), free.get(1), "completed", "Add a dark mode");

    CliRunner.Result migrate = CliRunner.run(env, "migrate");
    assertThat(migrate.out()).contains("is up to date at version");
  }

  @Test
  void failuresRetryThenDeadLetterAndCanBeReplayedOrCancelled() {
    Map<String, String> env = CliRunner.env(db);
    String id =
        ids(CliRunner.run(env, "enqueue", "--prompt", "Poison", "--max-attempts", "2")).get(0);
    CliRunner.Result worker =
        CliRunner.run(env, "worker", "--work-ms", "20", "--fail-rate", "1", "--exit-when-idle");
    assertThat(worker.code()).as(worker.err()).isZero();

    CliRunner.Result show = CliRunner.run(env, "jobs", "show", id);
    assertThat(show.code()).isZero();
    assertThat(show.out())
        .contains("status       failed", "attempts     2/2", "attempt 1 at ", "attempt 2 at ")
        .contains("simulated failure in attempt 2");

    CliRunner.Result replay = CliRunner.run(env, "jobs", "replay", id);
    assertThat(replay.code()).as(replay.err()).isZero();
    assertThat(replay.out()).isEqualTo("replayed " + id + System.lineSeparator());
    CliRunner.Result again = CliRunner.run(env, "jobs", "replay", id);
    assertThat(again.code()).isEqualTo(1);
    assertThat(again.err()).contains("is pending, not failed; nothing changed");

    CliRunner.Result cancel = CliRunner.run(env, "jobs", "cancel", id);
    assertThat(cancel.code()).isZero();
    assertThat(db.queryString("SELECT status FROM coding_jobs WHERE id = '" + id + "'"))
        .isEqualTo("cancelled");

    CliRunner.Result missing =
        CliRunner.run(env, "jobs", "cancel", "00000000-0000-0000-0000-000000000000");
    assertThat(missing.code()).isEqualTo(1);
    assertThat(missing.err()).contains("does not exist");
  }

  @Test
  void theListenNotifierWakesTheWorkerLongBeforeItsNextPoll() throws Exception {
    Map<String, String> env = new java.util.HashMap<>(CliRunner.env(db));
    env.put("POLL_INTERVAL_MS", "600000"); // ten minutes: only a notification can wake it
    try (BackgroundWorker worker = BackgroundWorker.start(env, "--work-ms", "10")) {
      assertThat(worker.command().processor().notifier()).isPresent();
      await()
          .atMost(Duration.ofSeconds(10))
          .until(
              () ->
                  worker.command().processor().notifier().orElseThrow().state()
                      == NotifierState.LISTENING);
      String id = ids(CliRunner.run(env, "enqueue", "--prompt", "Wake up")).get(0);
      await()
          .atMost(Duration.ofSeconds(10))
          .until(
              () ->
                  "completed"
                      .equals(
                          db.queryString(
                              "SELECT status FROM coding_jobs WHERE id = '" + id + "'")));
    }
  }

  @Test
  void maxJobsStopsTheWorker() {
    Map<String, String> env = CliRunner.env(db);
    ids(CliRunner.run(env, "enqueue", "--count", "2", "--tier", "starter"));
    CliRunner.Result worker =
        CliRunner.run(env, "worker", "--work-ms", "10", "--max-jobs", "2", "--notifier", "poll");
    assertThat(worker.code()).as(worker.err()).isZero();
    assertThat(
            db.queryLong(
                "SELECT count(*) FROM coding_jobs WHERE priority = 5 AND status = 'completed'"))
        .isEqualTo(2);
  }
}
