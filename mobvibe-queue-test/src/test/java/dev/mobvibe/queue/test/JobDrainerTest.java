package dev.mobvibe.queue.test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mobvibe.queue.Job;
import dev.mobvibe.queue.JobArgs;
import dev.mobvibe.queue.JobError;
import dev.mobvibe.queue.JobQueue;
import dev.mobvibe.queue.JobStatus;
import dev.mobvibe.queue.NewJob;
import dev.mobvibe.queue.PermanentJobFailureException;
import dev.mobvibe.queue.RetryPolicy;
import dev.mobvibe.queue.SnoozeJobException;
import dev.mobvibe.queue.test.DrainResult.Outcome;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class JobDrainerTest {
  @RegisterExtension
  static final MobVibeQueueExtension mvq =
      MobVibeQueueExtension.create()
          .withQueue(b -> b.retryPolicy(RetryPolicy.fixed(Duration.ofMinutes(5))));

  record Ping(String to, int n) implements JobArgs {
    @Override
    public String kind() {
      return "ping";
    }
  }

  record Pong(String echoed) {}

  @Test
  void drainFollowsRetriesOnTheClock() {
    JobQueue queue = mvq.queue();
    Job job = queue.enqueue(NewJob.of(new Ping("ada", 1)));
    AtomicInteger calls = new AtomicInteger();
    List<Instant> seenAt = new ArrayList<>();
    TestClock clock = new TestClock();
    JobDrainer drainer =
        mvq.drainer()
            .clock(clock)
            .handler(
                "ping",
                Ping.class,
                (ping, ctx) -> {
                  seenAt.add(clock.instant());
                  assertThat(ctx.attempt()).isEqualTo(calls.get() + 1);
                  if (calls.incrementAndGet() < 3) {
                    throw new IllegalStateException("provider down " + ctx.attempt());
                  }
                  ctx.recordOutput(new Pong(ping.to()));
                })
            .build();

    DrainResult first = drainer.drain();
    assertThat(first.retried()).isEqualTo(1);
    assertThat(first.completed()).isZero();
    assertThat(drainer.drain().attempts()).as("the retry is 5 minutes away").isEmpty();
    assertThat(queue.findJob(job.id()).orElseThrow().runAt())
        .isAfter(clock.instant().plus(Duration.ofMinutes(4)));

    DrainResult rest = drainer.drainAll();
    assertThat(rest.retried()).isEqualTo(1);
    assertThat(rest.completed()).isEqualTo(1);
    assertThat(rest.attempts()).extracting(DrainResult.Attempt::attempt).containsExactly(2, 3);
    // The clock moved by the two backoffs, less the little real time the test took meanwhile.
    assertThat(clock.offset()).isBetween(Duration.ofMinutes(9), Duration.ofMinutes(10));
    assertThat(Duration.between(seenAt.get(0), seenAt.get(2)))
        .isGreaterThanOrEqualTo(Duration.ofMinutes(10));

    Job done = rest.completedJobs().get(0);
    assertThat(done.status()).isEqualTo(JobStatus.COMPLETED);
    assertThat(done.output(Pong.class)).isEqualTo(new Pong("ada"));
    assertThat(done.errors())
        .extracting(JobError::error)
        .containsExactly(
            "IllegalStateException: provider down 1", "IllegalStateException: provider down 2");
    assertThat(done.errors()).extracting(JobError::worker).containsOnly("mobvibe-test-drain");
  }

  @Test
  void theTestMayMoveTheClockItself() {
    mvq.queue().enqueue(NewJob.builder(new Ping("later", 2)).delay(Duration.ofHours(2)).build());
    JobDrainer drainer = mvq.drainer().handler("ping", (job, ctx) -> {}).build();
    assertThat(drainer.drain().completed()).isZero();
    drainer.clock().advance(Duration.ofMinutes(119));
    assertThat(drainer.drain().completed()).isZero();
    drainer.clock().advance(Duration.ofMinutes(2));
    assertThat(drainer.drain().completed()).isEqualTo(1);
  }

  @Test
  void aJobOutOfAttemptsGoesToTheDeadLetter() {
    mvq.queue().enqueue(NewJob.builder(new Ping("x", 3)).maxAttempts(2).build());
    DrainResult result =
        mvq.drainer()
            .handler(
                "ping",
                (job, ctx) -> {
                  throw new IllegalArgumentException("bad " + ctx.attempt());
                })
            .build()
            .drainAll();
    assertThat(result.retried()).isEqualTo(1);
    assertThat(result.deadLettered()).isEqualTo(1);
    Job dead = result.deadLetteredJobs().get(0);
    assertThat(dead.status()).isEqualTo(JobStatus.FAILED);
    assertThat(dead.errorMessage()).isEqualTo("IllegalArgumentException: bad 2");
    assertThat(result.attempts().get(1).error()).hasMessage("bad 2");
  }

  @Test
  void aPermanentFailureAndUndecodableArgsGoStraightToTheDeadLetter() {
    mvq.queue().enqueue(NewJob.of(new Ping("perm", 4)));
    DrainResult permanent =
        mvq.drainer()
            .handler(
                "ping",
                (job, ctx) -> {
                  throw new PermanentJobFailureException("no such user");
                })
            .build()
            .drainAll();
    assertThat(permanent.deadLettered()).isEqualTo(1);
    assertThat(permanent.deadLetteredJobs().get(0).errorMessage()).isEqualTo("no such user");

    record Wrong(List<String> to) {}
    mvq.queue().enqueue(NewJob.of(new Ping("typed", 5)));
    AtomicInteger calls = new AtomicInteger();
    DrainResult undecodable =
        mvq.drainer()
            .handler("ping", Wrong.class, (args, ctx) -> calls.incrementAndGet())
            .build()
            .drainAll();
    assertThat(undecodable.deadLettered()).isEqualTo(1);
    assertThat(undecodable.deadLetteredJobs().get(0).errorMessage())
        .contains("cannot decode the arguments");
    assertThat(calls).hasValue(0);
  }

  @Test
  void snoozesWaitOnTheClockAndSpendNoAttempt() {
    Job job = mvq.queue().enqueue(NewJob.of(new Ping("sleepy", 6)));
    JobDrainer drainer =
        mvq.drainer()
            .handler(
                "ping",
                (j, ctx) -> {
                  if (j.snoozes() < 2) {
                    throw new SnoozeJobException(Duration.ofSeconds(30));
                  }
                })
            .build();
    DrainResult first = drainer.drain();
    assertThat(first.snoozed()).isEqualTo(1);
    assertThat(first.attempts().get(0).job().status()).isEqualTo(JobStatus.PENDING);

    DrainResult rest = drainer.drainAll();
    assertThat(rest.snoozed()).isEqualTo(1);
    assertThat(rest.completed()).isEqualTo(1);
    Job done = mvq.queue().findJob(job.id()).orElseThrow();
    assertThat(done.snoozes()).isEqualTo(2);
    assertThat(done.retryCount()).isZero();
    assertThat(drainer.clock().offset()).isBetween(Duration.ofSeconds(50), Duration.ofSeconds(60));
  }

  @Test
  void aSnoozeBeyondTheCapIsAFailedAttempt() {
    mvq.queue().enqueue(NewJob.builder(new Ping("forever", 7)).maxAttempts(1).build());
    DrainResult result =
        mvq.drainer()
            .maxSnoozes(1)
            .handler(
                "ping",
                (j, ctx) -> {
                  throw new SnoozeJobException(Duration.ZERO);
                })
            .build()
            .drain();
    assertThat(result.attempts())
        .extracting(DrainResult.Attempt::outcome)
        .containsExactly(Outcome.SNOOZED, Outcome.DEAD_LETTERED);
    assertThat(result.deadLetteredJobs().get(0).errorMessage())
        .isEqualTo("snoozed more than 1 times (maxSnoozes)");
  }

  @Test
  void codingSessionsGetTheirEventsAndSessionStatus() throws Exception {
    Job job = mvq.queue().enqueue(NewJob.of("Build a todo app"));
    mvq.queue().enqueue(NewJob.of(new Ping("other kind", 8)));
    DrainResult result =
        mvq.drainer()
            .handler(
                NewJob.CODING_SESSION_KIND,
                (j, ctx) -> {
                  assertThat(ctx.isCancelled()).isFalse();
                  assertThat(ctx.awaitCancellation(Duration.ofMinutes(1))).isFalse();
                  ctx.emitEvent("thinking", Map.of("text", "planning"));
                  ctx.emitEvent("completion", null);
                })
            .build()
            .drainAll();
    assertThat(result.completed()).isEqualTo(1);
    assertThat(result.events())
        .containsExactly(
            new DrainResult.Event("thinking", "{\"text\":\"planning\"}"),
            new DrainResult.Event("completion", "{}"));
    try (Connection c = mvq.dataSource().getConnection();
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT (SELECT status FROM coding_sessions WHERE id = '"
                    + job.sessionId()
                    + "'), (SELECT count(*) FROM session_events WHERE event_type = 'thinking')")) {
      rs.next();
      assertThat(rs.getString(1)).isEqualTo("completed");
      assertThat(rs.getLong(2)).isEqualTo(1);
    }
    mvq.assertEnqueued("ping").times(1);
  }

  @Test
  void emitEventOnAJobWithoutSessionIsRefused() {
    mvq.queue().enqueue(NewJob.of(new Ping("no session", 9)));
    DrainResult result =
        mvq.drainer().handler("ping", (j, ctx) -> ctx.emitEvent("thinking", null)).build().drain();
    assertThat(result.retried()).isEqualTo(1);
    assertThat(result.attempts().get(0).error())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("belongs to no session");
  }

  @Test
  void aJobThatComesBackForEverStopsTheDrain() {
    mvq.queue().enqueue(NewJob.of(new Ping("loop", 10)));
    JobDrainer drainer =
        mvq.drainer()
            .maxAttemptsPerDrain(5)
            .handler(
                "ping",
                (j, ctx) -> {
                  throw new SnoozeJobException(Duration.ZERO);
                })
            .build();
    assertThatThrownBy(drainer::drain)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("maxAttemptsPerDrain");
  }

  @Test
  void theBuilderChecksItsSettings() {
    assertThatThrownBy(() -> mvq.drainer().build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("at least one handler");
    assertThatThrownBy(
            () -> mvq.drainer().handler("a", (j, c) -> {}).handler("a", (j, c) -> {}).build())
        .hasMessageContaining("kind registered twice: a");
    assertThatThrownBy(() -> mvq.drainer().handler("bad kind", (j, c) -> {}).build())
        .hasMessageContaining("bad kind");
    assertThatThrownBy(() -> mvq.drainer().handler("a", (j, c) -> {}).maxSnoozes(-1).build())
        .hasMessageContaining("maxSnoozes");
  }
}
