/**
 * OpenTelemetry tracing for the MobVibe queue: {@link
 * dev.mobvibe.queue.opentelemetry.MobVibeTracing} makes an enqueue interceptor (a producer span per
 * enqueue, its trace context written into each job's metadata) and a job interceptor (a consumer
 * span per attempt, linked to the producer span and current while the handler runs).
 *
 * <p>Add {@code dev.mobvibe:mobvibe-queue-opentelemetry} and an OpenTelemetry SDK (or the Java
 * agent) to your build; this module depends only on {@code mobvibe-queue-core} and {@code
 * opentelemetry-api}.
 */
@NullMarked
package dev.mobvibe.queue.opentelemetry;

import org.jspecify.annotations.NullMarked;
