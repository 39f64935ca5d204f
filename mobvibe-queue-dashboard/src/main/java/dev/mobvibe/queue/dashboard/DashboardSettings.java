package dev.mobvibe.queue.dashboard;

import dev.mobvibe.queue.JobQueue;
import dev.mobvibe.queue.NotifierState;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * The checked options of one {@link Dashboard}, handed to each mount.
 *
 * @param queue the queue shown
 * @param auth the token and login checks
 * @param refreshInterval how often the overview polls
 * @param notifierState the worker's notifier state, or a supplier of null when there is none
 */
record DashboardSettings(
    JobQueue queue, Auth auth, Duration refreshInterval, Supplier<NotifierState> notifierState) {}
