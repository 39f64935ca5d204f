package dev.mobvibe.queue.examples;

import dev.mobvibe.queue.EnqueueInterceptor;
import dev.mobvibe.queue.JobInterceptor;
import dev.mobvibe.queue.JobProcessor;
import dev.mobvibe.queue.JobQueue;
import dev.mobvibe.queue.NewJob;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.slf4j.MDC;

/**
 * The README's interceptor example, compiled and run by the build ({@code InterceptorExampleTest}):
 * a request id in the enqueuing thread's MDC travels in the job's metadata and is back in the MDC
 * while the handler runs, on whichever worker runs it.
 */
public final class InterceptorExample {
  /** The MDC key and the metadata key. */
  public static final String REQUEST_ID = "requestId";

  private InterceptorExample() {}

  /**
   * Copies the enqueuing thread's request id, if any, into each job's metadata.
   *
   * @return the enqueue interceptor
   */
  public static EnqueueInterceptor requestIdToMetadata() {
    return (jobs, next) -> {
      String requestId = MDC.get(REQUEST_ID);
      if (requestId == null) {
        return next.proceed(jobs);
      }
      return next.proceed(jobs.stream().map(j -> j.withMetadata(REQUEST_ID, requestId)).toList());
    };
  }

  /**
   * Puts a job's request id into the MDC for the attempt, and takes it out again afterwards.
   *
   * @return the job interceptor
   */
  public static JobInterceptor requestIdToMdc() {
    return (job, context, next) -> {
      String requestId = job.metadata().get(REQUEST_ID);
      if (requestId == null) {
        next.proceed();
        return;
      }
      try (MDC.MDCCloseable ignored = MDC.putCloseable(REQUEST_ID, requestId)) {
        next.proceed();
      }
    };
  }

  /**
   * Enqueues a job under request id {@code req-42} and runs it with a processor whose handler reads
   * the request id from its MDC.
   *
   * @param dataSource the database
   * @return the request id the handler saw
   * @throws Exception if the job did not run within 30 seconds
   */
  public static String run(DataSource dataSource) throws Exception {
    try (JobQueue queue =
        JobQueue.builder()
            .dataSource(dataSource)
            .enqueueInterceptor(requestIdToMetadata())
            .build()) {
      queue.migrate();
      MDC.put(REQUEST_ID, "req-42");
      try {
        queue.enqueue(NewJob.of("Build a todo app"));
      } finally {
        MDC.remove(REQUEST_ID);
      }

      CompletableFuture<String> seen = new CompletableFuture<>();
      try (JobProcessor processor =
          JobProcessor.builder(queue, (job, context) -> seen.complete(MDC.get(REQUEST_ID)))
              .interceptor(requestIdToMdc())
              .build()) {
        processor.start();
        return seen.get(30, TimeUnit.SECONDS);
      }
    }
  }
}
