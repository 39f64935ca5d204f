package dev.mobvibe.queue.realtime;

import dev.mobvibe.queue.JobNotifier;
import dev.mobvibe.queue.JobQueue;
import dev.mobvibe.queue.NewJob;
import dev.mobvibe.queue.testing.TestDatabase;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.RegisterExtension;

class PgNotifierContractTest extends JobNotifierContract {
  @RegisterExtension static final TestDatabase db = new TestDatabase();
  private static JobQueue queue;

  @BeforeAll
  static void migrate() {
    queue = db.migratedQueue();
  }

  @Override
  protected JobNotifier createNotifier() {
    return PgNotifier.builder()
        .jdbcUrl(db.jdbcUrl())
        .username(db.user())
        .password(db.password())
        .build();
  }

  @Override
  protected UUID announceJob(JobNotifier notifier) {
    return queue.enqueue(NewJob.of("contract")).id();
  }
}
