package dev.mobvibe.queue;

import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * One failed attempt of a job, as kept in the job's error history ({@code coding_jobs.errors}).
 *
 * @param attempt the 1-based attempt that failed
 * @param error the error message recorded for it
 * @param at when the failure was recorded (database time)
 * @param worker the worker that held the job, or {@code null} when unknown
 */
public record JobError(int attempt, String error, Instant at, @Nullable String worker) {}
