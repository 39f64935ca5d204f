package dev.mobvibe.queue.realtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.mobvibe.queue.JobNotifier;
import dev.mobvibe.queue.JobSignal;
import dev.mobvibe.queue.NotifierState;
import dev.mobvibe.queue.Subscription;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The contract every {@link JobNotifier} keeps: subscribe and unsubscribe, isolation from failing
 * listeners, a final CLOSED state, an idempotent close, and no subscription after close. Each
 * implementation runs it by extending this class.
 */
abstract class JobNotifierContract {
  static final Duration WAIT = Duration.ofSeconds(20);

  private final List<JobNotifier> created = new ArrayList<>();

  /** A new notifier, not yet started. */
  protected abstract JobNotifier createNotifier() throws Exception;

  /**
   * Makes the started, listening notifier announce one new job.
   *
   * @return the id of the job that a {@link JobSignal.Source#NOTIFICATION} signal will name
   */
  protected abstract UUID announceJob(JobNotifier notifier) throws Exception;

  /** Releases what the subclass set up for one test, after the notifiers are closed. */
  protected void cleanUp() throws Exception {}

  @AfterEach
  void closeNotifiers() throws Exception {
    created.forEach(JobNotifier::close);
    cleanUp();
  }

  private JobNotifier notifier() throws Exception {
    JobNotifier n = createNotifier();
    created.add(n);
    return n;
  }

  private static void awaitListening(JobNotifier n) {
    await().atMost(WAIT).until(() -> n.state() == NotifierState.LISTENING);
  }

  private static boolean named(List<JobSignal> signals, UUID jobId) {
    return signals.stream()
        .anyMatch(s -> s.source() == JobSignal.Source.NOTIFICATION && jobId.equals(s.jobId()));
  }

  @Test
  void startsIdleAndListensAfterTheFirstSubscription() throws Exception {
    JobNotifier n = notifier();
    assertThat(n.state()).isEqualTo(NotifierState.IDLE);
    List<JobSignal> signals = new CopyOnWriteArrayList<>();
    n.subscribe(signals::add);
    assertThat(n.state()).isIn(NotifierState.CONNECTING, NotifierState.LISTENING);
    awaitListening(n);
    // Listening begins with a catch-up signal: jobs inserted before it were announced to nobody.
    await().atMost(WAIT).until(() -> signals.contains(JobSignal.of(JobSignal.Source.RECONNECT)));
  }

  @Test
  void deliversToEverySubscriberUntilUnsubscribed() throws Exception {
    JobNotifier n = notifier();
    List<JobSignal> a = new CopyOnWriteArrayList<>();
    List<JobSignal> b = new CopyOnWriteArrayList<>();
    Subscription sa = n.subscribe(a::add);
    n.subscribe(b::add);
    awaitListening(n);
    UUID first = announceJob(n);
    await().atMost(WAIT).until(() -> named(a, first) && named(b, first));

    sa.unsubscribe();
    sa.unsubscribe(); // idempotent
    UUID second = announceJob(n);
    await().atMost(WAIT).until(() -> named(b, second));
    assertThat(named(a, second)).isFalse();
  }

  @Test
  void aThrowingListenerDoesNotStopDelivery() throws Exception {
    JobNotifier n = notifier();
    n.subscribe(
        s -> {
          throw new IllegalStateException("listener bug");
        });
    List<JobSignal> good = new CopyOnWriteArrayList<>();
    n.subscribe(good::add);
    awaitListening(n);
    UUID first = announceJob(n);
    UUID second = announceJob(n);
    await().atMost(WAIT).until(() -> named(good, first) && named(good, second));
    assertThat(n.state()).isEqualTo(NotifierState.LISTENING);
  }

  @Test
  void closeEndsInClosedAndIsIdempotent() throws Exception {
    JobNotifier n = notifier();
    n.subscribe(s -> {});
    awaitListening(n);
    n.close();
    assertThat(n.state()).isEqualTo(NotifierState.CLOSED);
    n.close();
    assertThat(n.state()).isEqualTo(NotifierState.CLOSED);
  }

  @Test
  void closeBeforeAnySubscriptionIsFine() throws Exception {
    JobNotifier n = notifier();
    n.close();
    n.close();
    assertThat(n.state()).isEqualTo(NotifierState.CLOSED);
  }

  @Test
  void subscribeAfterCloseThrows() throws Exception {
    JobNotifier n = notifier();
    n.subscribe(s -> {});
    n.close();
    assertThatThrownBy(() -> n.subscribe(s -> {}))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("closed");
  }

  @Test
  void subscribeRejectsNull() throws Exception {
    JobNotifier n = notifier();
    assertThatThrownBy(() -> n.subscribe(null)).isInstanceOf(NullPointerException.class);
  }
}
