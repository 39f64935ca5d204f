package dev.mobvibe.queue.realtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mobvibe.queue.Job;
import dev.mobvibe.queue.JobNotifier;
import dev.mobvibe.queue.JobProcessor;
import dev.mobvibe.queue.JobQueue;
import dev.mobvibe.queue.NewJob;
import dev.mobvibe.queue.NotifierState;
import dev.mobvibe.queue.testing.TestDatabase;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A processor that polls only once a minute picks up a new job within seconds: only the
 * notification can explain the pickup.
 */
class EndToEndTest {
  @RegisterExtension static final TestDatabase db = new TestDatabase();
  static final Duration POLL = Duration.ofSeconds(60);
  static final Duration PICKUP_BOUND = Duration.ofSeconds(15); // generous, and far below POLL
  private static JobQueue queue;

  @BeforeAll
  static void migrate() {
    queue = db.migratedQueue();
  }

  private static JobProcessor processor(JobNotifier notifier, List<UUID> handled) {
    return JobProcessor.builder(queue, (job, ctx) -> handled.add(job.id()))
        .pollInterval(POLL)
        .notifier(notifier)
        .build();
  }

  @Test
  void theListenNotifierWakesAProcessorThatPollsOncePerMinute() {
    List<UUID> handled = new CopyOnWriteArrayList<>();
    try (PgNotifier notifier =
            PgNotifier.builder().jdbcUrl(db.jdbcUrl()).username(db.user()).build();
        JobProcessor processor = processor(notifier, handled)) {
      processor.start();
      await().atMost(PICKUP_BOUND).until(() -> notifier.state() == NotifierState.LISTENING);
      await().atMost(PICKUP_BOUND).until(() -> processor.lastSuccessfulClaim().isPresent());
      Job job = queue.enqueue(NewJob.of("wake up"));
      await().atMost(PICKUP_BOUND).until(() -> handled.contains(job.id()));
    }
  }

  @Test
  void theSupabaseNotifierWakesAProcessorThatPollsOncePerMinute() throws Exception {
    List<UUID> handled = new CopyOnWriteArrayList<>();
    try (FakeRealtimeServer server = new FakeRealtimeServer();
        SupabaseRealtimeNotifier notifier =
            SupabaseRealtimeNotifier.builder()
                .supabaseUrl(server.url())
                .apiKey("e2e-key")
                .timer(new ManualTimer())
                .build();
        JobProcessor processor = processor(notifier, handled)) {
      processor.start();
      await().atMost(PICKUP_BOUND).until(() -> notifier.state() == NotifierState.LISTENING);
      await().atMost(PICKUP_BOUND).until(() -> processor.lastSuccessfulClaim().isPresent());
      // The row is real; the fake server plays Supabase's part and announces it.
      Job job = queue.enqueue(NewJob.of("wake up via realtime"));
      FakeRealtimeServer.Conn conn = server.latest();
      conn.change(
          "realtime:new_jobs",
          "INSERT",
          FakeRealtimeServer.jobRecord(
              job.id().toString(), job.sessionId().toString(), job.priority()),
          conn.firstBindingId("realtime:new_jobs"));
      await().atMost(PICKUP_BOUND).until(() -> handled.contains(job.id()));
      assertThat(handled).containsExactly(job.id());
    }
  }
}
