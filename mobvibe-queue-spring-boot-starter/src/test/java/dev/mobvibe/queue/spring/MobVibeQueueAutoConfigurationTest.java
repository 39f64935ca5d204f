package dev.mobvibe.queue.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mobvibe.queue.ArgsHandler;
import dev.mobvibe.queue.Job;
import dev.mobvibe.queue.JobArgs;
import dev.mobvibe.queue.JobHandler;
import dev.mobvibe.queue.JobNotifier;
import dev.mobvibe.queue.JobProcessor;
import dev.mobvibe.queue.JobQueue;
import dev.mobvibe.queue.JobStatus;
import dev.mobvibe.queue.NewJob;
import dev.mobvibe.queue.QueueMonitor;
import dev.mobvibe.queue.micrometer.QueueMetrics;
import dev.mobvibe.queue.realtime.PgNotifier;
import dev.mobvibe.queue.realtime.SupabaseRealtimeNotifier;
import dev.mobvibe.queue.testing.TestDatabase;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Every condition of the auto-configuration, against a real PostgreSQL database of this class. */
class MobVibeQueueAutoConfigurationTest {
  @RegisterExtension static final TestDatabase db = new TestDatabase();

  record SendEmail(String to) implements JobArgs {
    @Override
    public String kind() {
      return "send_email";
    }
  }

  /** Handler beans: a typed one by kind on its @Bean method, and a coding-session one. */
  @Configuration(proxyBeanMethods = false)
  static class Handlers {
    final List<String> ran = new CopyOnWriteArrayList<>();

    @Bean
    @JobKind("send_email")
    ArgsHandler<SendEmail> sendEmail() {
      return (email, ctx) -> ran.add("mailed " + email.to());
    }

    @Bean
    JobHandler codingSession() {
      return (job, ctx) -> ran.add("coded " + job.prompt());
    }
  }

  @Configuration(proxyBeanMethods = false)
  static class KindlessArgsHandler {
    @Bean
    ArgsHandler<SendEmail> sendEmail() {
      return (email, ctx) -> {};
    }
  }

  private final ApplicationContextRunner runner =
      new ApplicationContextRunner()
          .withConfiguration(
              AutoConfigurations.of(
                  DataSourceAutoConfiguration.class, MobVibeQueueAutoConfiguration.class))
          .withPropertyValues(datasourceProperties());

  private static String[] datasourceProperties() {
    List<String> p = new ArrayList<>();
    p.add("spring.datasource.url=" + db.jdbcUrl());
    if (db.user() != null) {
      p.add("spring.datasource.username=" + db.user());
    }
    if (db.password() != null) {
      p.add("spring.datasource.password=" + db.password());
    }
    p.add("mobvibe.queue.poll-interval=200ms");
    p.add("mobvibe.queue.monitor.interval=200ms");
    p.add("mobvibe.queue.processor.shutdown-timeout=2s");
    return p.toArray(String[]::new);
  }

  @Test
  void noDataSourceMeansNoQueue() {
    new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(MobVibeQueueAutoConfiguration.class))
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              assertThat(context).doesNotHaveBean(JobQueue.class);
              assertThat(context).doesNotHaveBean(JobEnqueuer.class);
            });
  }

  @Test
  void disabledMeansNoQueue() {
    runner
        .withPropertyValues("mobvibe.queue.enabled=false")
        .run(context -> assertThat(context).hasNotFailed().doesNotHaveBean(JobQueue.class));
  }

  @Test
  void theQueueUsesTheApplicationsDataSourceAndIsMigrated() {
    runner.run(
        context -> {
          assertThat(context).hasNotFailed();
          JobQueue queue = context.getBean(JobQueue.class);
          assertThat(queue.dataSource()).isSameAs(context.getBean(DataSource.class));
          assertThat(queue.schemaVersion()).isPositive();
          assertThat(context).hasSingleBean(JobEnqueuer.class);
          assertThat(context).hasSingleBean(QueueMonitor.class);
          assertThat(context).hasSingleBean(MobVibeQueueLifecycle.class);
          // No handler bean: an enqueue-only service, no processor.
          assertThat(context).doesNotHaveBean(JobProcessor.class);
        });
  }

  @Test
  void migrationsCanBeTurnedOff() {
    String schema = "s_" + UUID.randomUUID().toString().substring(0, 8);
    runner
        .withPropertyValues("mobvibe.queue.migrate=false", "mobvibe.queue.schema=" + schema)
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              assertThat(context.getBean(JobQueue.class).schemaVersion()).isZero();
            });
  }

  @Test
  void theApplicationsOwnQueueWins() {
    runner
        .withUserConfiguration(Handlers.class)
        .withBean(
            "myQueue",
            JobQueue.class,
            () -> JobQueue.builder().jdbcUrl(db.jdbcUrl()).username(db.user()).build())
        .run(
            context -> {
              assertThat(context).hasNotFailed().hasSingleBean(JobQueue.class);
              assertThat(context).hasBean("myQueue").doesNotHaveBean("mobVibeJobQueue");
              assertThat(context.getBean(JobProcessor.class).queue())
                  .isSameAs(context.getBean("myQueue"));
            });
  }

  @Test
  void handlerBeansAreRegisteredByKindAndRunWithTheContext() {
    runner
        .withUserConfiguration(Handlers.class)
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              JobProcessor processor = context.getBean(JobProcessor.class);
              assertThat(processor.kinds())
                  .containsExactlyInAnyOrder("send_email", NewJob.CODING_SESSION_KIND);
              assertThat(processor.state()).isEqualTo(JobProcessor.State.RUNNING);

              JobQueue queue = context.getBean(JobQueue.class);
              queue.enqueue(NewJob.of(new SendEmail("ada@example.com")));
              queue.enqueue(NewJob.of("Build a todo app"));
              List<String> ran = context.getBean(Handlers.class).ran;
              await().atMost(Duration.ofSeconds(20)).until(() -> ran.size() == 2);
              assertThat(ran)
                  .containsExactlyInAnyOrder("mailed ada@example.com", "coded Build a todo app");
              context.close();
              assertThat(processor.state()).isEqualTo(JobProcessor.State.STOPPED);
            });
  }

  /** A handler that takes half a second, unless cancelled. */
  @Configuration(proxyBeanMethods = false)
  static class SlowHandler {
    final CountDownLatch started = new CountDownLatch(1);

    @Bean
    JobHandler slow() {
      return (job, ctx) -> {
        started.countDown();
        if (ctx.awaitCancellation(Duration.ofMillis(500))) {
          throw new IllegalStateException("cancelled");
        }
      };
    }
  }

  @Test
  void closingTheContextLetsTheRunningJobFinishAndRecordsItsOutcome() {
    JobQueue check = db.newQueue();
    Job[] job = new Job[1];
    runner
        .withUserConfiguration(SlowHandler.class)
        .run(
            context -> {
              job[0] = context.getBean(JobQueue.class).enqueue(NewJob.of("Slow"));
              assertThat(context.getBean(SlowHandler.class).started.await(20, TimeUnit.SECONDS))
                  .isTrue();
              context.close(); // the processor's graceful stop, inside the context's shutdown
            });
    assertThat(check.findJob(job[0].id()).orElseThrow().status()).isEqualTo(JobStatus.COMPLETED);
  }

  @Test
  void theProcessorCanBeTurnedOff() {
    runner
        .withUserConfiguration(Handlers.class)
        .withPropertyValues("mobvibe.queue.processor.enabled=false")
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              assertThat(context).hasSingleBean(JobQueue.class);
              assertThat(context).doesNotHaveBean(JobProcessor.class);
            });
  }

  @Test
  void anArgsHandlerWithoutKindStopsTheStartUp() {
    runner
        .withUserConfiguration(KindlessArgsHandler.class)
        .run(
            context ->
                assertThat(context)
                    .hasFailed()
                    .getFailure()
                    .rootCause()
                    .hasMessageContaining("ArgsHandler bean 'sendEmail' needs @JobKind"));
  }

  @Test
  void metricsWhenMicrometerAndARegistryArePresent() {
    runner
        .withUserConfiguration(Handlers.class)
        .withBean(MeterRegistry.class, SimpleMeterRegistry::new)
        .run(
            context -> {
              assertThat(context).hasNotFailed().hasSingleBean(QueueMetrics.class);
              MeterRegistry registry = context.getBean(MeterRegistry.class);
              assertThat(registry.find("mobvibe.worker.concurrency").gauge()).isNotNull();
              // The monitor feeds the queue gauges.
              await()
                  .atMost(Duration.ofSeconds(10))
                  .until(
                      () ->
                          registry.find("mobvibe.queue.jobs").gauges().stream()
                              .anyMatch(g -> !Double.isNaN(g.value())));
            });
  }

  @Test
  void noMetricsWithoutARegistry() {
    runner.run(context -> assertThat(context).hasNotFailed().doesNotHaveBean(QueueMetrics.class));
  }

  @Test
  void noMetricsWhenTheMicrometerModuleIsAbsent() {
    runner
        .withClassLoader(new FilteredClassLoader(QueueMetrics.class))
        .withUserConfiguration(Handlers.class)
        .withBean(MeterRegistry.class, SimpleMeterRegistry::new)
        .run(
            context -> {
              assertThat(context).hasNotFailed().hasSingleBean(JobProcessor.class);
              assertThat(context).doesNotHaveBean(QueueMetrics.class);
            });
  }

  @Test
  void pgNotifierWhenAskedFor() {
    runner
        .withUserConfiguration(Handlers.class)
        .withPropertyValues("mobvibe.queue.realtime.notifier=pg")
        .run(
            context -> {
              assertThat(context).hasNotFailed().hasSingleBean(PgNotifier.class);
              JobProcessor processor = context.getBean(JobProcessor.class);
              assertThat(processor.notifier()).containsSame(context.getBean(PgNotifier.class));
              // The processor subscribed: the notifier listens on its own connection.
              await()
                  .atMost(Duration.ofSeconds(10))
                  .until(
                      () -> context.getBean(PgNotifier.class).state().name().equals("LISTENING"));
            });
  }

  @Test
  void supabaseNotifierWhenAskedFor() {
    runner
        .withPropertyValues(
            "mobvibe.queue.realtime.notifier=supabase",
            "mobvibe.queue.realtime.supabase-url=http://127.0.0.1:9",
            "mobvibe.queue.realtime.supabase-service-role-key=test-key")
        .run(
            context ->
                assertThat(context).hasNotFailed().hasSingleBean(SupabaseRealtimeNotifier.class));
  }

  @Test
  void noNotifierByDefault() {
    runner
        .withUserConfiguration(Handlers.class)
        .run(
            context -> {
              assertThat(context).hasNotFailed().doesNotHaveBean(JobNotifier.class);
              assertThat(context.getBean(JobProcessor.class).notifier()).isEmpty();
            });
  }

  @Test
  void noNotifierWhenTheRealtimeModuleIsAbsent() {
    runner
        .withClassLoader(new FilteredClassLoader(PgNotifier.class))
        .withUserConfiguration(Handlers.class)
        .withPropertyValues("mobvibe.queue.realtime.notifier=pg")
        .run(
            context -> {
              assertThat(context).hasNotFailed().doesNotHaveBean(JobNotifier.class);
              assertThat(context).hasSingleBean(JobProcessor.class);
            });
  }

  @Test
  void healthIndicatorShowsTheVerdict() {
    runner
        .withUserConfiguration(Handlers.class)
        .run(
            context -> {
              assertThat(context).hasNotFailed().hasSingleBean(QueueHealthIndicator.class);
              HealthIndicator health = context.getBean(QueueHealthIndicator.class);
              await()
                  .atMost(Duration.ofSeconds(10))
                  .until(() -> health.health().getStatus().equals(Status.UP));
              assertThat(health.health().getDetails())
                  .containsEntry("verdict", "HEALTHY")
                  .containsEntry("processor", "RUNNING");
            });
  }

  @Test
  void healthIsUnknownWithoutAMonitor() {
    runner
        .withPropertyValues("mobvibe.queue.monitor.enabled=false")
        .run(
            context -> {
              assertThat(context).hasNotFailed().doesNotHaveBean(QueueMonitor.class);
              HealthIndicator health = context.getBean(QueueHealthIndicator.class);
              assertThat(health.health().getStatus()).isEqualTo(Status.UNKNOWN);
              assertThat(health.health().getDetails()).containsEntry("monitor", "disabled");
            });
  }

  @Test
  void noHealthIndicatorWithoutSpringBootHealth() {
    runner
        .withClassLoader(new FilteredClassLoader(HealthIndicator.class))
        .run(
            context -> {
              assertThat(context).hasNotFailed().hasSingleBean(JobQueue.class);
              assertThat(context).doesNotHaveBean(QueueHealthIndicator.class);
            });
  }

  @Test
  void healthIndicatorCanBeTurnedOff() {
    runner
        .withPropertyValues("management.health.mobvibequeue.enabled=false")
        .run(
            context ->
                assertThat(context).hasNotFailed().doesNotHaveBean(QueueHealthIndicator.class));
  }
}
