package dev.mobvibe.queue.realtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mobvibe.queue.Job;
import dev.mobvibe.queue.JobQueue;
import dev.mobvibe.queue.JobSignal;
import dev.mobvibe.queue.NewJob;
import dev.mobvibe.queue.Subscription;
import dev.mobvibe.queue.testing.TestDatabase;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link JobQueue#subscribeToNewJobs} with a push notifier: one signal per inserted job, carrying
 * its id, session and priority, as the seed's subscription delivered them.
 */
class QueueSubscriptionTest {
  @RegisterExtension static final TestDatabase db = new TestDatabase();

  @Test
  void aPushNotifierDeliversOneSignalPerInsertedJobWithItsId() {
    JobQueue migrated = db.migratedQueue();
    try (PgNotifier notifier =
            PgNotifier.builder()
                .jdbcUrl(db.jdbcUrl())
                .username(db.user())
                .password(db.password())
                .build();
        JobQueue queue = db.newQueue(JobQueue.builder().notifier(notifier))) {
      List<JobSignal> signals = new CopyOnWriteArrayList<>();
      Subscription subscription = queue.subscribeToNewJobs(signals::add);
      // Listening once the notifier's catch-up signal arrived.
      await().atMost(Duration.ofSeconds(20)).until(() -> !signals.isEmpty());

      List<Job> jobs =
          migrated.enqueueAll(
              List.of(
                  NewJob.of("one"),
                  NewJob.of("two"),
                  NewJob.builder("three").priority(10).build()));
      Set<UUID> ids = jobs.stream().map(Job::id).collect(Collectors.toSet());
      await().atMost(Duration.ofSeconds(20)).until(() -> notifications(signals).size() == 3);
      assertThat(notifications(signals).stream().map(JobSignal::jobId))
          .containsExactlyInAnyOrderElementsOf(ids);
      assertThat(notifications(signals))
          .allSatisfy(s -> assertThat(s.sessionId()).isNotNull())
          .anySatisfy(s -> assertThat(s.priority()).isEqualTo(10));
      subscription.unsubscribe();
    }
  }

  private static List<JobSignal> notifications(List<JobSignal> signals) {
    return signals.stream().filter(s -> s.source() == JobSignal.Source.NOTIFICATION).toList();
  }
}
