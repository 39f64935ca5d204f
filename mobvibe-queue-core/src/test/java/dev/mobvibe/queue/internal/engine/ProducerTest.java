package dev.mobvibe.queue.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mobvibe.queue.Job;
import dev.mobvibe.queue.JobQueue;
import dev.mobvibe.queue.NewJob;
import dev.mobvibe.queue.SessionTracking;
import dev.mobvibe.queue.internal.Jdbc;
import dev.mobvibe.queue.internal.JobStore;
import dev.mobvibe.queue.testing.TestDatabase;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The producer alone: how many jobs one claim asks for (auto prefetch sized by the rate handlers
 * finish jobs, on a ticker the test moves), and claims at the end of a retry's backoff rather than
 * at the next poll tick.
 */
class ProducerTest {
  @RegisterExtension static final TestDatabase db = new TestDatabase();

  static JobQueue queue;
  JobStore store;

  @BeforeAll
  static void migrate() {
    queue = db.migratedQueue();
  }

  @BeforeEach
  void setUp() {
    db.emptyQueueTables();
    store = new JobStore(new Jdbc(db.dataSource()), "public");
  }

  private static final Producer.Dispatcher NOWHERE = (job, sent, claimed) -> {};

  private Producer producer(EngineSettings settings, Slots slots, Ticker ticker) {
    return new Producer(
        settings,
        JobStore.FlowRules.NONE,
        store,
        slots,
        new Listeners(List.of()),
        ticker,
        NOWHERE,
        List::of);
  }

  private static EngineSettings auto() {
    return Parts.settings("producer-test", Duration.ofMinutes(1), null, null, true, 1000);
  }

  @Test
  void autoPrefetchBuffersNothingBeforeAnyJobFinished() {
    ManualTicker ticker = new ManualTicker();
    Slots slots = new Slots(10 + 1000);
    Producer p = producer(auto(), slots, ticker);
    assertThat(p.claimable()).isEqualTo(10); // the free handler slots only
  }

  @Test
  void autoPrefetchBuffersWhatTheHandlersFinishInTwentyMilliseconds() {
    ManualTicker ticker = new ManualTicker();
    Slots slots = new Slots(10 + 1000);
    Producer p = producer(auto(), slots, ticker);
    for (int i = 0; i < 500; i++) {
      slots.finished();
    }
    ticker.advance(Duration.ofMillis(50)); // 500 finishes in 50 ms: 10,000 per second
    assertThat(p.claimable()).isEqualTo(10 + 200);

    ticker.advance(Duration.ofMillis(50)); // none in the next window: back to the free slots
    assertThat(p.claimable()).isEqualTo(10);
  }

  @Test
  void autoPrefetchNeverExceedsItsMaximum() {
    ManualTicker ticker = new ManualTicker();
    Slots slots = new Slots(10 + 1000);
    Producer p = producer(auto(), slots, ticker);
    for (int i = 0; i < 1_000_000; i++) {
      slots.finished();
    }
    ticker.advance(Duration.ofMillis(50));
    assertThat(p.claimable()).isEqualTo(10 + 1000);
  }

  @Test
  void autoPrefetchKeepsTheRateOfAWindowUntilTheNextOneEnds() {
    ManualTicker ticker = new ManualTicker();
    Slots slots = new Slots(10 + 1000);
    Producer p = producer(auto(), slots, ticker);
    for (int i = 0; i < 100; i++) {
      slots.finished();
    }
    ticker.advance(Duration.ofMillis(50)); // 2,000 per second: a buffer of 40
    assertThat(p.claimable()).isEqualTo(50);
    ticker.advance(Duration.ofMillis(10)); // inside the next window: the same figure
    assertThat(p.claimable()).isEqualTo(50);
  }

  @Test
  void aFixedPrefetchClaimsEveryFreePermit() {
    Slots slots = new Slots(10 + 5);
    EngineSettings fixed =
        Parts.settings("producer-test", Duration.ofMinutes(1), null, null, false, 5);
    assertThat(producer(fixed, slots, new ManualTicker()).claimable()).isEqualTo(15);
  }

  @Test
  void busySlotsLeaveOnlyWhatIsFree() {
    ManualTicker ticker = new ManualTicker();
    Slots slots = new Slots(10);
    EngineSettings none =
        Parts.settings("producer-test", Duration.ofMinutes(1), null, null, false, 0);
    Producer p = producer(none, slots, ticker);
    Job job = queue.enqueue(NewJob.of("held"));
    for (int i = 0; i < 7; i++) {
      slots.hold(Parts.running(job, none, ticker));
    }
    assertThat(p.claimable()).isEqualTo(3);
  }

  @Test
  void aRetrysBackoffWakesTheProducerBeforeThePollTick() throws Exception {
    // Polls once an hour: only the claim at start and the backoff wake-ups can find these jobs.
    EngineSettings hourly =
        Parts.settings("producer-test", Duration.ofMinutes(1), null, null, false, 0);
    List<Job> dispatched = new CopyOnWriteArrayList<>();
    Slots slots = new Slots(10);
    Producer p =
        new Producer(
            hourly,
            JobStore.FlowRules.NONE,
            store,
            slots,
            new Listeners(List.of()),
            Ticker.SYSTEM,
            (job, sent, claimed) -> dispatched.add(job),
            List::of);
    Thread thread = new Thread(p, "producer-under-test");
    thread.start();
    try {
      Job first = queue.enqueue(NewJob.builder("due soon").delay(Duration.ofMillis(300)).build());
      Job second = queue.enqueue(NewJob.builder("due later").delay(Duration.ofMillis(900)).build());
      p.wakeAfter(Duration.ofMillis(300));
      p.wakeAfter(Duration.ofMillis(900));
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> dispatched.stream().anyMatch(j -> j.id().equals(first.id())));
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> dispatched.stream().anyMatch(j -> j.id().equals(second.id())));
    } finally {
      p.stop();
      thread.join(5_000);
    }
    assertThat(thread.isAlive()).isFalse();
  }

  @Test
  void jobsOfAClaimWhoseReplyWasLostAreHandedBackBeforeTheNextClaim() throws Exception {
    FaultyDataSource faults = new FaultyDataSource(db.dataSource());
    JobStore flaky = new JobStore(new Jdbc(faults), "public");
    EngineSettings settings =
        Parts.settings(
            "lost-reply-" + UUID.randomUUID().toString().substring(0, 8),
            Duration.ofMinutes(1),
            null,
            null,
            false,
            0);
    List<Job> jobs = queue.enqueueAll(List.of(NewJob.of("a"), NewJob.of("b"), NewJob.of("c")));
    List<Job> dispatched = new CopyOnWriteArrayList<>();
    Slots slots = new Slots(10);
    Producer p =
        new Producer(
            settings,
            JobStore.FlowRules.NONE,
            flaky,
            slots,
            new Listeners(List.of()),
            Ticker.SYSTEM,
            (job, sent, claimed) -> dispatched.add(job),
            List::of);
    faults.loseReplyOfNext("FOR UPDATE SKIP LOCKED", 1); // the first claim commits, unheard
    Thread thread = new Thread(p, "producer-under-test");
    thread.start();
    try {
      await().atMost(Duration.ofSeconds(10)).until(() -> dispatched.size() == 3);
    } finally {
      p.stop();
      thread.join(5_000);
    }
    assertThat(faults.failed()).isEqualTo(1);
    assertThat(dispatched)
        .extracting(Job::id)
        .containsExactlyInAnyOrderElementsOf(jobs.stream().map(Job::id).toList());
    // Claimed twice, but handed back in between without spending an attempt.
    assertThat(dispatched).allSatisfy(j -> assertThat(j.retryCount()).isZero());
    assertThat(
            db.queryLong(
                "SELECT count(*) FROM coding_jobs WHERE lease_owner = '"
                    + settings.workerId()
                    + "' AND status = 'processing' AND retry_count = 0"))
        .isEqualTo(3);
  }

  @Test
  void theSweepLeavesJobsTheWorkerStillHolds() throws Exception {
    FaultyDataSource faults = new FaultyDataSource(db.dataSource());
    JobStore flaky = new JobStore(new Jdbc(faults), "public");
    EngineSettings settings =
        Parts.settings(
            "holder-" + UUID.randomUUID().toString().substring(0, 8),
            Duration.ofMinutes(1),
            null,
            null,
            false,
            0);
    Job held = queue.enqueue(NewJob.of("running here"));
    assertThat(flaky.claim(settings.workerId(), 1, settings.leaseDuration(), SessionTracking.OFF))
        .hasSize(1);
    queue.enqueue(NewJob.of("new"));
    List<Job> dispatched = new CopyOnWriteArrayList<>();
    Producer p =
        new Producer(
            settings,
            JobStore.FlowRules.NONE,
            flaky,
            new Slots(10),
            new Listeners(List.of()),
            Ticker.SYSTEM,
            (job, sent, claimed) -> dispatched.add(job),
            () -> Set.of(held.id()));
    faults.failNext("FOR UPDATE SKIP LOCKED", 1); // a failed claim: sweep before the next
    Thread thread = new Thread(p, "producer-under-test");
    thread.start();
    try {
      await().atMost(Duration.ofSeconds(10)).until(() -> dispatched.size() == 1);
    } finally {
      p.stop();
      thread.join(5_000);
    }
    assertThat(dispatched.get(0).id()).isNotEqualTo(held.id());
    assertThat(db.queryString("SELECT lease_owner FROM coding_jobs WHERE id = '" + held.id() + "'"))
        .isEqualTo(settings.workerId());
  }
}
