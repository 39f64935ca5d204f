package dev.mobvibe.queue.examples;

import dev.mobvibe.queue.JobProcessor;
import dev.mobvibe.queue.JobQueue;
import dev.mobvibe.queue.micrometer.QueueMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.Map;

/**
 * The README's "embed the processor in an existing service" example, compiled and run by the build
 * ({@code EmbeddedWorkerExampleTest}). Keep the body of {@link #start} and the README's snippet
 * identical.
 */
public final class EmbeddedWorkerExample {
  private EmbeddedWorkerExample() {}

  /**
   * Runs a worker in this JVM until it is stopped (Ctrl-C).
   *
   * @param args ignored; DATABASE_URL names the database
   */
  public static void main(String[] args) throws InterruptedException {
    JobQueue queue = JobQueue.builder().jdbcUrl(System.getenv("DATABASE_URL")).build();
    JobProcessor processor = start(queue, new SimpleMeterRegistry());
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  processor.stop();
                  queue.close();
                }));
    Thread.currentThread().join(); // the processor's threads are daemons: stay up until Ctrl-C
  }

  /**
   * Migrates the queue and starts a processor on it with metrics; the README's snippet.
   *
   * @param queue the application's queue
   * @param registry the application's meter registry
   * @return the running processor; stop it on shutdown
   */
  public static JobProcessor start(JobQueue queue, MeterRegistry registry) {
    queue.migrate(); // idempotent: safe from every instance at start-up
    QueueMetrics metrics = new QueueMetrics(registry); // counters, timers; gauges: see below
    JobProcessor processor =
        JobProcessor.builder(
                queue,
                (job, ctx) -> {
                  ctx.emitEvent("thinking", Map.of("text", "Working on: " + job.prompt()));
                  if (ctx.awaitCancellation(Duration.ofMillis(200))) { // your work goes here
                    throw new IllegalStateException("cancelled"); // a throw means retry
                  }
                  ctx.emitEvent("completion", Map.of("summary", "done"));
                })
            .concurrency(10) // MAX_CONCURRENT_JOBS
            .shutdownTimeout(Duration.ofSeconds(30)) // SHUTDOWN_TIMEOUT_MS
            .listener(metrics)
            .build();
    metrics.bindProcessor(processor);
    processor.start(); // returns at once: the processor runs on its own threads
    return processor;
  }
}
