package dev.mobvibe.queue.examples;

import dev.mobvibe.queue.Job;
import dev.mobvibe.queue.JobQueue;
import dev.mobvibe.queue.NewJob;
import dev.mobvibe.queue.PlanTier;
import dev.mobvibe.queue.QueueStats;

/**
 * The README's quick start, compiled and run by the build ({@code QuickStartExampleTest}). Keep the
 * body of {@link #run(String)} and the README's snippet identical.
 *
 * <p>Run it against a database: {@code DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres}.
 */
public final class QuickStartExample {
  private QuickStartExample() {}

  /**
   * Runs the quick start against {@code DATABASE_URL}, or a local PostgreSQL when it is unset.
   *
   * @param args ignored
   */
  public static void main(String[] args) {
    String url = System.getenv("DATABASE_URL");
    run(url != null ? url : "postgresql://postgres@127.0.0.1:5432/postgres");
  }

  /**
   * Migrates, enqueues a Pro job, claims and completes it, and prints the statistics. The body is
   * the README's quick start, verbatim.
   *
   * @param databaseUrl a {@code postgresql://} or {@code jdbc:postgresql:} URL
   */
  public static void run(String databaseUrl) {
    try (JobQueue queue = JobQueue.builder().jdbcUrl(databaseUrl).build()) {
      queue.migrate(); // creates or upgrades the schema; safe to run from every process
      queue.enqueue(NewJob.builder("Build a todo app").tier(PlanTier.PRO).build());

      Job job = queue.claimNextJob().orElseThrow(); // highest priority first, oldest first
      System.out.println("Working on: " + job.prompt());
      queue.completeJob(job.id());

      QueueStats stats = queue.getQueueStats();
      System.out.println("Pending: " + stats.pendingCount() + ", done: " + stats.completedCount());
    }
  }
}
