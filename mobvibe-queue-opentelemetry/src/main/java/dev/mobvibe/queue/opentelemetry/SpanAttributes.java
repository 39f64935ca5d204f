package dev.mobvibe.queue.opentelemetry;

import io.opentelemetry.api.common.AttributeKey;

/**
 * The attribute keys of the spans, from the OpenTelemetry messaging semantic conventions where one
 * fits and under {@code mobvibe.} otherwise. Written out rather than taken from the semconv
 * artifacts, whose messaging keys are still incubating.
 */
final class SpanAttributes {
  static final AttributeKey<String> MESSAGING_SYSTEM = AttributeKey.stringKey("messaging.system");
  static final AttributeKey<String> OPERATION_TYPE =
      AttributeKey.stringKey("messaging.operation.type");
  static final AttributeKey<String> OPERATION_NAME =
      AttributeKey.stringKey("messaging.operation.name");
  static final AttributeKey<String> DESTINATION_NAME =
      AttributeKey.stringKey("messaging.destination.name");
  static final AttributeKey<String> MESSAGE_ID = AttributeKey.stringKey("messaging.message.id");
  static final AttributeKey<Long> BATCH_MESSAGE_COUNT =
      AttributeKey.longKey("messaging.batch.message_count");
  static final AttributeKey<String> JOB_KIND = AttributeKey.stringKey("mobvibe.job.kind");
  static final AttributeKey<Long> JOB_ATTEMPT = AttributeKey.longKey("mobvibe.job.attempt");
  static final AttributeKey<String> QUEUE_SCHEMA = AttributeKey.stringKey("mobvibe.queue.schema");
  static final AttributeKey<Long> SNOOZE_DELAY_MS =
      AttributeKey.longKey("mobvibe.job.snooze.delay_ms");

  /** The event a snoozed attempt adds to its consumer span. */
  static final String SNOOZED_EVENT = "mobvibe.job.snoozed";

  private SpanAttributes() {}
}
