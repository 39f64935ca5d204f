package dev.mobvibe.queue.opentelemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.mobvibe.queue.Job;
import dev.mobvibe.queue.JobArgs;
import dev.mobvibe.queue.JobProcessor;
import dev.mobvibe.queue.JobQueue;
import dev.mobvibe.queue.JobStatus;
import dev.mobvibe.queue.KindOptions;
import dev.mobvibe.queue.NewJob;
import dev.mobvibe.queue.RetryPolicy;
import dev.mobvibe.queue.SnoozeJobException;
import dev.mobvibe.queue.testing.TestDatabase;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class MobVibeTracingTest {
  @RegisterExtension static final TestDatabase db = new TestDatabase();

  /** Not the default schema, so the schema attribute shows it came from the builder. */
  private static final String SCHEMA = "traced";

  private static JobQueue queue;

  private final InMemorySpanExporter exporter = InMemorySpanExporter.create();
  private final OpenTelemetrySdk sdk =
      OpenTelemetrySdk.builder()
          .setTracerProvider(
              SdkTracerProvider.builder()
                  .addSpanProcessor(SimpleSpanProcessor.create(exporter))
                  .build())
          .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
          .build();
  private final Tracer testTracer = sdk.getTracer("test");

  record Greet(String name) implements JobArgs {
    @Override
    public String kind() {
      return "greet";
    }
  }

  record Count(int n) implements JobArgs {
    @Override
    public String kind() {
      return "count";
    }
  }

  @BeforeAll
  static void migrate() {
    db.execute("CREATE SCHEMA " + SCHEMA);
    queue = db.newQueue(JobQueue.builder().schema(SCHEMA));
    queue.migrate();
  }

  /** Each test sees only its own jobs, and no processor of one runs another's. */
  @BeforeEach
  void emptyQueue() {
    db.execute("DELETE FROM " + SCHEMA + ".coding_jobs");
  }

  @AfterEach
  void closeSdk() {
    sdk.close();
  }

  private MobVibeTracing tracing() {
    return MobVibeTracing.builder(sdk).schema(SCHEMA).build();
  }

  private JobQueue tracedQueue(MobVibeTracing tracing) {
    return db.newQueue(
        JobQueue.builder()
            .schema(SCHEMA)
            .retryPolicy(RetryPolicy.fixed(Duration.ZERO))
            .enqueueInterceptor(tracing.enqueueInterceptor()));
  }

  private static void awaitStatus(JobQueue queue, UUID id, JobStatus status) {
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> queue.findJob(id).orElseThrow().status() == status);
  }

  private SpanData awaitSpan(Predicate<SpanData> which) {
    return await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () -> exporter.getFinishedSpanItems().stream().filter(which).findFirst().orElse(null),
            span -> span != null);
  }

  private List<SpanData> spans(String name) {
    return exporter.getFinishedSpanItems().stream().filter(s -> s.getName().equals(name)).toList();
  }

  private static String traceparent(SpanData span) {
    return "00-"
        + span.getTraceId()
        + "-"
        + span.getSpanId()
        + "-"
        + span.getSpanContext().getTraceFlags().asHex();
  }

  @Test
  void anEnqueuedJobRunsUnderAConsumerSpanLinkedToItsProducerSpan() {
    MobVibeTracing tracing = tracing();
    JobQueue traced = tracedQueue(tracing);
    Span request = testTracer.spanBuilder("request").startSpan();
    Job job;
    try (Scope ignored = request.makeCurrent()) {
      job = traced.enqueue(NewJob.of(new Greet("Ada")));
    } finally {
      request.end();
    }

    SpanData producer = spans("publish greet").get(0);
    assertThat(producer.getKind()).isEqualTo(SpanKind.PRODUCER);
    assertThat(producer.getParentSpanId()).isEqualTo(request.getSpanContext().getSpanId());
    assertThat(producer.getAttributes().asMap())
        .containsEntry(SpanAttributes.MESSAGING_SYSTEM, "mobvibe_queue")
        .containsEntry(SpanAttributes.OPERATION_TYPE, "send")
        .containsEntry(SpanAttributes.OPERATION_NAME, "publish")
        .containsEntry(SpanAttributes.DESTINATION_NAME, "greet")
        .containsEntry(SpanAttributes.JOB_KIND, "greet")
        .containsEntry(SpanAttributes.MESSAGE_ID, job.id().toString())
        .containsEntry(SpanAttributes.QUEUE_SCHEMA, SCHEMA)
        .doesNotContainKey(SpanAttributes.BATCH_MESSAGE_COUNT);
    assertThat(job.metadata()).containsEntry("traceparent", traceparent(producer));
    assertThat(queue.findJob(job.id()).orElseThrow().metadata())
        .containsEntry("traceparent", traceparent(producer));

    try (JobProcessor processor =
        JobProcessor.builder(traced)
            .handler(
                "greet",
                Greet.class,
                (greet, ctx) -> testTracer.spanBuilder("say hello").startSpan().end())
            .interceptor(tracing.jobInterceptor())
            .pollInterval(Duration.ofMillis(100))
            .build()) {
      processor.start();
      awaitStatus(traced, job.id(), JobStatus.COMPLETED);
    }

    SpanData consumer = awaitSpan(s -> s.getName().equals("process greet"));
    assertThat(consumer.getKind()).isEqualTo(SpanKind.CONSUMER);
    assertThat(consumer.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);
    assertThat(consumer.getAttributes().asMap())
        .containsEntry(SpanAttributes.MESSAGING_SYSTEM, "mobvibe_queue")
        .containsEntry(SpanAttributes.OPERATION_TYPE, "process")
        .containsEntry(SpanAttributes.DESTINATION_NAME, "greet")
        .containsEntry(SpanAttributes.JOB_KIND, "greet")
        .containsEntry(SpanAttributes.MESSAGE_ID, job.id().toString())
        .containsEntry(SpanAttributes.JOB_ATTEMPT, 1L)
        .containsEntry(SpanAttributes.QUEUE_SCHEMA, SCHEMA);
    // By default a trace of its own, linked to the producer span.
    assertThat(consumer.getParentSpanContext().isValid()).isFalse();
    assertThat(consumer.getTraceId()).isNotEqualTo(producer.getTraceId());
    assertThat(consumer.getLinks())
        .extracting(LinkData::getSpanContext)
        .extracting(SpanContext::getSpanId)
        .containsExactly(producer.getSpanId());

    SpanData handler = awaitSpan(s -> s.getName().equals("say hello"));
    assertThat(handler.getParentSpanId()).isEqualTo(consumer.getSpanId());
    assertThat(handler.getTraceId()).isEqualTo(consumer.getTraceId());
  }

  @Test
  void theConsumerSpanCanBeAChildOfTheProducerSpan() {
    MobVibeTracing tracing =
        MobVibeTracing.builder(sdk).schema(SCHEMA).consumerParentFromProducer(true).build();
    JobQueue traced = tracedQueue(tracing);
    Job job = traced.enqueue(NewJob.of(new Count(1)));

    try (JobProcessor processor =
        JobProcessor.builder(traced)
            .handler("count", Count.class, (count, ctx) -> {})
            .interceptor(tracing.jobInterceptor())
            .pollInterval(Duration.ofMillis(100))
            .build()) {
      processor.start();
      awaitStatus(traced, job.id(), JobStatus.COMPLETED);
    }

    SpanData producer = spans("publish count").get(0);
    SpanData consumer = awaitSpan(s -> s.getName().equals("process count"));
    assertThat(producer.getParentSpanContext().isValid()).isFalse();
    assertThat(consumer.getParentSpanId()).isEqualTo(producer.getSpanId());
    assertThat(consumer.getTraceId()).isEqualTo(producer.getTraceId());
    assertThat(consumer.getLinks())
        .extracting(link -> link.getSpanContext().getSpanId())
        .containsExactly(producer.getSpanId());
  }

  @Test
  void aFailingAttemptRecordsTheExceptionAndASnoozeIsAnEventNotAnError() {
    MobVibeTracing tracing = tracing();
    JobQueue traced = tracedQueue(tracing);
    Job job = traced.enqueue(NewJob.builder(new Greet("Grace")).maxAttempts(3).build());

    AtomicInteger calls = new AtomicInteger();
    try (JobProcessor processor =
        JobProcessor.builder(traced)
            .handler(
                "greet",
                Greet.class,
                (greet, ctx) -> {
                  switch (calls.incrementAndGet()) {
                    case 1 -> throw new IllegalStateException("mail server down");
                    case 2 -> throw new SnoozeJobException(Duration.ZERO);
                    default -> {}
                  }
                },
                KindOptions.builder().retryPolicy(RetryPolicy.fixed(Duration.ZERO)).build())
            .interceptor(tracing.jobInterceptor())
            .pollInterval(Duration.ofMillis(100))
            .build()) {
      processor.start();
      awaitStatus(traced, job.id(), JobStatus.COMPLETED);
    }

    await().atMost(Duration.ofSeconds(10)).until(() -> spans("process greet").size() == 3);
    List<SpanData> attempts = spans("process greet");
    SpanData failed = attempts.get(0);
    assertThat(failed.getAttributes().get(SpanAttributes.JOB_ATTEMPT)).isEqualTo(1L);
    assertThat(failed.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
    assertThat(failed.getStatus().getDescription()).isEqualTo("mail server down");
    assertThat(failed.getEvents())
        .singleElement()
        .satisfies(
            event -> {
              assertThat(event.getName()).isEqualTo("exception");
              assertThat(event.getAttributes().asMap().toString())
                  .contains("java.lang.IllegalStateException", "mail server down");
            });

    SpanData snoozed = attempts.get(1);
    assertThat(snoozed.getAttributes().get(SpanAttributes.JOB_ATTEMPT)).isEqualTo(2L);
    assertThat(snoozed.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);
    assertThat(snoozed.getEvents())
        .extracting(EventData::getName)
        .containsExactly(SpanAttributes.SNOOZED_EVENT);
    assertThat(snoozed.getEvents().get(0).getAttributes().get(SpanAttributes.SNOOZE_DELAY_MS))
        .isZero();

    // A snooze spends no attempt.
    SpanData succeeded = attempts.get(2);
    assertThat(succeeded.getAttributes().get(SpanAttributes.JOB_ATTEMPT)).isEqualTo(2L);
    assertThat(succeeded.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);
    assertThat(succeeded.getEvents()).isEmpty();
    SpanData producer = spans("publish greet").get(0);
    assertThat(attempts)
        .allSatisfy(
            attempt ->
                assertThat(attempt.getLinks())
                    .extracting(link -> link.getSpanContext().getSpanId())
                    .containsExactly(producer.getSpanId()));
  }

  @Test
  void aBatchIsOneProducerSpanWhoseContextEveryJobCarries() {
    MobVibeTracing tracing = tracing();
    JobQueue traced = tracedQueue(tracing);
    List<Job> jobs =
        traced.enqueueAll(
            List.of(NewJob.of(new Count(1)), NewJob.of(new Count(2)), NewJob.of(new Count(3))));

    SpanData producer = spans("publish count").get(0);
    assertThat(spans("publish count")).hasSize(1);
    assertThat(producer.getAttributes().get(SpanAttributes.BATCH_MESSAGE_COUNT)).isEqualTo(3L);
    assertThat(producer.getAttributes().get(SpanAttributes.MESSAGE_ID)).isNull();
    assertThat(jobs)
        .allSatisfy(
            job -> assertThat(job.metadata()).containsEntry("traceparent", traceparent(producer)));

    exporter.reset();
    traced.enqueueAll(List.of(NewJob.of(new Count(4)), NewJob.of(new Greet("Linus"))));
    SpanData mixed = spans("publish").get(0);
    assertThat(mixed.getAttributes().get(SpanAttributes.DESTINATION_NAME)).isNull();
    assertThat(mixed.getAttributes().get(SpanAttributes.BATCH_MESSAGE_COUNT)).isEqualTo(2L);
  }

  @Test
  void aFailedEnqueueEndsItsSpanWithTheError() {
    JobQueue traced = tracedQueue(tracing());
    UUID unknownSession = UUID.randomUUID();
    assertThatThrownBy(
            () -> traced.enqueue(NewJob.builder("a prompt").sessionId(unknownSession).build()))
        .isNotNull();
    SpanData producer = spans("publish coding_session").get(0);
    assertThat(producer.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
    assertThat(producer.getEvents()).extracting(EventData::getName).containsExactly("exception");
  }

  @Test
  void aJobWithNoRoomLeftInItsMetadataIsEnqueuedWithoutTheContext() {
    JobQueue traced = tracedQueue(tracing());
    NewJob.Builder full = NewJob.builder(new Count(5));
    for (int i = 0; i < NewJob.MAX_METADATA_ENTRIES; i++) {
      full.metadata("key" + i, "value");
    }
    Job job = traced.enqueue(full.build());
    assertThat(job.metadata())
        .hasSize(NewJob.MAX_METADATA_ENTRIES)
        .doesNotContainKey("traceparent");
    assertThat(spans("publish count")).hasSize(1);
  }

  @Test
  void withoutOpenTelemetryJobsPassThroughUntouchedAndRun() {
    MobVibeTracing tracing = MobVibeTracing.create(OpenTelemetry.noop());
    JobQueue noopQueue =
        db.newQueue(
            JobQueue.builder().schema(SCHEMA).enqueueInterceptor(tracing.enqueueInterceptor()));
    Job job = noopQueue.enqueue(NewJob.of(new Greet("Barbara")));
    List<Job> batch = noopQueue.enqueueAll(List.of(NewJob.of(new Count(6))));
    assertThat(job.metadata()).isEmpty();
    assertThat(batch.get(0).metadata()).isEmpty();

    AtomicInteger ran = new AtomicInteger();
    try (JobProcessor processor =
        JobProcessor.builder(noopQueue)
            .handler("greet", (j, ctx) -> ran.incrementAndGet())
            .handler("count", (j, ctx) -> ran.incrementAndGet())
            .interceptor(tracing.jobInterceptor())
            .pollInterval(Duration.ofMillis(100))
            .build()) {
      processor.start();
      awaitStatus(noopQueue, job.id(), JobStatus.COMPLETED);
      awaitStatus(noopQueue, batch.get(0).id(), JobStatus.COMPLETED);
    }
    assertThat(ran).hasValue(2);
    assertThat(exporter.getFinishedSpanItems()).isEmpty();
  }

  @Test
  void theBuilderRefusesBadOptionsNamingThem() {
    assertThatThrownBy(() -> MobVibeTracing.create(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("openTelemetry");
    assertThatThrownBy(() -> MobVibeTracing.builder(sdk).schema("Bad Schema").build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("schema")
        .hasMessageContaining("'Bad Schema'");
    assertThatThrownBy(() -> MobVibeTracing.builder(sdk).schema(null).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("schema");
    assertThatThrownBy(() -> MobVibeTracing.builder(sdk).propagator(null).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("propagator");
  }
}
