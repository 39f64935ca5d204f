/**
 * Micrometer metrics for the MobVibe queue, reusable by any service that embeds a {@link
 * dev.mobvibe.queue.JobProcessor}: {@link dev.mobvibe.queue.micrometer.QueueMetrics} counts and
 * times jobs as a {@link dev.mobvibe.queue.JobListener} and exposes queue depth, running jobs and
 * notifier state as gauges.
 *
 * <p>Add {@code dev.mobvibe:mobvibe-queue-micrometer} and a Micrometer registry of your choice to
 * your build; this module depends only on {@code mobvibe-queue-core} and {@code micrometer-core}.
 */
@NullMarked
package dev.mobvibe.queue.micrometer;

import org.jspecify.annotations.NullMarked;
