package dev.mobvibe.queue.opentelemetry.examples;

import dev.mobvibe.queue.JobHandler;
import dev.mobvibe.queue.JobProcessor;
import dev.mobvibe.queue.JobQueue;
import dev.mobvibe.queue.NewJob;
import dev.mobvibe.queue.opentelemetry.MobVibeTracing;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;

/**
 * The README's tracing example, compiled and run by the build ({@code TracingExampleTest}): a job
 * enqueued while a request's span is current runs under a consumer span that links back to it, and
 * the handler's own span nests under the consumer span.
 */
public final class TracingExample {
  private TracingExample() {}

  /**
   * Enqueues a coding session inside a {@code POST /sessions} span and runs it with a processor
   * whose handler starts a span of its own.
   *
   * @param dataSource the database
   * @param openTelemetry the application's OpenTelemetry (an SDK, or the agent's global instance)
   * @return the id of the job that ran
   * @throws Exception if the job did not run within 30 seconds
   */
  public static String run(DataSource dataSource, OpenTelemetry openTelemetry) throws Exception {
    Tracer tracer = openTelemetry.getTracer("my-app");

    MobVibeTracing tracing = MobVibeTracing.create(openTelemetry);
    try (JobQueue queue =
        JobQueue.builder()
            .dataSource(dataSource)
            .enqueueInterceptor(tracing.enqueueInterceptor())
            .build()) {
      queue.migrate();

      Span request = tracer.spanBuilder("POST /sessions").startSpan();
      try (Scope ignored = request.makeCurrent()) {
        queue.enqueue(NewJob.of("Build a todo app")); // span "publish coding_session"
      } finally {
        request.end();
      }

      CompletableFuture<String> ran = new CompletableFuture<>();
      JobHandler handler =
          (job, context) -> {
            // The consumer span "process coding_session" is current: this span is its child.
            Span sandbox = tracer.spanBuilder("start sandbox").startSpan();
            sandbox.end();
            ran.complete(job.id().toString());
          };
      try (JobProcessor processor =
          JobProcessor.builder(queue, handler).interceptor(tracing.jobInterceptor()).build()) {
        processor.start();
        return ran.get(30, TimeUnit.SECONDS);
      }
    }
  }
}
