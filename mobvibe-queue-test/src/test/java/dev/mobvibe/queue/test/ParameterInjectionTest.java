package dev.mobvibe.queue.test;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mobvibe.queue.JobQueue;
import dev.mobvibe.queue.NewJob;
import java.sql.Connection;
import javax.sql.DataSource;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@code @ExtendWith} hands the queue and its data source to tests as parameters. */
@ExtendWith(MobVibeQueueExtension.class)
class ParameterInjectionTest {

  @Test
  void theQueueIsMigratedAndEmpty(JobQueue queue, DataSource dataSource) throws Exception {
    assertThat(queue.schemaVersion()).isPositive();
    assertThat(queue.getQueueStats().pendingCount()).isZero();
    queue.enqueue(NewJob.of("First"));
    try (Connection c = dataSource.getConnection()) {
      assertThat(c.getCatalog()).startsWith("mvq_test_parameterinjectiontest_");
    }
    QueueAssertions.assertEnqueued(queue, NewJob.CODING_SESSION_KIND).times(1);
  }

  @Test
  void eachTestStartsEmpty(JobQueue queue) {
    assertThat(queue.getQueueStats().pendingCount()).isZero();
    queue.enqueue(NewJob.of("Second"));
    QueueAssertions.assertEnqueued(queue, NewJob.CODING_SESSION_KIND).times(1);
  }

  @Nested
  class WhenNested {
    @Test
    void nestedClassesShareTheQueue(JobQueue queue, DataSource dataSource) throws Exception {
      assertThat(queue.getQueueStats().pendingCount()).isZero();
      try (Connection c = dataSource.getConnection()) {
        assertThat(c.getCatalog()).startsWith("mvq_test_parameterinjectiontest_");
      }
    }
  }
}
