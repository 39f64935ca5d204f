package dev.mobvibe.queue.examples;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mobvibe.queue.testing.TestDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The performance regression guard: a short {@code bench} run through the CLI that fails only on a
 * gross regression, a quarter of the targets of docs/PERFORMANCE.md, so a slow change is noticed
 * without making the build flaky on a busy machine. The real figures come from the full command.
 */
class BenchGuardTest {
  @RegisterExtension static final TestDatabase db = new TestDatabase();

  @TempDir Path dir;

  @Test
  void shortBenchRunStaysFarAboveAQuarterOfEveryTarget() throws Exception {
    Path json = dir.resolve("bench.json");
    Path chart = dir.resolve("bench.png");
    int scratchBefore = scratchDatabases();

    CliRunner.Result result =
        CliRunner.run(
            CliRunner.env(db),
            "bench",
            "--jobs",
            "5000",
            "--no-sessions",
            "--kind",
            "--concurrency",
            "50",
            "--runs",
            "1",
            "--pickup-jobs",
            "100",
            "--pickup-rate",
            "200",
            "--enqueue-jobs",
            "5000",
            "--json-out",
            json.toString(),
            "--chart",
            chart.toString());

    assertThat(result.code()).as(result.err()).isZero();
    assertThat(result.out())
        .contains("B1  drain, concurrency 50")
        .contains("B1k kind drain, concurrency 50")
        .contains("B2  pickup p50");
    JsonNode r = new ObjectMapper().readTree(Files.readString(json));
    JsonNode drain = r.get("drains").get(0);
    assertThat(drain.get("concurrency").asInt()).isEqualTo(50);
    assertThat(drain.get("kind").asText()).isEqualTo("coding_session");
    // --kind: the same drain with jobs of a kind without sessions, reported the same way.
    JsonNode kindDrain = r.get("drains").get(1);
    assertThat(kindDrain.get("kind").asText()).isEqualTo("bench_noop");
    assertThat(kindDrain.get("concurrency").asInt()).isEqualTo(50);
    assertThat(kindDrain.get("ratioToLimit").asDouble()).as("B1k / L").isGreaterThan(0.10);
    // Ratios taken in one run hold on a busy machine; absolute figures do not. A short run in a
    // cold JVM reaches about a third of L here (the full command: 1.5 times L); a worker that
    // claims one job per statement falls to a few percent.
    assertThat(r.get("limit").asDouble()).as("L jobs/s").isPositive();
    assertThat(drain.get("ratioToLimit").asDouble()).as("B1 / L").isGreaterThan(0.10);
    // Falling back to polling (10 s here) would put the median pickup in seconds. The bound is
    // set by that, not by the 2 ms target: a busy shared machine has shown a 46 ms median in this
    // short run (the pickup target is checked with the bench command, docs/PERFORMANCE.md).
    assertThat(r.get("pickup").get("p50Millis").asDouble()).as("B2 p50 ms").isLessThan(1_000.0);
    assertThat(r.get("pickup").get("notifyFloorP50Millis").asDouble())
        .as("bare NOTIFY delivery p50 ms")
        .isPositive();
    assertThat(result.out()).contains("bare NOTIFY p50 / p99");
    // A fifth of the target, not a quarter: migration 4's indexes (kind-first claim, fairness,
    // concurrency keys, retention) cost batch enqueue 20 to 30 % (docs/PERFORMANCE.md, 2026-12-02).
    assertThat(r.get("enqueue").get("batchPerSecond").asDouble())
        .as("B4 batch rows/s")
        .isGreaterThan(50_000 / 5.0);
    // An idle worker runs one statement per poll interval; a busy loop would run thousands.
    assertThat(r.get("idle").get("perInterval").asDouble())
        .as("idle statements per poll interval")
        .isLessThanOrEqualTo(2.0);
    assertThat(Files.readAllBytes(chart))
        .startsWith((byte) 0x89, (byte) 'P', (byte) 'N', (byte) 'G');
    assertThat(scratchDatabases())
        .as("the bench drops its scratch database")
        .isEqualTo(scratchBefore);
  }

  private static int scratchDatabases() throws Exception {
    try (Connection c = db.connect();
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT count(*) FROM pg_database WHERE datname LIKE 'mobvibe\\_bench\\_%'")) {
      rs.next();
      return rs.getInt(1);
    }
  }

  @Test
  void sizesTooSmallAreABadArgumentNamedInOneLine() {
    CliRunner.Result result = CliRunner.run(CliRunner.env(db), "bench", "--jobs", "10");

    assertThat(result.code()).isEqualTo(2);
    assertThat(result.err()).contains("error: bench sizes too small").contains("jobs >= 100");
    assertThat(result.out()).doesNotContain("B1");
  }
}
