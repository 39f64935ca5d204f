/**
 * Micrometer metrics for the MobVibe queue, reusable by any service that embeds a {@link
 * dev.mobvibe.queue.JobProcessor}: {@link dev.mobvibe.queue.micrometer.QueueMetrics} counts and
 * times jobs as a {@link dev.mobvibe.queue.JobListener} and exposes queue depth, running jobs and
 * notifier state as gauges.
 *
 * <p>Add {@code dev.mobvibe:mobvibe-queue-examples} (for this package) and a Micrometer registry to
 * your build; the rest of that artifact (the CLI) is not needed at run time.
 */
package dev.mobvibe.queue.micrometer;
