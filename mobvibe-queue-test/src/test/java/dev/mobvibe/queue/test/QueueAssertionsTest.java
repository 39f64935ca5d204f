package dev.mobvibe.queue.test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mobvibe.queue.JobArgs;
import dev.mobvibe.queue.NewJob;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class QueueAssertionsTest {
  @RegisterExtension static final MobVibeQueueExtension mvq = MobVibeQueueExtension.create();

  record SendEmail(String to, String subject, Instant at, List<Integer> codes) implements JobArgs {
    @Override
    public String kind() {
      return "send_email";
    }
  }

  private static final Instant AT = Instant.parse("2026-03-01T12:00:00.123456Z");

  @Test
  void jobsAreFoundByKindAndByArgs() {
    mvq.queue().enqueue(NewJob.of(new SendEmail("ada@example.com", "Welcome", AT, List.of(1, 2))));
    mvq.queue()
        .enqueue(
            NewJob.builder(new SendEmail("ada@example.com", "Welcome", AT, List.of(1, 2)))
                .delay(Duration.ofDays(1))
                .build());
    mvq.queue().enqueue(NewJob.of(new SendEmail("bob@example.com", "Hi", AT, List.of())));

    assertThat(mvq.assertEnqueued("send_email").times(3).jobs()).hasSize(3);
    mvq.assertEnqueued(new SendEmail("ada@example.com", "Welcome", AT, List.of(1, 2))).times(2);
    assertThat(
            mvq.assertEnqueued(new SendEmail("bob@example.com", "Hi", AT, List.of())).job().kind())
        .isEqualTo("send_email");
    mvq.assertNotEnqueued("webhook");
    mvq.assertNotEnqueued(new SendEmail("bob@example.com", "Bye", AT, List.of()));
  }

  @Test
  void aJobThatRanIsNoLongerEnqueued() {
    mvq.queue().enqueue(NewJob.of(new SendEmail("c@example.com", "Done", AT, List.of())));
    mvq.drainer().handler("send_email", (job, ctx) -> {}).build().drain();
    mvq.assertNotEnqueued("send_email");
  }

  @Test
  void failuresSayWhatWasExpectedAndListWhatIsPending() {
    mvq.queue().enqueue(NewJob.of(new SendEmail("ada@example.com", "Welcome", AT, List.of(7))));
    mvq.queue().enqueue(NewJob.of("Build a todo app"));

    assertThatThrownBy(() -> mvq.assertEnqueued("webhook"))
        .isInstanceOf(AssertionError.class)
        .hasMessageStartingWith(
            "expected a pending job of kind webhook, found none; pending jobs (2):")
        .hasMessageContaining(
            "send_email {\"at\": \"2026-03-01T12:00:00.123456Z\", \"to\": \"ada@example.com\"")
        .hasMessageContaining("coding_session prompt=\"Build a todo app\"");
    assertThatThrownBy(
            () -> mvq.assertEnqueued(new SendEmail("ada@example.com", "Welcome", AT, List.of(8))))
        .hasMessageStartingWith(
            "expected a pending job of kind send_email with args"
                + " {\"to\":\"ada@example.com\",\"subject\":\"Welcome\","
                + "\"at\":\"2026-03-01T12:00:00.123456Z\",\"codes\":[8]}, found none");
    assertThatThrownBy(() -> mvq.assertEnqueued("send_email").times(2))
        .hasMessageStartingWith("expected 2 pending jobs of kind send_email, found 1; pending");
    assertThatThrownBy(() -> mvq.assertNotEnqueued("coding_session"))
        .hasMessageStartingWith("expected no pending job of kind coding_session, found 1");
  }

  @Test
  void anEmptyQueueSaysSo() {
    assertThatThrownBy(() -> mvq.assertEnqueued("send_email"))
        .hasMessage("expected a pending job of kind send_email, found none; no job is pending");
  }
}
