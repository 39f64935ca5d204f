package dev.mobvibe.queue.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mobvibe.queue.Job;
import dev.mobvibe.queue.JobContext;
import dev.mobvibe.queue.JobQueue;
import dev.mobvibe.queue.NewJob;
import dev.mobvibe.queue.internal.Jdbc;
import dev.mobvibe.queue.internal.JobStore;
import dev.mobvibe.queue.testing.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The event writer alone, against a real PostgreSQL behind a data source that fails statements on
 * demand: rows the database refuses for their data are dropped alone and counted while the rest of
 * their batch is written in order; a batch the database cannot take now is retried whole; event
 * data is turned into JSON under {@link JobContext#emitEvent}'s rules (NUL replaced, 1 MiB at
 * most).
 */
@Tag("faults")
class EventWriterTest {
  @RegisterExtension static final TestDatabase db = new TestDatabase();

  /** A fragment of the statement that appends session events. */
  static final String INSERT = "?::jsonb[]";

  static final ObjectMapper JSON = new ObjectMapper();

  static JobQueue queue;
  FaultyDataSource faults;
  EventWriter writer;
  Job job;
  Instant base;

  @BeforeAll
  static void migrate() {
    queue = db.migratedQueue();
  }

  @BeforeEach
  void setUp() {
    db.emptyQueueTables();
    faults = new FaultyDataSource(db.dataSource());
    writer = new EventWriter(new JobStore(new Jdbc(faults), "public"), 1000, "events-test", JSON);
    job = queue.enqueue(NewJob.of("talks while it works"));
    base = Instant.now();
  }

  @AfterEach
  void stop() {
    writer.stopAndFlush(5_000);
  }

  /** Event {@code n} of the job's session, emitted {@code n} ms after the test's start. */
  private JobStore.SessionEvent event(int n, String json) {
    return event(n, job.sessionId(), json);
  }

  private JobStore.SessionEvent event(int n, UUID sessionId, String json) {
    return new JobStore.SessionEvent(sessionId, "terminal", json, base.plusMillis(n), job.id());
  }

  private static String numbered(int n) {
    return "{\"n\": " + n + "}";
  }

  /** The {@code n} of each stored event, in the order they were emitted. */
  private static List<Integer> storedNumbers() {
    List<Integer> numbers = new ArrayList<>();
    try (Connection c = db.connect();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT (event_data->>'n')::int FROM session_events"
                    + " WHERE event_type = 'terminal' ORDER BY created_at, id");
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        numbers.add(rs.getInt(1));
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
    return numbers;
  }

  private static long stored() {
    return db.queryLong("SELECT count(*) FROM session_events WHERE event_type = 'terminal'");
  }

  @Test
  void rowsTheDatabaseRefusesAreDroppedAloneAndTheRestAreWrittenInOrder() {
    for (int n = 0; n < 10; n++) {
      if (n == 3 || n == 9) {
        // jsonb cannot hold U+0000 (SQLState 22P05), however it reaches the database.
        writer.offer(event(n, "{\"n\": " + n + ", \"out\": \"bin\\u0000ary\"}"));
      } else if (n == 6) {
        // A session that does not exist (deleted meanwhile): a foreign key violation, 23503.
        writer.offer(event(n, UUID.randomUUID(), numbered(n)));
      } else {
        writer.offer(event(n, numbered(n)));
      }
    }
    writer.start(); // one batch of ten

    await().atMost(Duration.ofSeconds(10)).until(() -> writer.rejected() == 3 && stored() == 7);
    assertThat(storedNumbers()).containsExactly(0, 1, 2, 4, 5, 7, 8);
    assertThat(writer.dropped()).isZero();
    assertThat(faults.failed()).isZero(); // every refusal came from PostgreSQL itself
  }

  @Test
  void aBatchTheDatabaseCannotTakeNowIsRetriedWholeAndNothingIsDropped() {
    faults.failNext(INSERT, 2);
    for (int n = 0; n < 5; n++) {
      writer.offer(event(n, numbered(n)));
    }
    writer.start();
    await().atMost(Duration.ofSeconds(10)).until(() -> stored() == 5);
    assertThat(faults.failed()).isEqualTo(2);
    assertThat(writer.rejected()).isZero();
    assertThat(storedNumbers()).containsExactly(0, 1, 2, 3, 4);
  }

  @Test
  void aBatchRefusedOnceForItsDataIsWrittenInHalvesAndNothingIsDropped() {
    faults.failNext(INSERT, 1, "22P05");
    for (int n = 0; n < 5; n++) {
      writer.offer(event(n, numbered(n)));
    }
    writer.start();
    await().atMost(Duration.ofSeconds(10)).until(() -> stored() == 5);
    assertThat(writer.rejected()).isZero();
    assertThat(storedNumbers()).containsExactly(0, 1, 2, 3, 4);
  }

  @Test
  void aLostConnectionWhileSplittingKeepsTheRowsNotYetWrittenForTheRetry() {
    faults.failNext(INSERT, 1, "22P05"); // the batch of eight: split
    faults.letThrough(INSERT, 1); // the first half is written
    faults.failNext(INSERT, 1, FaultyDataSource.CONNECTION_FAILURE); // the second half: retried
    for (int n = 0; n < 8; n++) {
      writer.offer(event(n, numbered(n)));
    }
    writer.start();
    await().atMost(Duration.ofSeconds(10)).until(() -> stored() == 8);
    assertThat(faults.failed()).isEqualTo(2);
    assertThat(writer.rejected()).isZero();
    // Each row written once, in order: the first half was not written again.
    assertThat(storedNumbers()).containsExactly(0, 1, 2, 3, 4, 5, 6, 7);
  }

  @Test
  void nulInStringsAndFieldNamesBecomesTheReplacementCharacterAndTheRowIsStored() throws Exception {
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("n", 0);
    data.put("out", "bin\0ary\0");
    data.put("k\0", List.of("\0"));
    data.put("path", "C:\\u0000dir"); // a backslash and the letters u0000: not a NUL, kept
    String json = writer.toJsonObject(data);

    JsonNode parsed = JSON.readTree(json);
    assertThat(parsed.get("out").asText()).isEqualTo("bin\uFFFDary\uFFFD");
    assertThat(parsed.get("k\uFFFD").get(0).asText()).isEqualTo("\uFFFD");
    assertThat(parsed.get("path").asText()).isEqualTo("C:\\u0000dir");

    writer.offer(event(0, json));
    writer.start();
    await().atMost(Duration.ofSeconds(10)).until(() -> stored() == 1);
    assertThat(writer.rejected()).isZero();
    assertThat(
            db.queryString(
                "SELECT event_data->>'out' || '|' || (event_data->'k\uFFFD'->>0) || '|'"
                    + " || (event_data->>'path') FROM session_events"
                    + " WHERE event_type = 'terminal'"))
        .isEqualTo("bin\uFFFDary\uFFFD|\uFFFD|C:\\u0000dir");
  }

  @Test
  void dataUpToOneMebibyteOfJsonIsAcceptedAndLargerDataIsRefusedWithTheSize() {
    int limit = JobContext.MAX_EVENT_DATA_BYTES;
    // {"o":"..."} is 8 characters around the value.
    assertThat(writer.toJsonObject(Map.of("o", "x".repeat(limit - 8)))).hasSize(limit);
    assertThatThrownBy(() -> writer.toJsonObject(Map.of("o", "x".repeat(limit - 7))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("1048577 bytes")
        .hasMessageContaining("limit is 1048576 bytes");
    // Measured in UTF-8: 'é' is two bytes, so fewer characters than the limit can be too many.
    int e = (limit - 8) / 2 + 1;
    assertThatThrownBy(() -> writer.toJsonObject(Map.of("o", "é".repeat(e))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining((8 + 2L * e) + " bytes");
    assertThat(writer.toJsonObject(Map.of("o", "é".repeat(e - 1)))).hasSize(8 + e - 1);
  }

  @Test
  void utf8LengthCountsBytes() {
    assertThat(EventWriter.utf8Length("")).isZero();
    assertThat(EventWriter.utf8Length("abc")).isEqualTo(3);
    assertThat(EventWriter.utf8Length("é")).isEqualTo(2);
    assertThat(EventWriter.utf8Length("✓")).isEqualTo(3);
    assertThat(EventWriter.utf8Length("😀")).isEqualTo(4);
  }
}
