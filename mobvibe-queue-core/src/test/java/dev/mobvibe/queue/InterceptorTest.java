package dev.mobvibe.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.mobvibe.queue.testing.TestDatabase;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Interceptors around enqueues and attempts: metadata that travels from one to the other, the order
 * of a chain, what throwing or skipping {@code proceed()} does to an attempt, transactions, and
 * interceptors that break the contract.
 */
class InterceptorTest {
  @RegisterExtension static final TestDatabase db = new TestDatabase();

  static final String TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

  /** Retries wait no time; no interceptor. */
  static JobQueue plainQueue;

  /** Puts {@link #TRACEPARENT} into every job it enqueues. */
  static JobQueue tracingQueue;

  record SendEmail(String to) implements JobArgs {
    @Override
    public String kind() {
      return "send_email";
    }
  }

  @BeforeAll
  static void migrate() {
    plainQueue = db.migratedQueue();
    tracingQueue = queueWith((jobs, next) -> next.proceed(withTrace(jobs)));
  }

  @BeforeEach
  void emptyTheQueue() {
    db.emptyQueueTables();
  }

  @Test
  void metadataAddedAtEnqueueReachesTheJobInterceptorForPromptAndTypedJobs() {
    List<Job> stored =
        tracingQueue.enqueueAll(
            List.of(
                NewJob.builder("Build a todo app").metadata("tenant", "acme").build(),
                NewJob.of(new SendEmail("ada@example.com"))));
    assertThat(stored)
        .extracting(j -> j.metadata().get("traceparent"))
        .containsExactly(TRACEPARENT, TRACEPARENT);
    assertThat(stored.get(0).metadata()).containsEntry("tenant", "acme");
    assertThat(plainQueue.findJob(stored.get(1).id()).orElseThrow().metadata())
        .as("stored in the row")
        .containsEntry("traceparent", TRACEPARENT);

    Map<UUID, Map<String, String>> seen = new ConcurrentHashMap<>();
    List<String> emailedTo = new CopyOnWriteArrayList<>();
    try (JobProcessor processor =
        JobProcessor.builder(plainQueue)
            .handler(NewJob.CODING_SESSION_KIND, (job, ctx) -> {})
            .handler("send_email", SendEmail.class, (args, ctx) -> emailedTo.add(args.to()))
            .interceptor(
                (job, ctx, next) -> {
                  seen.put(job.id(), job.metadata());
                  next.proceed();
                })
            .pollInterval(Duration.ofMillis(100))
            .workerId("metadata-" + shortId())
            .build()) {
      processor.start();
      await().atMost(Duration.ofSeconds(10)).until(() -> completed(stored));
    }

    assertThat(seen.get(stored.get(0).id()))
        .containsEntry("traceparent", TRACEPARENT)
        .containsEntry("tenant", "acme");
    assertThat(seen.get(stored.get(1).id())).containsOnly(Map.entry("traceparent", TRACEPARENT));
    assertThat(emailedTo).containsExactly("ada@example.com");
  }

  @Test
  void theFirstInterceptorRegisteredIsTheOutermost() {
    List<String> calls = new CopyOnWriteArrayList<>();
    JobQueue queue = queueWith(recordingEnqueue("outer", calls), recordingEnqueue("inner", calls));
    Job job = queue.enqueue(NewJob.of("nested"));
    assertThat(calls).containsExactly("outer >", "inner >", "inner <", "outer <");
    assertThat(job.metadata()).containsOnly(Map.entry("outer", "1"), Map.entry("inner", "1"));

    calls.clear();
    run(
        processor(
                (j, ctx) -> calls.add("handler"),
                recordingJob("first", calls),
                recordingJob("second", calls),
                recordingJob("third", calls))
            .build(),
        () -> completed(List.of(job)));
    assertThat(calls)
        .containsExactly(
            "first >", "second >", "third >", "handler", "third <", "second <", "first <");
  }

  @Test
  void anInterceptorThatThrowsFailsTheAttemptWhichIsRetried() {
    Job job = plainQueue.enqueue(NewJob.of("flaky interceptor"));
    List<Integer> handled = new CopyOnWriteArrayList<>();
    List<Throwable> errors = new CopyOnWriteArrayList<>();
    JobInterceptor failsFirst =
        (j, ctx, next) -> {
          if (ctx.attempt() == 1) {
            throw new IllegalStateException("interceptor broke on attempt 1");
          }
          next.proceed();
        };
    run(
        processor((j, ctx) -> handled.add(ctx.attempt()), failsFirst)
            .listener(
                new JobListener() {
                  @Override
                  public void onJobRetried(Job j, Throwable error, Duration runTime) {
                    errors.add(error);
                  }
                })
            .build(),
        () -> completed(List.of(job)));

    assertThat(handled).containsExactly(2);
    assertThat(errors)
        .extracting(Throwable::getMessage)
        .containsExactly("interceptor broke on attempt 1");
    Job done = plainQueue.findJob(job.id()).orElseThrow();
    assertThat(done.errors()).singleElement().asString().contains("interceptor broke on attempt 1");
  }

  @Test
  void aPermanentFailureFromAnInterceptorDeadLettersAtOnce() {
    Job job = plainQueue.enqueue(NewJob.of("forbidden"));
    AtomicInteger handled = new AtomicInteger();
    run(
        processor(
                (j, ctx) -> handled.incrementAndGet(),
                (j, ctx, next) -> {
                  throw new PermanentJobFailureException("tenant is suspended");
                })
            .build(),
        () -> status(job) == JobStatus.FAILED);

    assertThat(handled).hasValue(0);
    Job failed = plainQueue.findJob(job.id()).orElseThrow();
    assertThat(failed.errors()).hasSize(1);
    assertThat(failed.errorMessage()).contains("tenant is suspended");
  }

  @Test
  void anInterceptorThatDoesNotProceedSkipsTheHandlerAndTheJobSucceeds() {
    Job job = plainQueue.enqueue(NewJob.of("skipped"));
    AtomicInteger handled = new AtomicInteger();
    AtomicInteger innerCalled = new AtomicInteger();
    run(
        processor(
                (j, ctx) -> handled.incrementAndGet(),
                (j, ctx, next) -> {},
                (j, ctx, next) -> innerCalled.incrementAndGet())
            .build(),
        () -> completed(List.of(job)));

    assertThat(handled).hasValue(0);
    assertThat(innerCalled).as("interceptors after the one that stopped").hasValue(0);
    assertThat(plainQueue.findJob(job.id()).orElseThrow().errors()).isEmpty();
  }

  @Test
  void proceedingTwiceFailsTheAttempt() {
    Job job = plainQueue.enqueue(NewJob.builder("twice").maxAttempts(1).build());
    AtomicInteger handled = new AtomicInteger();
    run(
        processor(
                (j, ctx) -> handled.incrementAndGet(),
                (j, ctx, next) -> {
                  next.proceed();
                  next.proceed();
                })
            .build(),
        () -> status(job) == JobStatus.FAILED);

    assertThat(handled).hasValue(1);
    assertThat(plainQueue.findJob(job.id()).orElseThrow().errorMessage())
        .contains("proceed() called twice");
  }

  @Test
  void onTheCallersConnectionTheInterceptedInsertBelongsToTheCallersTransaction() throws Exception {
    try (Connection c = db.connect()) {
      c.setAutoCommit(false);
      Job job = tracingQueue.enqueue(c, NewJob.of("rolled back"));
      assertThat(job.metadata()).containsEntry("traceparent", TRACEPARENT);
      c.rollback();
    }
    assertThat(db.queryLong("SELECT count(*) FROM coding_jobs")).isZero();
    assertThat(db.queryLong("SELECT count(*) FROM coding_sessions")).isZero();

    try (Connection c = db.connect()) {
      c.setAutoCommit(false);
      tracingQueue.enqueueAll(c, List.of(NewJob.of("one"), NewJob.of(new SendEmail("b@x.io"))));
      c.commit();
    }
    assertThat(
            db.queryLong(
                "SELECT count(*) FROM coding_jobs WHERE metadata ->> 'traceparent' = '"
                    + TRACEPARENT
                    + "'"))
        .isEqualTo(2);
  }

  @Test
  void anInterceptorThatReturnsTheWrongNumberOfJobsIsRefusedAndNothingIsWritten() {
    EnqueueInterceptor dropsOne =
        new EnqueueInterceptor() {
          @Override
          public List<Job> intercept(List<NewJob> jobs, Enqueue next) {
            return next.proceed(jobs).subList(0, jobs.size() - 1);
          }

          @Override
          public String toString() {
            return "DropsOne";
          }
        };
    JobQueue queue = queueWith((jobs, next) -> next.proceed(jobs), dropsOne);
    List<NewJob> two = List.of(NewJob.of("a"), NewJob.of("b"));

    assertThatThrownBy(() -> queue.enqueueAll(two))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("enqueue interceptor #2 (DropsOne)")
        .hasMessageContaining("must return 2 stored jobs, none null, but returned 1");
    assertNothingWritten();
  }

  @Test
  void anInterceptorThatReturnsNullsOrHandsOnTheWrongJobsIsRefusedAndNothingIsWritten()
      throws Exception {
    JobQueue nulls =
        queueWith(
            (jobs, next) -> {
              List<Job> stored = new ArrayList<>(next.proceed(jobs));
              stored.set(0, null);
              return stored;
            });
    assertThatThrownBy(() -> nulls.enqueue(NewJob.of("a")))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("enqueue interceptor #1")
        .hasMessageContaining("null at index 0");
    assertNothingWritten();

    JobQueue handsOnFewer =
        queueWith(
            (jobs, next) -> {
              List<Job> stored = next.proceed(jobs.subList(0, 1));
              return List.of(stored.get(0), stored.get(0));
            });
    assertThatThrownBy(() -> handsOnFewer.enqueueAll(List.of(NewJob.of("a"), NewJob.of("b"))))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("must hand on 2 jobs, none null, but handed on 1");
    assertNothingWritten();

    JobQueue twice =
        queueWith(
            (jobs, next) -> {
              next.proceed(jobs);
              return next.proceed(jobs);
            });
    assertThatThrownBy(() -> twice.enqueue(NewJob.of("a")))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("called proceed() twice");
    assertNothingWritten();

    try (Connection c = db.connect()) {
      c.setAutoCommit(false);
      assertThatThrownBy(() -> nulls.enqueue(c, NewJob.of("a")))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("null at index 0");
      c.rollback();
    }
    assertNothingWritten();
  }

  @Test
  void aNullInterceptorIsRefusedWhenRegistered() {
    assertThatThrownBy(() -> JobQueue.builder().enqueueInterceptor(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("enqueueInterceptor");
    assertThatThrownBy(() -> JobProcessor.builder(plainQueue).interceptor(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("interceptor");
  }

  static JobQueue queueWith(EnqueueInterceptor... interceptors) {
    JobQueue.Builder builder = JobQueue.builder().retryPolicy(RetryPolicy.fixed(Duration.ZERO));
    for (EnqueueInterceptor i : interceptors) {
      builder.enqueueInterceptor(i);
    }
    return db.newQueue(builder);
  }

  static List<NewJob> withTrace(List<NewJob> jobs) {
    return jobs.stream().map(j -> j.withMetadata("traceparent", TRACEPARENT)).toList();
  }

  static EnqueueInterceptor recordingEnqueue(String name, List<String> calls) {
    return (jobs, next) -> {
      calls.add(name + " >");
      List<Job> stored = next.proceed(jobs.stream().map(j -> j.withMetadata(name, "1")).toList());
      calls.add(name + " <");
      return stored;
    };
  }

  static JobInterceptor recordingJob(String name, List<String> calls) {
    return (job, ctx, next) -> {
      calls.add(name + " >");
      next.proceed();
      calls.add(name + " <");
    };
  }

  static JobProcessorBuilder processor(JobHandler handler, JobInterceptor... interceptors) {
    JobProcessorBuilder builder =
        JobProcessor.builder(plainQueue, handler)
            .pollInterval(Duration.ofMillis(100))
            .workerId("intercept-" + shortId());
    for (JobInterceptor i : interceptors) {
      builder.interceptor(i);
    }
    return builder;
  }

  static void run(JobProcessor processor, Callable<Boolean> done) {
    try (processor) {
      processor.start();
      await().atMost(Duration.ofSeconds(10)).until(done);
    }
  }

  static boolean completed(List<Job> jobs) {
    return jobs.stream().allMatch(j -> status(j) == JobStatus.COMPLETED);
  }

  static JobStatus status(Job job) {
    return plainQueue.findJob(job.id()).orElseThrow().status();
  }

  static void assertNothingWritten() {
    assertThat(db.queryLong("SELECT count(*) FROM coding_jobs")).isZero();
    assertThat(db.queryLong("SELECT count(*) FROM coding_sessions")).isZero();
  }

  static String shortId() {
    return UUID.randomUUID().toString().substring(0, 8);
  }
}
