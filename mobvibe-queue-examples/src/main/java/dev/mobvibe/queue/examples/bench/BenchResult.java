package dev.mobvibe.queue.examples.bench;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mobvibe.queue.NewJob;
import dev.mobvibe.queue.SessionTracking;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What {@link Benchmark#run()} measured: a table for people and one JSON line for machines.
 *
 * @param machine facts about the machine, JVM and server
 * @param limit L: bare SQL jobs/s
 * @param drains B1 per kind and concurrency, with B3 memory of the same runs
 * @param pickup B2, or null when skipped
 * @param enqueue B4
 * @param idle the idle cost
 * @param sessionTracking what the B1 worker wrote to sessions
 * @param prefetch the B1 worker's fixed prefetch, or -1 for auto
 * @param jobs N of B1
 * @param sharedKeys 0 when each B1 prompt has its own concurrency key (its session), else the
 *     number of keys the prompts share
 */
public record BenchResult(
    Map<String, Object> machine,
    double limit,
    List<Drain> drains,
    Pickup pickup,
    Enqueue enqueue,
    Idle idle,
    SessionTracking sessionTracking,
    int prefetch,
    int jobs,
    int sharedKeys) {

  /**
   * B1 and B3 at one concurrency, for one kind of job.
   *
   * @param kind the jobs' kind: {@code coding_session} (one session each), or {@value
   *     Benchmark#BENCH_KIND} (typed arguments, no session)
   * @param concurrency handler slots
   * @param runs jobs/s of each run
   * @param median the median of the runs
   * @param ratioToLimit median / L
   * @param peakRssBytes peak RSS of each run
   * @param peakHeapBytes peak heap of each run
   */
  public record Drain(
      String kind,
      int concurrency,
      List<Double> runs,
      double median,
      double ratioToLimit,
      List<Long> peakRssBytes,
      List<Long> peakHeapBytes) {}

  /**
   * B2.
   *
   * @param jobs jobs inserted
   * @param ratePerSecond insert rate
   * @param p50Millis median latency
   * @param p95Millis 95th percentile
   * @param p99Millis 99th percentile
   * @param maxMillis the largest
   * @param notifyFloorP50Millis median delivery of a bare {@code pg_notify} to a bare listening
   *     connection at the same rate: what no LISTEN/NOTIFY worker can beat on this machine
   * @param notifyFloorP99Millis 99th percentile of that delivery
   */
  public record Pickup(
      int jobs,
      int ratePerSecond,
      double p50Millis,
      double p95Millis,
      double p99Millis,
      double maxMillis,
      double notifyFloorP50Millis,
      double notifyFloorP99Millis) {}

  /**
   * B4.
   *
   * @param singlePerSecond {@code JobQueue.enqueue} rows/s
   * @param bareSinglePerSecond bare JDBC insert rows/s of the same row
   * @param batchPerSecond {@code JobQueue.enqueueAll} (1,000 per call) rows/s
   */
  public record Enqueue(
      double singlePerSecond, double bareSinglePerSecond, double batchPerSecond) {}

  /**
   * The idle cost.
   *
   * @param pollMillis the poll interval used
   * @param intervals how many intervals were watched
   * @param statements statements run in that window
   * @param perInterval statements per poll interval
   */
  public record Idle(long pollMillis, int intervals, long statements, double perInterval) {}

  /**
   * Formats the results as a table.
   *
   * @return the table
   */
  public String table() {
    StringBuilder b = new StringBuilder();
    b.append(
        String.format(
            Locale.ROOT,
            "%-34s %14s\n",
            "measure (N="
                + jobs
                + ", sessions "
                + sessionTracking.name().toLowerCase(Locale.ROOT)
                + ", prefetch "
                + (prefetch < 0 ? "auto" : prefetch)
                + (sharedKeys > 0 ? ", " + sharedKeys + " shared keys" : "")
                + ")",
            "result"));
    b.append("-".repeat(49)).append('\n');
    row(b, "L   bare SQL claim+complete", String.format(Locale.ROOT, "%.0f jobs/s", limit));
    for (Drain d : drains) {
      // The rows of a kind drain (jobs without sessions) carry a k: B1k, B3k.
      String b1 = d.kind().equals(NewJob.CODING_SESSION_KIND) ? "B1 " : "B1k";
      String b3 = d.kind().equals(NewJob.CODING_SESSION_KIND) ? "B3 " : "B3k";
      row(
          b,
          b1 + (b1.equals("B1k") ? " kind drain" : " drain") + ", concurrency " + d.concurrency(),
          String.format(Locale.ROOT, "%.0f jobs/s", d.median()));
      row(
          b,
          "    " + b1.strip() + " / L",
          String.format(Locale.ROOT, "%.0f%%", d.ratioToLimit() * 100));
      row(
          b,
          b3 + " peak RSS / heap, c" + d.concurrency(),
          String.format(
              Locale.ROOT,
              "%d / %d MB",
              d.peakRssBytes().stream().mapToLong(Long::longValue).max().orElse(0) >> 20,
              d.peakHeapBytes().stream().mapToLong(Long::longValue).max().orElse(0) >> 20));
      row(
          b,
          "    peak RSS run by run, MB",
          String.join(" ", d.peakRssBytes().stream().map(r -> String.valueOf(r >> 20)).toList()));
    }
    if (pickup != null) {
      row(b, "B2  pickup p50", String.format(Locale.ROOT, "%.2f ms", pickup.p50Millis()));
      row(b, "    pickup p95", String.format(Locale.ROOT, "%.2f ms", pickup.p95Millis()));
      row(b, "    pickup p99", String.format(Locale.ROOT, "%.2f ms", pickup.p99Millis()));
      row(b, "    pickup max", String.format(Locale.ROOT, "%.2f ms", pickup.maxMillis()));
      row(
          b,
          "    bare NOTIFY p50 / p99",
          String.format(
              Locale.ROOT,
              "%.2f / %.2f ms",
              pickup.notifyFloorP50Millis(),
              pickup.notifyFloorP99Millis()));
    }
    row(b, "B4  enqueue single", String.format(Locale.ROOT, "%.0f /s", enqueue.singlePerSecond()));
    row(
        b,
        "    bare JDBC insert",
        String.format(Locale.ROOT, "%.0f /s", enqueue.bareSinglePerSecond()));
    row(b, "    enqueue batch", String.format(Locale.ROOT, "%.0f /s", enqueue.batchPerSecond()));
    row(
        b,
        "Idle statements / poll interval",
        String.format(Locale.ROOT, "%.2f", idle.perInterval()));
    return b.toString();
  }

  private static void row(StringBuilder b, String name, String value) {
    b.append(String.format(Locale.ROOT, "%-34s %14s\n", name, value));
  }

  /**
   * Formats the results as one JSON line.
   *
   * @return the JSON
   */
  public String json() {
    try {
      return new ObjectMapper().writeValueAsString(this);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialize bench results", e);
    }
  }

  /** Collects results while the benchmark runs. */
  static final class Builder {
    Map<String, Object> machine = Map.of();
    double limit;
    final List<Drain> drains = new ArrayList<>();
    Pickup pickup;
    Enqueue enqueue;
    Idle idle;

    void machine(Map<String, Object> machine) {
      this.machine = machine;
    }

    void limit(double limit) {
      this.limit = limit;
    }

    void drain(String kind, int concurrency, List<Double> runs, List<Long> rss, List<Long> heap) {
      List<Double> sorted = new ArrayList<>(runs);
      sorted.sort(Double::compare);
      double median = sorted.get(sorted.size() / 2);
      drains.add(new Drain(kind, concurrency, runs, median, median / limit, rss, heap));
    }

    void pickup(Pickup pickup) {
      this.pickup = pickup;
    }

    void enqueue(double single, double bare, double batch) {
      this.enqueue = new Enqueue(single, bare, batch);
    }

    void idle(Idle idle) {
      this.idle = idle;
    }

    BenchResult build(Benchmark.Options options) {
      return new BenchResult(
          machine,
          limit,
          drains,
          pickup,
          enqueue,
          idle,
          options.sessionTracking(),
          options.prefetch(),
          options.jobs(),
          options.sharedKeys());
    }
  }
}
