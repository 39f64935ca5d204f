package dev.mobvibe.queue.spring;

import dev.mobvibe.queue.JobProcessorBuilder;

/**
 * Changes the auto-configured processor's builder before it is built, after the properties and the
 * handler beans were applied: per-kind options ({@code handler(kind, handler, KindOptions)} for a
 * handler that is not a bean), a retry policy, a thread factory. Every bean of this type is
 * applied, in {@code @Order}. A handler registered here must not also be a handler bean: a kind
 * registered twice stops the start-up.
 */
@FunctionalInterface
public interface JobProcessorCustomizer {

  /**
   * Changes the builder.
   *
   * @param builder the processor's builder; do not call {@code build()}
   */
  void customize(JobProcessorBuilder builder);
}
