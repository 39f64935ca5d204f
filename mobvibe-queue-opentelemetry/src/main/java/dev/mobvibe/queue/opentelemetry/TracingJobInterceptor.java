package dev.mobvibe.queue.opentelemetry;

import static dev.mobvibe.queue.opentelemetry.SpanAttributes.DESTINATION_NAME;
import static dev.mobvibe.queue.opentelemetry.SpanAttributes.JOB_ATTEMPT;
import static dev.mobvibe.queue.opentelemetry.SpanAttributes.JOB_KIND;
import static dev.mobvibe.queue.opentelemetry.SpanAttributes.MESSAGE_ID;
import static dev.mobvibe.queue.opentelemetry.SpanAttributes.MESSAGING_SYSTEM;
import static dev.mobvibe.queue.opentelemetry.SpanAttributes.OPERATION_NAME;
import static dev.mobvibe.queue.opentelemetry.SpanAttributes.OPERATION_TYPE;
import static dev.mobvibe.queue.opentelemetry.SpanAttributes.QUEUE_SCHEMA;
import static dev.mobvibe.queue.opentelemetry.SpanAttributes.SNOOZED_EVENT;
import static dev.mobvibe.queue.opentelemetry.SpanAttributes.SNOOZE_DELAY_MS;

import dev.mobvibe.queue.Job;
import dev.mobvibe.queue.JobContext;
import dev.mobvibe.queue.JobInterceptor;
import dev.mobvibe.queue.SnoozeJobException;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapPropagator;

/**
 * One consumer span per attempt, linked to the producer span whose context the job carries, and
 * current while the rest of the chain and the handler run.
 */
final class TracingJobInterceptor implements JobInterceptor {
  private final Tracer tracer;
  private final TextMapPropagator propagator;
  private final String schema;
  private final boolean parentFromProducer;

  TracingJobInterceptor(
      Tracer tracer, TextMapPropagator propagator, String schema, boolean parentFromProducer) {
    this.tracer = tracer;
    this.propagator = propagator;
    this.schema = schema;
    this.parentFromProducer = parentFromProducer;
  }

  @Override
  public void intercept(Job job, JobContext context, Execution next) throws Exception {
    Context ambient = Context.current();
    // Extracted over the ambient context, so baggage the producer sent is current in the handler.
    Context extracted = propagator.extract(ambient, job.metadata(), MetadataCarrier.GETTER);
    SpanContext producer = Span.fromContext(extracted).getSpanContext();
    Context parent = parentFromProducer ? extracted : extracted.with(Span.fromContext(ambient));

    SpanBuilder builder =
        tracer
            .spanBuilder("process " + job.kind())
            .setSpanKind(SpanKind.CONSUMER)
            .setParent(parent)
            .setAttribute(MESSAGING_SYSTEM, MobVibeTracing.MESSAGING_SYSTEM)
            .setAttribute(OPERATION_TYPE, "process")
            .setAttribute(OPERATION_NAME, "process")
            .setAttribute(DESTINATION_NAME, job.kind())
            .setAttribute(MESSAGE_ID, job.id().toString())
            .setAttribute(JOB_KIND, job.kind())
            .setAttribute(JOB_ATTEMPT, (long) context.attempt())
            .setAttribute(QUEUE_SCHEMA, schema);
    if (producer.isValid()) {
      builder.addLink(producer);
    }
    Span span = builder.startSpan();
    Scope scope = parent.with(span).makeCurrent();
    try {
      next.proceed();
    } catch (SnoozeJobException snooze) {
      span.addEvent(SNOOZED_EVENT, Attributes.of(SNOOZE_DELAY_MS, snooze.delay().toMillis()));
      throw snooze;
    } catch (Exception | Error e) {
      span.recordException(e);
      span.setStatus(StatusCode.ERROR, String.valueOf(e.getMessage()));
      throw e;
    } finally {
      scope.close();
      span.end();
    }
  }
}
