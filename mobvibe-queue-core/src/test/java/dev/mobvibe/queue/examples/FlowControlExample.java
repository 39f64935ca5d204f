package dev.mobvibe.queue.examples;

import dev.mobvibe.queue.ArgsHandler;
import dev.mobvibe.queue.JobArgs;
import dev.mobvibe.queue.JobHandler;
import dev.mobvibe.queue.JobProcessor;
import dev.mobvibe.queue.JobQueue;
import dev.mobvibe.queue.KindOptions;
import dev.mobvibe.queue.NewJob;
import java.time.Duration;

/**
 * The README's flow-control snippet: limits and a fairness bound on a processor, a job with a
 * concurrency key, and a paused kind. Compiled and run by the build ({@code
 * FlowControlExampleTest}); keep the bodies and the README's snippet identical.
 */
public final class FlowControlExample {
  private FlowControlExample() {}

  /** A deployment of one site: deployments of a site must never overlap. */
  public record Deploy(String site) implements JobArgs {
    @Override
    public String kind() {
      return "deploy";
    }
  }

  /**
   * A processor for coding sessions and deployments with cluster-wide limits and a fairness bound.
   *
   * @param queue the queue
   * @param sessions runs coding sessions
   * @param deploys runs deployments
   * @return the processor, not started
   */
  public static JobProcessor processor(
      JobQueue queue, JobHandler sessions, ArgsHandler<Deploy> deploys) {
    return JobProcessor.builder(queue)
        .handler(
            NewJob.CODING_SESSION_KIND,
            sessions,
            KindOptions.builder()
                .maxRunning(20) // at most 20 running sessions, all workers together
                .rateLimit(60, Duration.ofMinutes(1)) // at most 60 starts a minute, all workers
                .build())
        .handler("deploy", Deploy.class, deploys)
        .fairness(Duration.ofMinutes(2)) // a Free job waits at most ~2 min for a slot
        .build();
  }

  /**
   * Enqueues a deployment that waits for the site's earlier ones, and pauses the e-mails.
   *
   * @param queue the queue
   */
  public static void enqueue(JobQueue queue) {
    queue.enqueue(NewJob.builder(new Deploy("site-7")).concurrencyKey("site-7").build());
    queue.pauseKind("send_email"); // or: mobvibe-worker.jar jobs pause send_email
  }
}
