package dev.mobvibe.queue.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mobvibe.queue.Job;
import dev.mobvibe.queue.JobQueue;
import dev.mobvibe.queue.NewJob;
import dev.mobvibe.queue.testing.TestDatabase;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.DataSourceTransactionManagerAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.transaction.autoconfigure.TransactionAutoConfiguration;
import org.springframework.transaction.support.TransactionTemplate;

/** {@link JobEnqueuer} joins Spring-managed transactions on the queue's data source. */
class TransactionalEnqueueTest {
  @RegisterExtension static final TestDatabase db = new TestDatabase();

  private final ApplicationContextRunner runner =
      new ApplicationContextRunner()
          .withConfiguration(
              AutoConfigurations.of(
                  DataSourceAutoConfiguration.class,
                  DataSourceTransactionManagerAutoConfiguration.class,
                  TransactionAutoConfiguration.class,
                  MobVibeQueueAutoConfiguration.class))
          .withPropertyValues(datasourceProperties());

  private static String[] datasourceProperties() {
    List<String> p = new ArrayList<>();
    p.add("spring.datasource.url=" + db.jdbcUrl());
    if (db.user() != null) {
      p.add("spring.datasource.username=" + db.user());
    }
    if (db.password() != null) {
      p.add("spring.datasource.password=" + db.password());
    }
    return p.toArray(String[]::new);
  }

  @Test
  void aRolledBackTransactionLeavesNoJob() {
    runner.run(
        context -> {
          JobEnqueuer enqueuer = context.getBean(JobEnqueuer.class);
          TransactionTemplate tx = context.getBean(TransactionTemplate.class);
          Job[] enqueued = new Job[1];
          assertThatThrownBy(
                  () ->
                      tx.executeWithoutResult(
                          status -> {
                            enqueued[0] = enqueuer.enqueue(NewJob.of("Rolled back"));
                            throw new IllegalStateException("the service fails after enqueue");
                          }))
              .hasMessage("the service fails after enqueue");
          assertThat(enqueued[0]).isNotNull();
          assertThat(context.getBean(JobQueue.class).findJob(enqueued[0].id())).isEmpty();
        });
  }

  @Test
  void aCommittedTransactionLeavesTheJob() {
    runner.run(
        context -> {
          JobEnqueuer enqueuer = context.getBean(JobEnqueuer.class);
          JobQueue queue = context.getBean(JobQueue.class);
          TransactionTemplate tx = context.getBean(TransactionTemplate.class);
          Job job =
              tx.execute(
                  status -> {
                    Job enqueued = enqueuer.enqueue(NewJob.of("Committed"));
                    // Not visible outside the transaction before the commit.
                    assertThat(queue.findJob(enqueued.id())).isEmpty();
                    return enqueued;
                  });
          Optional<Job> stored = queue.findJob(job.id());
          assertThat(stored).isPresent();
          assertThat(stored.get().prompt()).isEqualTo("Committed");
        });
  }

  @Test
  void outsideATransactionTheJobIsCommittedAtOnce() {
    runner.run(
        context -> {
          Job job = context.getBean(JobEnqueuer.class).enqueue(NewJob.of("No transaction"));
          assertThat(context.getBean(JobQueue.class).findJob(job.id())).isPresent();
        });
  }
}
