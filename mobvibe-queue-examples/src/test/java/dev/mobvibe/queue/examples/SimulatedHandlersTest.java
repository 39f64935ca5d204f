package dev.mobvibe.queue.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mobvibe.queue.NewJob;
import dev.mobvibe.queue.RetryPolicy;
import dev.mobvibe.queue.test.DrainResult;
import dev.mobvibe.queue.test.MobVibeQueueExtension;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The reference worker's handlers, run synchronously by the test kit's drain: no worker threads,
 * and their simulated work time passes on the drain's clock, not the wall clock.
 */
class SimulatedHandlersTest {
  @RegisterExtension
  static final MobVibeQueueExtension mvq =
      MobVibeQueueExtension.create()
          .withQueue(b -> b.retryPolicy(RetryPolicy.fixed(Duration.ofSeconds(30))));

  @Test
  void anEmailIsSent() {
    mvq.queue().enqueue(NewJob.of(new SendEmail("ada@example.com", "Welcome", "Hello")));
    mvq.assertEnqueued(new SendEmail("ada@example.com", "Welcome", "Hello")).times(1);

    DrainResult result =
        mvq.drainer()
            .handler(
                SendEmail.KIND, SendEmail.class, new SimulatedEmailSender(Duration.ofMinutes(1), 0))
            .build()
            .drainAll();

    assertThat(result.completed()).isEqualTo(1);
    mvq.assertNotEnqueued(SendEmail.KIND);
  }

  @Test
  void anEmailWithoutRecipientGoesStraightToTheDeadLetter() {
    mvq.queue().enqueue(NewJob.of(new SendEmail(" ", "Welcome", "Hello")));

    DrainResult result =
        mvq.drainer()
            .handler(SendEmail.KIND, SendEmail.class, new SimulatedEmailSender(Duration.ZERO, 0))
            .build()
            .drainAll();

    assertThat(result.attempts()).hasSize(1);
    assertThat(result.deadLetteredJobs().get(0).errorMessage())
        .isEqualTo("the email has no recipient (\"to\")");
  }

  @Test
  void aCodingSessionThatAlwaysFailsIsRetriedThenDeadLettered() {
    mvq.queue().enqueue(NewJob.builder("Build a todo app").maxAttempts(3).build());

    DrainResult result =
        mvq.drainer()
            .handler(
                NewJob.CODING_SESSION_KIND, new SimulatedCodingSession(Duration.ofMinutes(10), 1))
            .build()
            .drainAll();

    assertThat(result.retried()).isEqualTo(2);
    assertThat(result.deadLettered()).isEqualTo(1);
    assertThat(result.deadLetteredJobs().get(0).errorMessage())
        .isEqualTo(
            "IllegalStateException: simulated failure in attempt 3: the sandbox's tests failed");
    assertThat(result.attempts().get(0).events())
        .extracting(DrainResult.Event::type)
        .containsExactly("thinking", "thinking", "terminal", "terminal");
  }

  @Test
  void aCodingSessionReportsItsProgress() {
    mvq.queue().enqueue(NewJob.of("Add a dark mode"));

    DrainResult result =
        mvq.drainer()
            .handler(
                NewJob.CODING_SESSION_KIND, new SimulatedCodingSession(Duration.ofMinutes(10), 0))
            .build()
            .drainAll();

    assertThat(result.completed()).isEqualTo(1);
    assertThat(result.events())
        .extracting(DrainResult.Event::type)
        .containsExactly("thinking", "thinking", "terminal", "terminal", "completion");
    assertThat(result.events().get(4).dataJson()).contains("Done: Add a dark mode");
  }
}
