package dev.mobvibe.queue.internal.engine;

import dev.mobvibe.queue.Job;
import dev.mobvibe.queue.JobListener;
import dev.mobvibe.queue.JobProcessor;
import dev.mobvibe.queue.NewJob;
import dev.mobvibe.queue.RetryPolicy;
import dev.mobvibe.queue.SessionTracking;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Settings, listeners and running jobs for tests that build one engine part alone. */
final class Parts {
  private Parts() {}

  /** Defaults as a processor has them, with the given worker, lease, timeouts and prefetch. */
  static EngineSettings settings(
      String workerId,
      Duration lease,
      Duration heartbeatTimeout,
      Duration jobTimeout,
      boolean autoPrefetch,
      int prefetch) {
    return new EngineSettings(
        workerId,
        10,
        prefetch,
        autoPrefetch,
        Duration.ofHours(1),
        lease,
        jobTimeout,
        heartbeatTimeout,
        Duration.ofSeconds(5),
        null,
        null,
        null,
        RetryPolicy.fixed(Duration.ofMillis(250)),
        JobProcessor.DEFAULT_MAX_SNOOZES,
        SessionTracking.STATUS,
        100,
        HandlerThreads.platform(workerId),
        List.of(NewJob.CODING_SESSION_KIND),
        null);
  }

  /** The same settings with another retry policy. */
  static EngineSettings withRetryPolicy(EngineSettings s, RetryPolicy retryPolicy) {
    return new EngineSettings(
        s.workerId(),
        s.concurrency(),
        s.prefetch(),
        s.autoPrefetch(),
        s.pollInterval(),
        s.leaseDuration(),
        s.jobTimeout(),
        s.heartbeatTimeout(),
        s.shutdownTimeout(),
        s.reapInterval(),
        s.reapGrace(),
        s.unleasedGrace(),
        retryPolicy,
        s.maxSnoozes(),
        s.sessionTracking(),
        s.eventBufferCapacity(),
        s.handlerThreads(),
        s.kinds(),
        s.fairness());
  }

  /** A running job of a claimed job, on the given ticker. */
  static RunningJob running(Job job, EngineSettings settings, Ticker ticker) {
    long now = ticker.nanos();
    return new RunningJob(job, now, now, settings.workerId(), settings.jobTimeout(), null, ticker);
  }

  /** Records every listener call as a line such as {@code succeeded <id>}. */
  static final class Recorder implements JobListener {
    final List<String> calls = new CopyOnWriteArrayList<>();

    @Override
    public void onJobSucceeded(Job job, Duration runTime) {
      calls.add("succeeded " + job.id());
    }

    @Override
    public void onJobRetried(Job job, Throwable error, Duration runTime) {
      calls.add("retried " + job.id());
    }

    @Override
    public void onJobDeadLettered(Job job, Throwable error, Duration runTime) {
      calls.add("dead " + job.id());
    }

    @Override
    public void onJobSnoozed(Job job, Duration delay) {
      calls.add("snoozed " + job.id() + " " + delay);
    }

    @Override
    public void onJobLost(Job job, String reason) {
      calls.add("lost " + job.id() + " " + reason);
    }

    long count(String prefix) {
      return calls.stream().filter(c -> c.startsWith(prefix)).count();
    }
  }
}
