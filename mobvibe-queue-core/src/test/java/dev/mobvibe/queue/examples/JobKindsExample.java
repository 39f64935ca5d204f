package dev.mobvibe.queue.examples;

import dev.mobvibe.queue.JobArgs;
import dev.mobvibe.queue.JobProcessor;
import dev.mobvibe.queue.JobQueue;
import dev.mobvibe.queue.NewJob;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;

/**
 * The README's second kind, end to end: a typed job enqueued beside a coding session and run by its
 * own handler. Compiled and run by the build ({@code JobKindsExampleTest}); keep the body of {@link
 * #run(JobQueue, List)} and the README's snippet identical.
 */
public final class JobKindsExample {
  private JobKindsExample() {}

  /** The arguments of a second kind of job: a record, stored as JSON. */
  public record SendEmail(String to, String subject, Instant requestedAt) implements JobArgs {
    @Override
    public String kind() {
      return "send_email";
    }
  }

  /**
   * Enqueues an e-mail and a coding session, and runs both with one processor until they are done.
   *
   * @param queue a migrated queue
   * @param log where the handlers write what they did
   * @throws InterruptedException if interrupted while waiting for the jobs
   */
  public static void run(JobQueue queue, List<String> log) throws InterruptedException {
    queue.enqueue(NewJob.of(new SendEmail("ada@example.com", "Welcome", Instant.now())));
    queue.enqueue(NewJob.of("Build a todo app"));

    CountDownLatch done = new CountDownLatch(2);
    try (JobProcessor processor =
        JobProcessor.builder(queue)
            .handler(
                "send_email",
                SendEmail.class,
                (email, ctx) -> {
                  log.add("mailed " + email.to()); // a real handler sends the e-mail here
                  done.countDown();
                })
            .handler(
                NewJob.CODING_SESSION_KIND,
                (job, ctx) -> {
                  log.add("coded " + job.prompt());
                  done.countDown();
                })
            .build()) {
      processor.start();
      done.await(); // a service keeps its processor running; the example stops when both are done
    }
  }

  /**
   * Runs the example against {@code DATABASE_URL}, or a local PostgreSQL when it is unset.
   *
   * @param args ignored
   * @throws InterruptedException if interrupted
   */
  public static void main(String[] args) throws InterruptedException {
    String url = System.getenv("DATABASE_URL");
    try (JobQueue queue =
        JobQueue.builder()
            .jdbcUrl(url != null ? url : "postgresql://postgres@127.0.0.1:5432/postgres")
            .build()) {
      queue.migrate();
      List<String> log = new CopyOnWriteArrayList<>();
      run(queue, log);
      log.forEach(System.out::println);
    }
  }
}
