package dev.mobvibe.queue.opentelemetry;

import dev.mobvibe.queue.EnqueueInterceptor;
import dev.mobvibe.queue.JobInterceptor;
import dev.mobvibe.queue.JobProcessorBuilder;
import dev.mobvibe.queue.JobQueue;
import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.TextMapPropagator;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * OpenTelemetry tracing for the MobVibe queue: a producer span around every enqueue and a consumer
 * span around every attempt, joined through the trace context that travels in each job's metadata.
 *
 * <pre>{@code
 * MobVibeTracing tracing = MobVibeTracing.create(openTelemetry);
 * JobQueue queue = JobQueue.builder()
 *     .dataSource(dataSource)
 *     .enqueueInterceptor(tracing.enqueueInterceptor())
 *     .build();
 * JobProcessor processor = JobProcessor.builder(queue)
 *     .handler("send_email", SendEmail.class, mailer::send)
 *     .interceptor(tracing.jobInterceptor())
 *     .build();
 * }</pre>
 *
 * <p><b>Producer spans.</b> Each call of {@link JobQueue#enqueue} or {@link JobQueue#enqueueAll}
 * (with or without the caller's connection) gets one span of kind {@code PRODUCER}, a child of the
 * caller's current span, around the insert: a batch is one statement, so it is one span, with
 * {@code messaging.batch.message_count}. The span is named {@code publish <kind>}, or {@code
 * publish} for a batch of several kinds. Its context is written into each job's metadata with the
 * propagator (by default W3C {@code traceparent} and {@code tracestate}). A job whose metadata has
 * no room left for the context is enqueued without it: tracing never fails an enqueue.
 *
 * <p><b>Consumer spans.</b> Each attempt gets one span of kind {@code CONSUMER}, named {@code
 * process <kind>}, current while the handler runs, so spans the handler starts nest under it. It
 * always carries a link to the producer span found in the job's metadata. By default it starts a
 * trace of its own ({@link Builder#consumerParentFromProducer(boolean)} makes it a child of the
 * producer span instead): a job may run hours after it was enqueued and retry or snooze many times,
 * and a link keeps the enqueuing request's trace short while still leading from one to the other.
 * An attempt that throws marks its span {@code ERROR} with an exception event; a snooze ({@link
 * dev.mobvibe.queue.SnoozeJobException}) is an event {@code mobvibe.job.snoozed}, not an error.
 *
 * <p><b>Attributes.</b> {@code messaging.system} = {@value #MESSAGING_SYSTEM}, {@code
 * messaging.operation.type} ({@code send} or {@code process}), {@code messaging.operation.name}
 * ({@code publish} or {@code process}), {@code messaging.destination.name} (the job's kind: workers
 * subscribe to kinds as consumers of a broker subscribe to topics), {@code messaging.message.id}
 * (the job id: consumer spans, and producer spans of one job), {@code mobvibe.job.kind}, {@code
 * mobvibe.job.attempt} (consumer spans), and {@code mobvibe.queue.schema}.
 *
 * <p><b>Cost without OpenTelemetry.</b> With {@link OpenTelemetry#noop()} (or a global instance
 * that was never set) no span records and nothing is written into the metadata; the jobs pass
 * through unchanged. Core still runs an intercepted enqueue in a transaction of its own, which is
 * one more round trip than an enqueue without interceptors.
 *
 * <p>Immutable and thread-safe; the interceptors it returns are too.
 */
public final class MobVibeTracing {

  /** The value of {@code messaging.system}: {@value}. */
  public static final String MESSAGING_SYSTEM = "mobvibe_queue";

  /** The instrumentation scope of the spans: {@value}. */
  public static final String INSTRUMENTATION_NAME = "dev.mobvibe.queue.opentelemetry";

  private static final Pattern SCHEMA = Pattern.compile("[a-z_][a-z0-9_]{0,62}");

  private final EnqueueInterceptor enqueueInterceptor;
  private final JobInterceptor jobInterceptor;

  private MobVibeTracing(Builder builder) {
    Tracer tracer = builder.openTelemetry.getTracer(INSTRUMENTATION_NAME);
    TextMapPropagator propagator = builder.propagator;
    if (propagator == null) {
      propagator = builder.openTelemetry.getPropagators().getTextMapPropagator();
      if (propagator.fields().isEmpty()) {
        // An SDK built without setPropagators has the no-op propagator; the W3C format is the
        // sensible default, and it writes nothing when there is no valid span to carry.
        propagator = W3CTraceContextPropagator.getInstance();
      }
    }
    this.enqueueInterceptor = new TracingEnqueueInterceptor(tracer, propagator, builder.schema);
    this.jobInterceptor =
        new TracingJobInterceptor(
            tracer, propagator, builder.schema, builder.consumerParentFromProducer);
  }

  /**
   * Tracing with every default, for a queue in schema {@value JobQueue#DEFAULT_SCHEMA}.
   *
   * @param openTelemetry where the tracer and, unless it has none, the propagator come from
   * @return the tracing
   * @throws NullPointerException if {@code openTelemetry} is null
   */
  public static MobVibeTracing create(OpenTelemetry openTelemetry) {
    return builder(openTelemetry).build();
  }

  /**
   * Tracing with every default, from {@link GlobalOpenTelemetry#get()}. Call it after the SDK was
   * registered as the global instance (an agent or {@code buildAndRegisterGlobal()}); before that,
   * the global instance is a no-op and so is this tracing.
   *
   * @return the tracing
   */
  public static MobVibeTracing createFromGlobal() {
    return create(GlobalOpenTelemetry.get());
  }

  /**
   * Starts a builder.
   *
   * @param openTelemetry where the tracer and, unless set, the propagator come from
   * @return the builder
   * @throws NullPointerException if {@code openTelemetry} is null
   */
  public static Builder builder(OpenTelemetry openTelemetry) {
    return new Builder(Objects.requireNonNull(openTelemetry, "openTelemetry must not be null"));
  }

  /**
   * The interceptor to register with {@link JobQueue.Builder#enqueueInterceptor}: a producer span
   * per enqueue call, its context written into each job's metadata. Register it last, so the span
   * covers only the insert and what other interceptors add to the metadata is kept.
   *
   * @return the enqueue interceptor; the same instance on every call
   */
  public EnqueueInterceptor enqueueInterceptor() {
    return enqueueInterceptor;
  }

  /**
   * The interceptor to register with {@link JobProcessorBuilder#interceptor}: a consumer span per
   * attempt, current while the handler runs. Register it first, so that it is the outermost and
   * other interceptors run inside its span.
   *
   * @return the job interceptor; the same instance on every call
   */
  public JobInterceptor jobInterceptor() {
    return jobInterceptor;
  }

  /** Builds a {@link MobVibeTracing}. Not thread-safe; checks everything in {@link #build()}. */
  public static final class Builder {
    private final OpenTelemetry openTelemetry;
    private String schema = JobQueue.DEFAULT_SCHEMA;
    private TextMapPropagator propagator;
    private boolean propagatorSet;
    private boolean consumerParentFromProducer;

    private Builder(OpenTelemetry openTelemetry) {
      this.openTelemetry = openTelemetry;
    }

    /**
     * Sets the queue's schema, recorded as {@code mobvibe.queue.schema}: the same name given to
     * {@link JobQueue.Builder#schema}, since neither interceptor can ask the queue. Default {@value
     * JobQueue#DEFAULT_SCHEMA}.
     *
     * @param schema a plain lower-case identifier
     * @return this builder
     */
    public Builder schema(String schema) {
      this.schema = schema;
      return this;
    }

    /**
     * Sets the propagator that writes the trace context into job metadata and reads it back.
     * Default: the {@link OpenTelemetry} instance's text map propagator, or W3C trace context
     * ({@code traceparent}, {@code tracestate}) when that one is the no-op propagator. Producer and
     * consumer must use the same format.
     *
     * @param propagator the propagator
     * @return this builder
     */
    public Builder propagator(TextMapPropagator propagator) {
      this.propagator = propagator;
      this.propagatorSet = true;
      return this;
    }

    /**
     * Makes each consumer span a child of the producer span found in the job's metadata, in the
     * producer's trace, instead of the first span of a trace of its own. Either way it links to the
     * producer span. Default {@code false}: attempts can run long after the enqueue and many times,
     * which would stretch the enqueuing request's trace over hours and every retry. Choose {@code
     * true} when jobs run promptly and one connected trace from the request to the handler is worth
     * more.
     *
     * @param parentFromProducer whether the producer span is the consumer span's parent
     * @return this builder
     */
    public Builder consumerParentFromProducer(boolean parentFromProducer) {
      this.consumerParentFromProducer = parentFromProducer;
      return this;
    }

    /**
     * Builds the tracing.
     *
     * @return the tracing
     * @throws IllegalArgumentException if the schema is null or not a plain lower-case identifier,
     *     or the propagator was set to null
     */
    public MobVibeTracing build() {
      if (propagatorSet && propagator == null) {
        throw new IllegalArgumentException("propagator must not be null");
      }
      if (schema == null || !SCHEMA.matcher(schema).matches()) {
        throw new IllegalArgumentException(
            "schema must be a plain lower-case identifier ([a-z_][a-z0-9_]{0,62}), was "
                + (schema == null ? "null" : "'" + schema + "'"));
      }
      return new MobVibeTracing(this);
    }
  }
}
