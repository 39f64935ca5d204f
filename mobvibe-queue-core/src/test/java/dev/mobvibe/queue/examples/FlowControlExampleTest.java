package dev.mobvibe.queue.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mobvibe.queue.JobProcessor;
import dev.mobvibe.queue.JobQueue;
import dev.mobvibe.queue.NewJob;
import dev.mobvibe.queue.testing.TestDatabase;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Runs the README's flow-control snippet against a fresh database. */
class FlowControlExampleTest {
  @RegisterExtension static final TestDatabase db = new TestDatabase();

  @Test
  void theSnippetRunsItsJobsAndPausesTheEmails() {
    JobQueue queue = db.migratedQueue();
    List<String> log = new CopyOnWriteArrayList<>();
    FlowControlExample.enqueue(queue);
    queue.enqueue(NewJob.of("Build a todo app"));
    try (JobProcessor processor =
        FlowControlExample.processor(
            queue,
            (job, ctx) -> log.add("coded " + job.prompt()),
            (deploy, ctx) -> log.add("deployed " + deploy.site()))) {
      processor.start();
      await().atMost(Duration.ofSeconds(10)).until(() -> log.size() == 2);
    }
    assertThat(log).containsExactlyInAnyOrder("deployed site-7", "coded Build a todo app");
    assertThat(queue.pausedKinds()).containsOnlyKeys("send_email");
    assertThat(db.queryString("SELECT concurrency_key FROM coding_jobs WHERE kind = 'deploy'"))
        .isEqualTo("site-7");
  }
}
