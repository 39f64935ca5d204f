package dev.mobvibe.queue;

import java.sql.Connection;
import java.util.List;

/**
 * Wraps every enqueue of a {@link JobQueue}: the place to add what a worker's {@link
 * JobInterceptor} needs to each job's {@link NewJob#metadata()} (a W3C {@code traceparent}, a
 * tenant), and to trace or count inserts. Register with {@link
 * JobQueue.Builder#enqueueInterceptor(EnqueueInterceptor)}; several form a chain in which the first
 * registered is the outermost, and the insert runs innermost.
 *
 * <pre>{@code
 * EnqueueInterceptor tenant = (jobs, next) ->
 *     next.proceed(jobs.stream().map(j -> j.withMetadata("tenant", currentTenant())).toList());
 * }</pre>
 *
 * <p>It applies to each of {@link JobQueue#enqueue(NewJob)}, {@link JobQueue#enqueueAll(List)} and
 * their twins that take the caller's {@link Connection}, once per call, with the whole batch. An
 * interceptor must hand on as many jobs as it received (modified or not, in the same order) and
 * return as many stored jobs, none null, in that order; otherwise the enqueue fails with an {@link
 * IllegalStateException} that names the interceptor. Without a connection of the caller's, the
 * insert and the whole chain share one transaction, so an enqueue that throws, from the database or
 * from an interceptor, writes nothing. On the caller's connection the rows belong to the caller's
 * transaction; after a failure the caller rolls it back, as after any failed statement. An
 * interceptor is called from many threads at once and must be thread-safe.
 */
@FunctionalInterface
public interface EnqueueInterceptor {

  /**
   * Runs around one enqueue call.
   *
   * @param jobs the jobs to enqueue, 1 to {@link JobQueue#MAX_BATCH_SIZE}, none null; unmodifiable
   * @param next the rest of the chain, ending with the insert
   * @return the stored jobs, one for each job received, in the same order (normally what {@code
   *     next.proceed} returned)
   * @throws QueueException when the database refuses; other unchecked exceptions fail the enqueue
   *     the same way
   */
  List<Job> intercept(List<NewJob> jobs, Enqueue next);

  /**
   * The rest of the chain after one interceptor. Implemented by the queue; one per call and
   * interceptor.
   */
  interface Enqueue {

    /**
     * Runs the next interceptor, or the insert after the last one. Call it at most once, on the
     * interceptor's thread, before {@link EnqueueInterceptor#intercept} returns.
     *
     * @param jobs the jobs to insert: as many as the interceptor received, in the same order, none
     *     null (for example each with metadata added through {@link NewJob#withMetadata})
     * @return the stored jobs, in the order given
     * @throws QueueException if the database refuses
     * @throws IllegalStateException if called a second time, or with a different number of jobs or
     *     a null
     */
    List<Job> proceed(List<NewJob> jobs);
  }
}
