package dev.mobvibe.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class PollingNotifierTest {

  @Test
  void ticksToEverySubscriberUntilUnsubscribedOrClosed() {
    try (JobNotifier notifier = JobNotifier.polling(Duration.ofMillis(20))) {
      assertThat(notifier.state()).isEqualTo(NotifierState.IDLE);
      AtomicInteger a = new AtomicInteger();
      AtomicInteger b = new AtomicInteger();
      Subscription sa =
          notifier.subscribe(
              s -> {
                assertThat(s.source()).isEqualTo(JobSignal.Source.POLL);
                a.incrementAndGet();
              });
      notifier.subscribe(s -> b.incrementAndGet());
      assertThat(notifier.state()).isEqualTo(NotifierState.LISTENING);
      await().atMost(Duration.ofSeconds(5)).until(() -> a.get() >= 3 && b.get() >= 3);
      sa.unsubscribe();
      sa.unsubscribe(); // idempotent
      int frozen = a.get();
      int before = b.get();
      await().atMost(Duration.ofSeconds(5)).until(() -> b.get() >= before + 3);
      assertThat(a.get()).isLessThanOrEqualTo(frozen + 1); // at most one tick in flight
    }
  }

  @Test
  void aThrowingListenerDoesNotStopDeliveries() {
    try (JobNotifier notifier = JobNotifier.polling(Duration.ofMillis(20))) {
      AtomicInteger good = new AtomicInteger();
      notifier.subscribe(
          s -> {
            throw new IllegalStateException("listener bug");
          });
      notifier.subscribe(s -> good.incrementAndGet());
      await().atMost(Duration.ofSeconds(5)).until(() -> good.get() >= 3);
    }
  }

  @Test
  void closeIsIdempotentAndRefusesNewSubscribers() {
    JobNotifier notifier = JobNotifier.polling(Duration.ofMillis(20));
    notifier.subscribe(s -> {});
    notifier.close();
    notifier.close();
    assertThat(notifier.state()).isEqualTo(NotifierState.CLOSED);
    assertThatThrownBy(() -> notifier.subscribe(s -> {}))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("closed");
    await()
        .atMost(Duration.ofSeconds(5))
        .until(
            () ->
                Thread.getAllStackTraces().keySet().stream()
                    .noneMatch(t -> t.getName().equals("mobvibe-poll-notifier") && t.isAlive()));
  }

  @Test
  void rejectsABadInterval() {
    assertThatThrownBy(() -> JobNotifier.polling(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("interval");
    assertThatThrownBy(() -> JobNotifier.polling(null))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
