package dev.mobvibe.queue.examples;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mobvibe.queue.JobArgs;
import dev.mobvibe.queue.JobQueue;
import dev.mobvibe.queue.NewJob;
import dev.mobvibe.queue.testing.TestDatabase;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The {@code stats} command with jobs of a kind the example worker has no handler for: its own
 * database, since those jobs stay pending and would keep an {@code --exit-when-idle} worker busy.
 */
class StatsKindsTest {
  @RegisterExtension static final TestDatabase db = new TestDatabase();

  /** A kind the example worker has no handler for. */
  record Reindex(String index) implements JobArgs {
    @Override
    public String kind() {
      return "reindex";
    }
  }

  @Test
  void statsShowEachKindWhenThereAreOtherKinds() throws Exception {
    Map<String, String> env = CliRunner.env(db);
    JobQueue queue = db.migratedQueue();
    queue.enqueueAll(List.of(NewJob.of("one"), NewJob.of("two")));
    queue.enqueue(NewJob.of(new Reindex("docs")));

    CliRunner.Result text = CliRunner.run(env, "stats");
    assertThat(text.code()).as(text.err()).isZero();
    assertThat(text.out().lines())
        .startsWith("📊 Queue Statistics:", "  Pending: 3")
        .containsSequence(
            "  Kind coding_session: 2 pending, 0 processing, 0 failed",
            "  Kind reindex: 1 pending, 0 processing, 0 failed");

    CliRunner.Result stats = CliRunner.run(env, "stats", "--json");
    assertThat(stats.code()).as(stats.err()).isZero();
    JsonNode kinds = new ObjectMapper().readTree(stats.out()).get("kinds");
    assertThat(kinds.get("coding_session").get("pending").asLong()).isEqualTo(2);
    assertThat(kinds.get("reindex").get("pending").asLong()).isEqualTo(1);
    assertThat(kinds.get("reindex").get("cancelled").asLong()).isZero();
  }
}
