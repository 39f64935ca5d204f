package dev.mobvibe.queue;

/**
 * Wraps each attempt of a job run by a {@link JobProcessor}: the place for tracing, logging context
 * (MDC) and metrics that need to surround the handler. Register with {@link
 * JobProcessorBuilder#interceptor(JobInterceptor)}; several form a chain in which the first
 * registered is the outermost, and the handler runs innermost.
 *
 * <pre>{@code
 * JobInterceptor mdc = (job, context, next) -> {
 *   MDC.put("tenant", job.metadata().getOrDefault("tenant", "none"));
 *   try {
 *     next.proceed();
 *   } finally {
 *     MDC.remove("tenant");
 *   }
 * };
 * }</pre>
 *
 * <p>What an interceptor does decides the attempt, exactly as the handler would:
 *
 * <ul>
 *   <li>Returning normally is success, whether or not it called {@link Execution#proceed()}: an
 *       interceptor that does not proceed skips the rest of the chain and the handler, and the job
 *       is recorded completed.
 *   <li>Throwing fails the attempt as if the handler had thrown that exception: it is retried after
 *       the backoff while attempts remain. {@link PermanentJobFailureException} and {@link
 *       SnoozeJobException} keep their meaning, so an interceptor that observes failures should
 *       rethrow what {@code proceed()} threw unchanged.
 * </ul>
 *
 * <p>The interceptor runs on the handler's thread, inside the attempt: after the job was claimed
 * and its {@link JobListener#onJobStarted} fired, within its timeout, with the processor's own MDC
 * keys ({@code jobId}, {@code jobKind}, {@code sessionId}) already set. For a typed handler ({@link
 * JobProcessorBuilder#handler(String, Class, ArgsHandler)}) the arguments are decoded inside {@code
 * proceed()}, so arguments that do not decode surface there as a {@link
 * PermanentJobFailureException}. One interceptor is called from several threads at once (up to the
 * processor's concurrency), so it must be thread-safe.
 *
 * <p>What an {@link EnqueueInterceptor} stored in {@link NewJob#metadata()} arrives in {@link
 * Job#metadata()}: that is how a trace context travels from the producer to the worker.
 */
@FunctionalInterface
public interface JobInterceptor {

  /**
   * Runs around one attempt of a job.
   *
   * @param job the claimed job, as the handler will see it
   * @param context the attempt's context, as the handler will see it
   * @param next the rest of the chain, ending with the handler
   * @throws Exception any failure; it fails the attempt as a handler's would
   */
  void intercept(Job job, JobContext context, Execution next) throws Exception;

  /**
   * The rest of the chain after one interceptor. Implemented by the processor; one per attempt and
   * interceptor.
   */
  interface Execution {

    /**
     * Runs the next interceptor, or the handler after the last one, and returns when it returned.
     * Call it at most once, on any thread, before {@link JobInterceptor#intercept} returns.
     *
     * @throws Exception what the rest of the chain or the handler threw, unchanged
     * @throws IllegalStateException if called a second time
     */
    void proceed() throws Exception;
  }
}
