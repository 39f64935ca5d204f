/**
 * The MobVibe Queue test kit: {@link dev.mobvibe.queue.test.MobVibeQueueExtension} (a JUnit 5
 * extension that hands a test a migrated database and a queue), {@link
 * dev.mobvibe.queue.test.QueueAssertions} (what was enqueued) and {@link
 * dev.mobvibe.queue.test.JobDrainer} (runs queued jobs through their handlers in the calling
 * thread, on a {@link dev.mobvibe.queue.test.TestClock}). Add {@code mobvibe-queue-test} with test
 * scope.
 */
@NullMarked
package dev.mobvibe.queue.test;

import org.jspecify.annotations.NullMarked;
