package dev.mobvibe.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import dev.mobvibe.queue.testing.TestDatabase;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Every {@link JobProcessorBuilder} check: each bad option fails in {@code build()} with an
 * exception naming the option and the bad value, and nothing starts.
 */
class ProcessorBadInputTest {
  @RegisterExtension static final TestDatabase db = new TestDatabase();

  static JobQueue queue;
  static final JobHandler NO_OP = (job, ctx) -> {};

  @BeforeAll
  static void queue() {
    queue = db.newQueue(); // never used for SQL here: build() must not touch the database
  }

  static void rejected(UnaryOperator<JobProcessorBuilder> setting, String... messageParts) {
    JobProcessorBuilder builder = setting.apply(JobProcessor.builder(queue, NO_OP));
    var thrown = assertThatThrownBy(builder::build).isInstanceOf(IllegalArgumentException.class);
    for (String part : messageParts) {
      thrown.hasMessageContaining(part);
    }
  }

  @Test
  void concurrencyOutOfRange() {
    rejected(b -> b.concurrency(0), "concurrency", "was 0");
    rejected(b -> b.concurrency(-1), "concurrency", "was -1");
    rejected(b -> b.concurrency(1001), "concurrency", "was 1001");
    assertThat(JobProcessor.builder(queue, NO_OP).concurrency(1).build().concurrency())
        .isEqualTo(1);
    assertThat(JobProcessor.builder(queue, NO_OP).concurrency(1000).build().concurrency())
        .isEqualTo(1000);
  }

  @Test
  void nullQueueOrHandler() {
    assertThatThrownBy(() -> JobProcessor.builder(null, NO_OP).build())
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("queue");
    assertThatThrownBy(() -> JobProcessor.builder(queue, null).build())
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("handler");
    assertThatThrownBy(() -> JobProcessor.builder(queue, NO_OP).listener(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("listener");
  }

  @Test
  void pollIntervalNotPositive() {
    rejected(b -> b.pollInterval(Duration.ZERO), "pollInterval", "PT0S");
    rejected(b -> b.pollInterval(Duration.ofMillis(-5)), "pollInterval");
    rejected(b -> b.pollInterval(null), "pollInterval", "null");
  }

  @Test
  void leaseDurationTooShort() {
    rejected(b -> b.leaseDuration(Duration.ofMillis(50)), "leaseDuration", "100 ms", "PT0.05S");
    rejected(b -> b.leaseDuration(null), "leaseDuration");
    JobProcessor.builder(queue, NO_OP).leaseDuration(Duration.ofMillis(100)).build();
  }

  @Test
  void shutdownTimeoutNegative() {
    rejected(b -> b.shutdownTimeout(Duration.ofMillis(-1)), "shutdownTimeout", "PT-0.001S");
    rejected(b -> b.shutdownTimeout(null), "shutdownTimeout");
    JobProcessor.builder(queue, NO_OP).shutdownTimeout(Duration.ZERO).build();
  }

  @Test
  void workerIdWithSpacesOrOtherCharacters() {
    rejected(b -> b.workerId("worker one"), "workerId", "'worker one'");
    rejected(b -> b.workerId(""), "workerId");
    rejected(b -> b.workerId("a/b"), "workerId");
    rejected(b -> b.workerId("x".repeat(101)), "workerId");
    assertThat(JobProcessor.builder(queue, NO_OP).workerId("host-1.eu_west:42").build().workerId())
        .isEqualTo("host-1.eu_west:42");
    assertThat(JobProcessor.builder(queue, NO_OP).build().workerId())
        .as("default host-pid-random")
        .matches("[A-Za-z0-9._:-]+-\\d+-[0-9a-f]{8}");
  }

  @Test
  void otherDurationsAndSizes() {
    rejected(b -> b.jobTimeout(Duration.ZERO), "jobTimeout");
    rejected(b -> b.heartbeatTimeout(Duration.ZERO), "heartbeatTimeout");
    rejected(b -> b.reapInterval(Duration.ofMillis(5)), "reapInterval", "10 ms");
    rejected(b -> b.reapGrace(Duration.ofSeconds(-1)), "reapGrace", "PT-1S");
    rejected(b -> b.unleasedGrace(Duration.ofSeconds(-1)), "unleasedGrace", "PT-1S");
    rejected(b -> b.prefetch(-1), "prefetch", "was -1");
    rejected(b -> b.prefetch(1001), "prefetch", "was 1001");
    rejected(b -> b.eventBufferCapacity(0), "eventBufferCapacity", "was 0");
    rejected(b -> b.eventBufferCapacity(1_000_001), "eventBufferCapacity");
    // The documented ways to turn things off are accepted.
    JobProcessor.builder(queue, NO_OP).noJobTimeout().heartbeatTimeout(null).build();
  }

  @Test
  void virtualThreadsNeedJava21() {
    assumeFalse(JobProcessor.virtualThreadsAvailable(), "this JVM has virtual threads");
    rejected(
        b -> b.virtualThreads(true),
        "virtualThreads",
        "Java 21",
        "Java " + Runtime.version().feature());
  }

  @Test
  void virtualThreadsAndAThreadFactoryExcludeEachOther() {
    rejected(
        b -> b.virtualThreads(true).threadFactory(Executors.defaultThreadFactory()),
        "threadFactory",
        "virtualThreads");
  }

  @Test
  void aRejectedBuildStartsNothing() {
    rejected(b -> b.concurrency(0).workerId("rejected-build"), "concurrency");
    assertThat(Thread.getAllStackTraces().keySet())
        .noneMatch(t -> t.isAlive() && t.getName().contains("rejected-build"));
  }
}
