/**
 * Spring Boot auto-configuration of MobVibe Queue: a {@link dev.mobvibe.queue.JobQueue} on the
 * application's {@code DataSource}, handler beans registered by kind ({@link
 * dev.mobvibe.queue.spring.JobKind}), a {@link dev.mobvibe.queue.JobProcessor} started and stopped
 * with the application context, {@code mobvibe.queue.*} properties ({@link
 * dev.mobvibe.queue.spring.MobVibeQueueProperties}), enqueue inside Spring transactions ({@link
 * dev.mobvibe.queue.spring.JobEnqueuer}), an Actuator health indicator, Micrometer metrics,
 * realtime wake-ups and the web dashboard in the application's servlet container. Every bean it
 * defines backs off when the application defines its own.
 */
package dev.mobvibe.queue.spring;
