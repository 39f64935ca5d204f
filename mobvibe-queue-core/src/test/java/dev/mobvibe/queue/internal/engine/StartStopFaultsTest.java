package dev.mobvibe.queue.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.mobvibe.queue.JobNotifier;
import dev.mobvibe.queue.JobProcessor;
import dev.mobvibe.queue.JobQueue;
import dev.mobvibe.queue.JobSignal;
import dev.mobvibe.queue.NewJob;
import dev.mobvibe.queue.NotifierState;
import dev.mobvibe.queue.Subscription;
import dev.mobvibe.queue.testing.TestDatabase;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Faults at the edges of a processor's life: a start whose notifier throws leaves nothing running,
 * and a stop right after a claim whose reply was lost leaves nothing stranded in {@code processing}
 * and charges no attempt.
 */
@Tag("faults")
class StartStopFaultsTest {
  @RegisterExtension static final TestDatabase db = new TestDatabase();

  static JobQueue direct;

  @BeforeAll
  static void migrate() {
    direct = db.migratedQueue();
  }

  @BeforeEach
  void empty() {
    db.emptyQueueTables();
  }

  private static String shortId() {
    return UUID.randomUUID().toString().substring(0, 8);
  }

  private static Set<String> threadsOf(String workerId) {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.isAlive() && t.getName().contains(workerId))
        .map(Thread::getName)
        .collect(Collectors.toSet());
  }

  @Test
  void aNotifierThatThrowsOnSubscribeLeavesNothingRunning() {
    JobNotifier broken =
        new JobNotifier() {
          @Override
          public Subscription subscribe(Consumer<JobSignal> listener) {
            throw new IllegalStateException("cannot listen");
          }

          @Override
          public NotifierState state() {
            return NotifierState.IDLE;
          }

          @Override
          public void close() {}
        };
    direct.enqueue(NewJob.of("must not be claimed"));
    String id = "start-fails-" + shortId();
    JobProcessor p =
        JobProcessor.builder(direct, (j, c) -> {}).notifier(broken).workerId(id).build();
    assertThatThrownBy(p::start).hasMessageContaining("cannot listen");
    assertThat(p.state()).isEqualTo(JobProcessor.State.NEW);
    assertThat(threadsOf(id)).isEmpty();
    assertThat(db.queryLong("SELECT count(*) FROM coding_jobs WHERE status = 'pending'"))
        .isEqualTo(1);
    p.stop();
    assertThat(p.state()).isEqualTo(JobProcessor.State.STOPPED);
  }

  @Test
  void aStopRightAfterAClaimWhoseReplyWasLostLeavesNothingStranded() {
    FaultyDataSource faults = new FaultyDataSource(db.dataSource());
    JobQueue flaky = db.closeLater(JobQueue.builder().dataSource(faults).build());
    direct.enqueueAll(
        List.of(NewJob.of("a"), NewJob.of("b"), NewJob.of("c"), NewJob.of("d"), NewJob.of("e")));
    faults.loseReplyOfNext("FOR UPDATE SKIP LOCKED", 1);
    String id = "stops-" + shortId();
    JobProcessor p =
        JobProcessor.builder(flaky, (j, c) -> {})
            .workerId(id)
            .pollInterval(Duration.ofHours(1))
            .shutdownTimeout(Duration.ZERO)
            .build();
    p.start();
    await().atMost(Duration.ofSeconds(10)).until(() -> faults.failed() == 1);
    p.stop();

    assertThat(db.queryLong("SELECT count(*) FROM coding_jobs WHERE status = 'processing'"))
        .as("nothing stranded in processing")
        .isZero();
    assertThat(db.queryLong("SELECT coalesce(sum(retry_count), 0) FROM coding_jobs"))
        .as("no attempt charged")
        .isZero();
    assertThat(
            db.queryLong(
                "SELECT count(*) FROM coding_jobs WHERE status IN ('pending', 'completed')"))
        .isEqualTo(5);
    await().atMost(Duration.ofSeconds(10)).until(() -> threadsOf(id).isEmpty());
  }
}
