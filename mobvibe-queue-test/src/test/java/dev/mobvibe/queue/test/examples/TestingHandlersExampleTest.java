package dev.mobvibe.queue.test.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mobvibe.queue.JobArgs;
import dev.mobvibe.queue.JobQueue;
import dev.mobvibe.queue.NewJob;
import dev.mobvibe.queue.test.DrainResult;
import dev.mobvibe.queue.test.MobVibeQueueExtension;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The README's "Testing your handlers" example, compiled and run by the build. */
class TestingHandlersExampleTest {
  @RegisterExtension static final MobVibeQueueExtension mvq = MobVibeQueueExtension.create();

  record SendWelcome(String to) implements JobArgs {
    @Override
    public String kind() {
      return "send_welcome";
    }
  }

  /** The code under test: signing up enqueues a welcome email. */
  static void signUp(JobQueue queue, String email) {
    queue.enqueue(NewJob.of(new SendWelcome(email)));
  }

  @Test
  void signingUpEnqueuesAWelcomeEmail() {
    signUp(mvq.queue(), "ada@example.com");

    mvq.assertEnqueued(new SendWelcome("ada@example.com")).times(1);
    mvq.assertNotEnqueued("send_invoice");
  }

  @Test
  void theHandlerIsRetriedUntilTheMailerAnswers() {
    signUp(mvq.queue(), "ada@example.com");
    AtomicInteger calls = new AtomicInteger();

    DrainResult result =
        mvq.drainer()
            .handler(
                "send_welcome",
                SendWelcome.class,
                (email, ctx) -> {
                  if (calls.incrementAndGet() <= 2) {
                    throw new IllegalStateException("mailer unavailable");
                  }
                  ctx.recordOutput("sent to " + email.to());
                })
            .build()
            .drainAll(); // runs in this thread; follows both backoffs on a test clock

    assertThat(result.retried()).isEqualTo(2);
    assertThat(result.completed()).isEqualTo(1);
    assertThat(result.completedJobs().get(0).output(String.class))
        .isEqualTo("sent to ada@example.com");
    mvq.assertNotEnqueued("send_welcome");
  }
}
