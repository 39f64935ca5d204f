/**
 * MobVibe Queue's public API: {@link dev.mobvibe.queue.JobQueue} (enqueue, claim, complete, fail,
 * cancel, statistics, migrations), {@link dev.mobvibe.queue.JobProcessor} (the worker), {@link
 * dev.mobvibe.queue.QueueMonitor}, and the {@link dev.mobvibe.queue.JobHandler}, {@link
 * dev.mobvibe.queue.JobNotifier} and interceptor SPIs.
 *
 * <p>Types here are null-marked: a parameter, return value or record component accepts or returns
 * {@code null} only where it is annotated {@code @Nullable}. Everything in {@code
 * dev.mobvibe.queue.internal} may change without notice.
 */
@NullMarked
package dev.mobvibe.queue;

import org.jspecify.annotations.NullMarked;
