package dev.mobvibe.queue.opentelemetry;

import static dev.mobvibe.queue.opentelemetry.SpanAttributes.BATCH_MESSAGE_COUNT;
import static dev.mobvibe.queue.opentelemetry.SpanAttributes.DESTINATION_NAME;
import static dev.mobvibe.queue.opentelemetry.SpanAttributes.JOB_KIND;
import static dev.mobvibe.queue.opentelemetry.SpanAttributes.MESSAGE_ID;
import static dev.mobvibe.queue.opentelemetry.SpanAttributes.MESSAGING_SYSTEM;
import static dev.mobvibe.queue.opentelemetry.SpanAttributes.OPERATION_NAME;
import static dev.mobvibe.queue.opentelemetry.SpanAttributes.OPERATION_TYPE;
import static dev.mobvibe.queue.opentelemetry.SpanAttributes.QUEUE_SCHEMA;

import dev.mobvibe.queue.EnqueueInterceptor;
import dev.mobvibe.queue.Job;
import dev.mobvibe.queue.NewJob;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapPropagator;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One producer span per enqueue call, around the insert; its context goes into every job's
 * metadata. One span per batch, not per job: the batch is one statement and one round trip, and N
 * spans of the same interval would only repeat it. Every job of a batch carries the same context,
 * so each consumer span links to the one producer span.
 */
final class TracingEnqueueInterceptor implements EnqueueInterceptor {
  private final Tracer tracer;
  private final TextMapPropagator propagator;
  private final String schema;

  TracingEnqueueInterceptor(Tracer tracer, TextMapPropagator propagator, String schema) {
    this.tracer = tracer;
    this.propagator = propagator;
    this.schema = schema;
  }

  @Override
  public List<Job> intercept(List<NewJob> jobs, Enqueue next) {
    String kind = commonKind(jobs);
    SpanBuilder builder =
        tracer
            .spanBuilder(kind == null ? "publish" : "publish " + kind)
            .setSpanKind(SpanKind.PRODUCER)
            .setAttribute(MESSAGING_SYSTEM, MobVibeTracing.MESSAGING_SYSTEM)
            .setAttribute(OPERATION_TYPE, "send")
            .setAttribute(OPERATION_NAME, "publish")
            .setAttribute(QUEUE_SCHEMA, schema);
    if (kind != null) {
      builder.setAttribute(DESTINATION_NAME, kind).setAttribute(JOB_KIND, kind);
    }
    if (jobs.size() > 1) {
      builder.setAttribute(BATCH_MESSAGE_COUNT, (long) jobs.size());
    }
    Span span = builder.startSpan();
    Scope scope = span.makeCurrent();
    try {
      List<Job> stored = next.proceed(withContext(jobs, Context.current()));
      if (stored.size() == 1) {
        span.setAttribute(MESSAGE_ID, stored.get(0).id().toString());
      }
      return stored;
    } catch (RuntimeException | Error e) {
      span.recordException(e);
      span.setStatus(StatusCode.ERROR, String.valueOf(e.getMessage()));
      throw e;
    } finally {
      scope.close();
      span.end();
    }
  }

  /** The kind all jobs share, or null when they differ. */
  private static String commonKind(List<NewJob> jobs) {
    String kind = jobs.get(0).kind();
    for (NewJob job : jobs) {
      if (!kind.equals(job.kind())) {
        return null;
      }
    }
    return kind;
  }

  /** The jobs with the context in their metadata; the same list when there is nothing to carry. */
  private List<NewJob> withContext(List<NewJob> jobs, Context context) {
    Map<String, String> carrier = new LinkedHashMap<>();
    propagator.inject(context, carrier, MetadataCarrier.SETTER);
    if (carrier.isEmpty()) {
      return jobs;
    }
    List<NewJob> carrying = new ArrayList<>(jobs.size());
    for (NewJob job : jobs) {
      carrying.add(withEntries(job, carrier));
    }
    return carrying;
  }

  /** The job with every entry, or unchanged when its metadata has no room: never half a context. */
  private static NewJob withEntries(NewJob job, Map<String, String> entries) {
    NewJob carrying = job;
    try {
      for (Map.Entry<String, String> entry : entries.entrySet()) {
        carrying = carrying.withMetadata(entry.getKey(), entry.getValue());
      }
      return carrying;
    } catch (IllegalArgumentException full) {
      return job;
    }
  }
}
