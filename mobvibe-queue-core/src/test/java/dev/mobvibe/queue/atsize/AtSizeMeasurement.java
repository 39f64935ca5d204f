package dev.mobvibe.queue.atsize;

import dev.mobvibe.queue.JobQueue;
import dev.mobvibe.queue.QueueStats;
import dev.mobvibe.queue.internal.Jdbc;
import dev.mobvibe.queue.internal.JobStore;
import java.sql.Connection;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * Measures statistics and retention at size, for docs/PERFORMANCE.md: generates 1,000,000 pending
 * and 1,000,000 finished jobs in a scratch database ({@link AtSizeData}), then times the exact
 * statistics (one statement over the whole table) against {@link JobQueue#getQueueStats()} (which
 * estimates the large finished counts), and the delete rate of retention's 1,000-row batches. Run
 * from the module directory after {@code mvn test-compile}, with the test class path:
 *
 * <pre>
 * java -cp target/test-classes:target/classes:$(cat cp.txt) \
 *     dev.mobvibe.queue.atsize.AtSizeMeasurement postgresql://postgres@127.0.0.1:5432/scratch
 * </pre>
 *
 * <p>The database must exist and will be emptied; the user must be a superuser (triggers are off
 * while the rows are generated). Not a test: it changes the data and takes a few minutes.
 */
public final class AtSizeMeasurement {
  private AtSizeMeasurement() {}

  /**
   * Runs the measurement.
   *
   * @param args the database URL; {@code --no-generate} to reuse rows generated before
   * @throws Exception on any failure
   */
  public static void main(String[] args) throws Exception {
    String url = args.length > 0 ? args[0] : "postgresql://postgres@127.0.0.1:5432/mobvibe_at_size";
    boolean generate = !Arrays.asList(args).contains("--no-generate");
    try (JobQueue queue =
        JobQueue.builder()
            .jdbcUrl(url)
            .statementTimeout(Duration.ZERO)
            .socketTimeout(Duration.ZERO)
            .build()) {
      queue.migrate();
      if (generate) {
        long t0 = System.nanoTime();
        try (Connection c = queue.dataSource().getConnection()) {
          AtSizeData.generate(c, 1_000_000, 1_000_000);
        }
        System.out.printf(
            Locale.ROOT, "generated 2,000,000 rows in %.1f s%n", (System.nanoTime() - t0) / 1e9);
      }
      JobStore store = new JobStore(new Jdbc(queue.dataSource()), "public");
      // Warm both paths once, then take the median of five.
      QueueStats exact = store.stats();
      QueueStats atSize = queue.getQueueStats();
      double exactMs = median(() -> store.stats());
      double atSizeMs = median(queue::getQueueStats);
      System.out.printf(Locale.ROOT, "exact stats (whole table):   median %.0f ms%n", exactMs);
      System.out.printf(Locale.ROOT, "getQueueStats() at size:     median %.0f ms%n", atSizeMs);
      System.out.println("exact:   " + exact);
      System.out.println("at size: " + atSize);

      int batches = 100;
      long deleted = 0;
      long t0 = System.nanoTime();
      for (int i = 0; i < batches; i++) {
        deleted += store.pruneFinished(Duration.ofDays(7), 1_000);
      }
      double seconds = (System.nanoTime() - t0) / 1e9;
      System.out.printf(
          Locale.ROOT,
          "prune finished: %d rows in %d batches of 1,000, %.1f s, %.0f rows/s%n",
          deleted,
          batches,
          seconds,
          deleted / seconds);
      long dead = 0;
      t0 = System.nanoTime();
      for (int i = 0; i < 20; i++) {
        dead += store.pruneFailed(Duration.ofDays(7), 1_000);
      }
      seconds = (System.nanoTime() - t0) / 1e9;
      System.out.printf(
          Locale.ROOT,
          "prune dead letters: %d rows in 20 batches of 1,000, %.1f s, %.0f rows/s%n",
          dead,
          seconds,
          dead / seconds);
    }
  }

  private static double median(Supplier<QueueStats> read) {
    double[] ms = new double[5];
    for (int i = 0; i < ms.length; i++) {
      long t0 = System.nanoTime();
      read.get();
      ms[i] = (System.nanoTime() - t0) / 1e6;
    }
    Arrays.sort(ms);
    return ms[ms.length / 2];
  }
}
