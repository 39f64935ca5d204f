package dev.mobvibe.queue.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mobvibe.queue.JobNotifier;
import dev.mobvibe.queue.JobProcessor;
import dev.mobvibe.queue.JobQueue;
import dev.mobvibe.queue.QueueMonitor;
import dev.mobvibe.queue.dashboard.Dashboard;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

/**
 * The defaults are the core builders' (the metadata shows literals, so they are checked here), and
 * plain numbers bind as milliseconds, as the seed's {@code *_MS} variables are.
 */
class MobVibeQueuePropertiesTest {

  @Test
  void defaultsAreTheCoreDefaults() {
    MobVibeQueueProperties p = new MobVibeQueueProperties();
    assertThat(p.getSchema()).isEqualTo(JobQueue.DEFAULT_SCHEMA);
    assertThat(p.getPollInterval()).isEqualTo(JobNotifier.DEFAULT_POLL_INTERVAL);
    assertThat(p.getStatementTimeout()).isEqualTo(JobQueue.DEFAULT_STATEMENT_TIMEOUT);
    assertThat(p.getProcessor().getConcurrency()).isEqualTo(JobProcessor.DEFAULT_CONCURRENCY);
    assertThat(p.getProcessor().getShutdownTimeout())
        .isEqualTo(JobProcessor.DEFAULT_SHUTDOWN_TIMEOUT);
    assertThat(p.getProcessor().getLeaseDuration()).isEqualTo(JobProcessor.DEFAULT_LEASE_DURATION);
    assertThat(p.getProcessor().getJobTimeout()).isEqualTo(JobProcessor.DEFAULT_JOB_TIMEOUT);
    assertThat(p.getMonitor().getInterval()).isEqualTo(QueueMonitor.DEFAULT_INTERVAL);
    assertThat(p.getRealtime().getNotifier()).isEqualTo(MobVibeQueueProperties.Notifier.NONE);
    assertThat(p.getDashboard().isEnabled()).isFalse();
    assertThat(p.getDashboard().getPath()).isEqualTo("/dashboard");
    assertThat(p.getDashboard().getToken()).isNull();
    assertThat(p.getDashboard().getRefreshInterval()).isEqualTo(Dashboard.DEFAULT_REFRESH_INTERVAL);
  }

  @Test
  void plainNumbersAreMillisecondsAsInTheSeedsVariables() {
    Binder binder =
        new Binder(
            new MapConfigurationPropertySource(
                Map.of(
                    "mobvibe.queue.poll-interval", "2500",
                    "mobvibe.queue.processor.shutdown-timeout", "15000",
                    "mobvibe.queue.processor.concurrency", "20",
                    "mobvibe.queue.realtime.notifier", "pg",
                    "mobvibe.queue.dashboard.refresh-interval", "2500")));
    MobVibeQueueProperties p =
        binder.bind("mobvibe.queue", MobVibeQueueProperties.class).orElseThrow(AssertionError::new);
    assertThat(p.getPollInterval()).isEqualTo(Duration.ofMillis(2500));
    assertThat(p.getProcessor().getShutdownTimeout()).isEqualTo(Duration.ofSeconds(15));
    assertThat(p.getProcessor().getConcurrency()).isEqualTo(20);
    assertThat(p.getRealtime().getNotifier()).isEqualTo(MobVibeQueueProperties.Notifier.PG);
    assertThat(p.getDashboard().getRefreshInterval()).isEqualTo(Duration.ofMillis(2500));
  }
}
