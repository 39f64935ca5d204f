package dev.mobvibe.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mobvibe.queue.testing.TestDatabase;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The queue's statement timeout: a statement stuck behind a lock another transaction holds is
 * cancelled after the timeout instead of waiting for ever, and the queue goes on working.
 */
class StatementTimeoutTest {
  @RegisterExtension static final TestDatabase db = new TestDatabase();

  @Test
  void aStatementStuckOnALockIsCancelledAfterTheTimeout() throws Exception {
    db.migratedQueue();
    JobQueue queue = db.newQueue(JobQueue.builder().statementTimeout(Duration.ofSeconds(1)));
    Job job = queue.enqueue(NewJob.of("locked by someone else"));
    try (Connection holder = db.connect()) {
      holder.setAutoCommit(false);
      try (Statement st = holder.createStatement()) {
        st.execute("SELECT 1 FROM coding_jobs WHERE id = '" + job.id() + "' FOR UPDATE");
      }
      long start = System.nanoTime();
      assertThatThrownBy(() -> queue.cancelJob(job.id()))
          .isInstanceOfSatisfying(
              QueueException.class, e -> assertThat(e.sqlState()).isEqualTo("57014"));
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
      holder.rollback();
    }
    assertThat(queue.cancelJob(job.id())).isTrue();
  }
}
