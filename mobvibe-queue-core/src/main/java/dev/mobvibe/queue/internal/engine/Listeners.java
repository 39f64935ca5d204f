package dev.mobvibe.queue.internal.engine;

import dev.mobvibe.queue.JobListener;
import java.util.List;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The processor's {@link JobListener}s, each isolated from the others' failures: a listener that
 * throws is logged and the rest still hear the event. Immutable, thread-safe.
 */
final class Listeners {
  private static final Logger log = LoggerFactory.getLogger(Listeners.class);

  private final List<JobListener> listeners;

  Listeners(List<JobListener> listeners) {
    this.listeners = List.copyOf(listeners);
  }

  void fire(Consumer<JobListener> event) {
    for (JobListener l : listeners) {
      try {
        event.accept(l);
      } catch (RuntimeException e) {
        log.warn("job listener {} failed", l, e);
      }
    }
  }

  /** Logs and reports an attempt whose outcome could not be recorded. */
  void lost(RunningJob rj, String reason) {
    log.warn("job {} attempt {} lost: {}", rj.job.id(), rj.job.attempt(), reason);
    fire(l -> l.onJobLost(rj.job, reason));
  }
}
